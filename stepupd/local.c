#include "local.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int su_local_assurance_get(struct su_sqldb *d, const char *user, const char *scope_key,
                           struct su_assurance *ret)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d,
                                 "SELECT factors, verified_at, verified_boot, last_seen_at, "
                                 "last_seen_boot, boot_id FROM assurance "
                                 "WHERE user = ?1 AND scope_key = ?2",
                                 &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                ret->factors = (uint32_t)sqlite3_column_int64(st, 0);
                ret->verified_at = sqlite3_column_int64(st, 1);
                ret->verified_boot = sqlite3_column_int64(st, 2);
                ret->last_seen_at = sqlite3_column_int64(st, 3);
                ret->last_seen_boot = sqlite3_column_int64(st, 4);
                const char *b = (const char *)sqlite3_column_text(st, 5);
                snprintf(ret->boot_id, sizeof(ret->boot_id), "%s", b ? b : "");
                r = 0;
        } else {
                r = sr == SQLITE_DONE ? -ENOENT : su_sqldb_fail(d, sr);
        }
        su_sqldb_release(d, st);
        return r;
}

int su_local_assurance_touch(struct su_sqldb *d, const char *user, const char *scope_key,
                             const struct su_assurance *seen, int64_t now, int64_t boot)
{
        /* Within the same second nothing changes: no write, no fsync on the allow path. */
        if (seen && seen->last_seen_at == now && seen->last_seen_boot == boot)
                return 0;
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d,
                                 "UPDATE assurance SET last_seen_at = ?3, last_seen_boot = ?4 "
                                 "WHERE user = ?1 AND scope_key = ?2",
                                 &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, boot);
        r = su_sqldb_step_done(d, st);
        return r < 0 ? r : 0;
}

int su_local_assurance_put(struct su_sqldb *d, const char *user, const struct su_grant *g)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d,
                                 "INSERT OR REPLACE INTO assurance (user, scope_key, factors, "
                                 "verified_at, verified_boot, last_seen_at, last_seen_boot, "
                                 "boot_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                 &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, g->scope_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, g->a.factors);
        sqlite3_bind_int64(st, 4, g->a.verified_at);
        sqlite3_bind_int64(st, 5, g->a.verified_boot);
        sqlite3_bind_int64(st, 6, g->a.last_seen_at);
        sqlite3_bind_int64(st, 7, g->a.last_seen_boot);
        sqlite3_bind_text(st, 8, g->a.boot_id, -1, SQLITE_STATIC);
        r = su_sqldb_step_done(d, st);
        return r < 0 ? r : 0;
}

int su_local_assurance_revoke(struct su_sqldb *d, const char *user, const char *scope_key)
{
        sqlite3_stmt *st;
        int r =
            su_sqldb_prepare(d,
                             scope_key ? "DELETE FROM assurance WHERE user = ?1 AND scope_key = ?2"
                                       : "DELETE FROM assurance WHERE user = ?1",
                             &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        if (scope_key)
                sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        return su_sqldb_step_done(d, st);
}

int su_local_assurance_revoke_before(struct su_sqldb *d, const char *user, int64_t before)
{
        sqlite3_stmt *st;
        int r =
            su_sqldb_prepare(d, "DELETE FROM assurance WHERE user = ?1 AND verified_at <= ?2", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, before);
        return su_sqldb_step_done(d, st);
}

int su_local_assurance_users(struct su_sqldb *d, int (*fn)(const char *user, void *data),
                             void *data)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d, "SELECT DISTINCT user FROM assurance", &st);
        if (r < 0)
                return r;
        int sr = SQLITE_DONE;
        while (r >= 0 && (sr = sqlite3_step(st)) == SQLITE_ROW) {
                const char *u = (const char *)sqlite3_column_text(st, 0);
                if (u)
                        r = fn(u, data);
        }
        if (r >= 0 && sr != SQLITE_DONE)
                r = su_sqldb_fail(d, sr);
        su_sqldb_release(d, st);
        return r < 0 ? r : 0;
}

int su_local_assurance_count(struct su_sqldb *d, const char *user)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d, "SELECT count(*) FROM assurance WHERE user = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        return su_sqldb_step_int(d, st);
}
