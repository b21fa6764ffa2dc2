/* The shared state in the host's own SQLite database (the default, one host). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "store.h"
#include "store_backends.h"

struct sq_store {
        struct su_store base;
        struct su_sqldb *d; /* == base.local */
};

static struct su_sqldb *db(struct su_store *s)
{
        return ((struct sq_store *)s)->d;
}

static int fail(struct su_store *s, int r)
{
        snprintf(s->err, sizeof(s->err), "%s", su_sqldb_errmsg(db(s)));
        return r;
}

static void sq_close(struct su_store *s)
{
        free(s); /* the connection is the host database's, closed by its owner */
}

static int read_totp(sqlite3_stmt *st, int first, struct su_totp_row *ret)
{
        int n = sqlite3_column_bytes(st, first);
        if (n < 1 || n > SU_TOTP_SECRET_MAX)
                return -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        memcpy(ret->secret, sqlite3_column_blob(st, first), (size_t)n);
        ret->secret_len = (size_t)n;
        ret->params.algo = (enum su_totp_algo)sqlite3_column_int(st, first + 1);
        ret->params.digits = (unsigned)sqlite3_column_int(st, first + 2);
        ret->params.period = (unsigned)sqlite3_column_int(st, first + 3);
        ret->params.window = (unsigned)sqlite3_column_int(st, first + 4);
        ret->created_at = sqlite3_column_int64(st, first + 5);
        return su_totp_params_check(&ret->params) < 0 ? -EBADMSG : 0;
}

/* The active secret (sql selects last_step and active too) or the pending one. */
static int get_totp(struct su_store *s, const char *user, const char *sql, bool active_table,
                    struct su_totp_row *ret)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s), sql, &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                r = read_totp(st, 0, ret);
                ret->last_step = active_table ? sqlite3_column_int64(st, 6) : -1;
                ret->active = active_table && sqlite3_column_int(st, 7) != 0;
        } else {
                r = sr == SQLITE_DONE ? -ENOENT : fail(s, su_sqldb_fail(db(s), sr));
        }
        su_sqldb_release(db(s), st);
        return r;
}

static int sq_totp_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        return get_totp(s, user,
                        "SELECT secret, algo, digits, period, window, created_at, last_step, "
                        "active FROM totp WHERE user = ?1",
                        true, ret);
}

static void bind_totp(sqlite3_stmt *st, const char *user, const struct su_totp_row *row)
{
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, row->secret, (int)row->secret_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)row->params.algo);
        sqlite3_bind_int(st, 4, (int)row->params.digits);
        sqlite3_bind_int(st, 5, (int)row->params.period);
        sqlite3_bind_int(st, 6, (int)row->params.window);
        sqlite3_bind_int64(st, 7, row->created_at);
}

static int sq_totp_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "INSERT OR REPLACE INTO totp (user, secret, algo, digits, period, "
                                 "window, created_at, last_step, active) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                 &st);
        if (r < 0)
                return fail(s, r);
        bind_totp(st, user, row);
        sqlite3_bind_int64(st, 8, row->last_step);
        sqlite3_bind_int(st, 9, row->active ? 1 : 0);
        r = su_sqldb_step_done(db(s), st);
        return r < 0 ? fail(s, r) : 0;
}

static int sq_totp_pending_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "INSERT OR REPLACE INTO totp_pending (user, secret, algo, "
                                 "digits, period, window, created_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                 &st);
        if (r < 0)
                return fail(s, r);
        bind_totp(st, user, row);
        r = su_sqldb_step_done(db(s), st);
        return r < 0 ? fail(s, r) : 0;
}

static int sq_totp_pending_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        return get_totp(s, user,
                        "SELECT secret, algo, digits, period, window, created_at "
                        "FROM totp_pending WHERE user = ?1",
                        false, ret);
}

static int reset_failures(struct su_store *s, const char *user)
{
        int r =
            su_sqldb_exec_user(db(s), "UPDATE failures SET consecutive = 0 WHERE user = ?1", user);
        return r < 0 ? r : 0;
}

/* The end of every successful verification: failures reset, the grant written, committed. */
static int finish_success(struct su_store *s, const char *user, const struct su_grant *grant)
{
        int r = reset_failures(s, user);
        if (r == 0 && grant)
                r = su_local_assurance_put(db(s), user, grant);
        su_fault_point("mid-commit");
        if (r == 0)
                r = su_sqldb_commit(db(s));
        return r;
}

static int sq_totp_activate(struct su_store *s, const char *user, int64_t step)
{
        sqlite3_stmt *st;
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        r = su_sqldb_prepare(db(s),
                             "INSERT OR REPLACE INTO totp (user, secret, algo, digits, period, "
                             "window, last_step, active, created_at) "
                             "SELECT user, secret, algo, digits, period, window, ?2, 1, "
                             "created_at FROM totp_pending WHERE user = ?1",
                             &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, step);
        if ((r = su_sqldb_step_done(db(s), st)) < 0)
                goto rollback;
        if (r == 0) {
                r = -ENOENT;
                goto rollback;
        }
        if ((r = su_sqldb_exec_user(db(s), "DELETE FROM totp_pending WHERE user = ?1", user)) < 0 ||
            (r = finish_success(s, user, NULL)) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return r == -ENOENT ? r : fail(s, r);
}

/* Spends something once: sql (user ?1, then text ?2 and/or number ?3) must change one row
 * only if it is still unspent; then failures reset and the grant written, one transaction.
 * -EALREADY (nothing written) when it was spent already, or by a concurrent use. */
static int consume_once(struct su_store *s, const char *user, const char *sql, const char *text,
                        int64_t num, const struct su_grant *grant)
{
        sqlite3_stmt *st;
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((r = su_sqldb_prepare(db(s), sql, &st)) < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        if (text)
                sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, num);
        if ((r = su_sqldb_step_done(db(s), st)) < 0)
                goto rollback;
        if (r == 0) {
                r = -EALREADY;
                goto rollback;
        }
        if ((r = finish_success(s, user, grant)) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return r == -EALREADY ? r : fail(s, r);
}

static int sq_totp_consume(struct su_store *s, const char *user, int64_t step,
                           const struct su_grant *grant)
{
        /* The step only moves forward: a concurrent or replayed use changes no row. */
        return consume_once(s, user,
                            "UPDATE totp SET last_step = ?3, active = 1 "
                            "WHERE user = ?1 AND last_step < ?3",
                            NULL, step, grant);
}

/* Replaces every (key, hash) row of the user in one transaction: questions and recovery. */
static int replace_hashes(struct su_store *s, const char *user, const char *del_sql,
                          const char *ins_sql, const char *const *keys, const char *const *hashes,
                          size_t n)
{
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((r = su_sqldb_exec_user(db(s), del_sql, user)) < 0)
                goto rollback;
        for (size_t i = 0; i < n; i++) {
                sqlite3_stmt *st;
                if ((r = su_sqldb_prepare(db(s), ins_sql, &st)) < 0)
                        goto rollback;
                sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, hashes[i], -1, SQLITE_STATIC);
                if ((r = su_sqldb_step_done(db(s), st)) < 0)
                        goto rollback;
        }
        if ((r = su_sqldb_commit(db(s))) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return fail(s, r);
}

/* (key, hash) rows of any of the hash tables, laid out as struct rows with a stride. */
static int set_pairs(struct su_store *s, const char *user, const char *del_sql, const char *ins_sql,
                     const void *rows, size_t n, size_t max, size_t stride, size_t key_off,
                     size_t hash_off)
{
        const char *keys[SU_QUESTIONS_PER_USER_MAX + SU_RECOVERY_CODES_MAX];
        const char *hashes[SU_QUESTIONS_PER_USER_MAX + SU_RECOVERY_CODES_MAX];
        if (n > max || n > sizeof(keys) / sizeof(keys[0]))
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                const char *row = (const char *)rows + i * stride;
                keys[i] = row + key_off;
                hashes[i] = row + hash_off;
        }
        return replace_hashes(s, user, del_sql, ins_sql, keys, hashes, n);
}

static int sq_questions_set(struct su_store *s, const char *user, const struct su_answer_row *rows,
                            size_t n)
{
        return set_pairs(s, user, "DELETE FROM questions WHERE user = ?1",
                         "INSERT INTO questions (user, qid, hash, created_at) "
                         "VALUES (?1, ?2, ?3, strftime('%s', 'now'))",
                         rows, n, SU_QUESTIONS_PER_USER_MAX, sizeof(*rows),
                         offsetof(struct su_answer_row, qid), offsetof(struct su_answer_row, hash));
}

static int sq_questions_get(struct su_store *s, const char *user, struct su_answer_row *out,
                            size_t max)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(
            db(s), "SELECT qid, hash FROM questions WHERE user = ?1 ORDER BY qid", &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        size_t n = 0;
        int sr;
        while (n < max && (sr = sqlite3_step(st)) == SQLITE_ROW) {
                snprintf(out[n].qid, sizeof(out[n].qid), "%s",
                         (const char *)sqlite3_column_text(st, 0));
                snprintf(out[n].hash, sizeof(out[n].hash), "%s",
                         (const char *)sqlite3_column_text(st, 1));
                n++;
        }
        r = n == max || sr == SQLITE_ROW || sr == SQLITE_DONE ? (int)n
                                                              : fail(s, su_sqldb_fail(db(s), sr));
        su_sqldb_release(db(s), st);
        return r;
}

static int sq_recovery_set(struct su_store *s, const char *user, const struct su_recovery_row *rows,
                           size_t n)
{
        return set_pairs(s, user, "DELETE FROM recovery WHERE user = ?1",
                         "INSERT INTO recovery (user, tag, hash, created_at) "
                         "VALUES (?1, ?2, ?3, strftime('%s', 'now'))",
                         rows, n, SU_RECOVERY_CODES_MAX, sizeof(*rows),
                         offsetof(struct su_recovery_row, tag),
                         offsetof(struct su_recovery_row, hash));
}

static int sq_recovery_get(struct su_store *s, const char *user, const char *tag,
                           struct su_recovery_row *ret)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "SELECT tag, hash, used_at IS NOT NULL FROM recovery "
                                 "WHERE user = ?1 AND tag = ?2",
                                 &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                snprintf(ret->tag, sizeof(ret->tag), "%s",
                         (const char *)sqlite3_column_text(st, 0));
                snprintf(ret->hash, sizeof(ret->hash), "%s",
                         (const char *)sqlite3_column_text(st, 1));
                r = sqlite3_column_int(st, 2) ? -EALREADY : 0;
        } else {
                r = sr == SQLITE_DONE ? -ENOENT : fail(s, su_sqldb_fail(db(s), sr));
        }
        su_sqldb_release(db(s), st);
        return r;
}

static int sq_recovery_unused(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(
            db(s), "SELECT count(*) FROM recovery WHERE user = ?1 AND used_at IS NULL", &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = su_sqldb_step_int(db(s), st);
        return r < 0 ? fail(s, r) : r;
}

static int sq_recovery_consume(struct su_store *s, const char *user, const char *tag, int64_t now,
                               const struct su_grant *grant)
{
        return consume_once(s, user,
                            "UPDATE recovery SET used_at = ?3 "
                            "WHERE user = ?1 AND tag = ?2 AND used_at IS NULL",
                            tag, now, grant);
}

static int sq_grant(struct su_store *s, const char *user, const struct su_grant *grant)
{
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((r = finish_success(s, user, grant)) < 0) {
                su_sqldb_rollback(db(s));
                return fail(s, r);
        }
        return 0;
}

static int sq_failures_get(struct su_store *s, const char *user, struct su_failures *ret)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "SELECT consecutive, window_start, window_count, "
                                 "last_failure_at FROM failures WHERE user = ?1",
                                 &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        memset(ret, 0, sizeof(*ret));
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                ret->consecutive = sqlite3_column_int64(st, 0);
                ret->window_start = sqlite3_column_int64(st, 1);
                ret->window_count = sqlite3_column_int64(st, 2);
                ret->last_failure_at = sqlite3_column_int64(st, 3);
                r = 0;
        } else {
                r = sr == SQLITE_DONE ? 0 : fail(s, su_sqldb_fail(db(s), sr));
        }
        su_sqldb_release(db(s), st);
        return r;
}

static int ensure_failures_row(struct su_store *s, const char *user)
{
        int r =
            su_sqldb_exec_user(db(s), "INSERT OR IGNORE INTO failures (user) VALUES (?1)", user);
        return r < 0 ? r : 0;
}

static int sq_attempt(struct su_store *s, const char *user, int64_t now,
                      const struct su_store_limits *l, struct su_failures *ret)
{
        sqlite3_stmt *st;
        /* BEGIN IMMEDIATE holds the write lock from the read to the write: atomic. */
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((r = ensure_failures_row(s, user)) < 0 || (r = sq_failures_get(s, user, ret)) < 0)
                goto rollback;
        enum su_wait_reason why;
        if (su_failures_wait(ret, l, now, &why) > 0) {
                su_sqldb_rollback(db(s));
                return -EAGAIN;
        }
        /* A window from the future (clock set back) is treated as current, never as expired. */
        r = su_sqldb_prepare(db(s),
                             "UPDATE failures SET "
                             "window_count = CASE WHEN ?2 >= window_start + ?3 THEN 1 "
                             "  ELSE window_count + 1 END, "
                             "window_start = CASE WHEN ?2 >= window_start + ?3 THEN ?2 "
                             "  ELSE window_start END "
                             "WHERE user = ?1",
                             &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, l->rate_window);
        if ((r = su_sqldb_step_done(db(s), st)) < 0 || (r = sq_failures_get(s, user, ret)) < 0 ||
            (r = su_sqldb_commit(db(s))) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return fail(s, r);
}

static int sq_note_failure(struct su_store *s, const char *user, int64_t now,
                           struct su_failures *ret)
{
        sqlite3_stmt *st;
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((r = ensure_failures_row(s, user)) < 0)
                goto rollback;
        r = su_sqldb_prepare(db(s),
                             "UPDATE failures SET consecutive = consecutive + 1, "
                             "last_failure_at = ?2 WHERE user = ?1",
                             &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        if ((r = su_sqldb_step_done(db(s), st)) < 0)
                goto rollback;
        su_fault_point("mid-failure");
        if ((r = sq_failures_get(s, user, ret)) < 0 || (r = su_sqldb_commit(db(s))) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return fail(s, r);
}

static int sq_failures_reset(struct su_store *s, const char *user)
{
        int r = su_sqldb_exec_user(
            db(s), "UPDATE failures SET consecutive = 0, window_count = 0 WHERE user = ?1", user);
        return r < 0 ? fail(s, r) : 0;
}

static int sq_reset(struct su_store *s, const char *user, unsigned tables)
{
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        if ((tables & SU_TAB_TOTP) &&
            ((r = su_sqldb_exec_user(db(s), "DELETE FROM totp WHERE user = ?1", user)) < 0 ||
             (r = su_sqldb_exec_user(db(s), "DELETE FROM totp_pending WHERE user = ?1", user)) < 0))
                goto rollback;
        if ((tables & SU_TAB_QUESTIONS) &&
            (r = su_sqldb_exec_user(db(s), "DELETE FROM questions WHERE user = ?1", user)) < 0)
                goto rollback;
        if ((tables & SU_TAB_RECOVERY) &&
            (r = su_sqldb_exec_user(db(s), "DELETE FROM recovery WHERE user = ?1", user)) < 0)
                goto rollback;
        /* A grant earned with a factor that is gone ends with it, in the same transaction. */
        if ((r = su_local_assurance_revoke(db(s), user, NULL)) < 0 ||
            (r = su_sqldb_commit(db(s))) < 0)
                goto rollback;
        return 0;
rollback:
        su_sqldb_rollback(db(s));
        return fail(s, r);
}

static int sq_forget(struct su_store *s, const char *user)
{
        static const char *const sql[] = {
            "DELETE FROM totp_pending WHERE user = ?1", "DELETE FROM totp WHERE user = ?1",
            "DELETE FROM assurance WHERE user = ?1",    "DELETE FROM failures WHERE user = ?1",
            "DELETE FROM questions WHERE user = ?1",    "DELETE FROM recovery WHERE user = ?1",
            "DELETE FROM factor_log WHERE user = ?1",
        };
        int total = 0;
        int r = su_sqldb_begin(db(s));
        if (r < 0)
                return fail(s, r);
        for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
                if ((r = su_sqldb_exec_user(db(s), sql[i], user)) < 0)
                        goto rollback;
                total += r;
        }
        if ((r = su_sqldb_commit(db(s))) < 0)
                goto rollback;
        return total;
rollback:
        su_sqldb_rollback(db(s));
        return fail(s, r);
}

static int sq_list_users(struct su_store *s, int (*fn)(const char *user, void *data), void *data)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "SELECT user FROM totp UNION SELECT user FROM totp_pending "
                                 "UNION SELECT user FROM questions "
                                 "UNION SELECT user FROM recovery ORDER BY 1",
                                 &st);
        if (r < 0)
                return fail(s, r);
        int sr;
        r = 0;
        while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
                r = fn((const char *)sqlite3_column_text(st, 0), data);
                if (r != 0)
                        break;
        }
        if (r == 0 && sr != SQLITE_DONE)
                r = fail(s, su_sqldb_fail(db(s), sr));
        su_sqldb_release(db(s), st);
        return r < 0 ? r : 0;
}

static int sq_log_change(struct su_store *s, const char *user, const char *factor,
                         const char *change, uid_t by_uid, const char *host)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(db(s),
                                 "INSERT INTO factor_log (at, user, factor, change, by_uid, host) "
                                 "VALUES (strftime('%s', 'now'), ?1, ?2, ?3, ?4, ?5)",
                                 &st);
        if (r < 0)
                return fail(s, r);
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, factor, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, change, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (int64_t)by_uid);
        sqlite3_bind_text(st, 5, host ? host : "", -1, SQLITE_STATIC);
        r = su_sqldb_step_done(db(s), st);
        return r < 0 ? fail(s, r) : 0;
}

static const struct su_store_ops sqlite_ops = {
    .name = "sqlite",
    .blocking = false,
    .close = sq_close,
    .totp_get = sq_totp_get,
    .totp_put = sq_totp_put,
    .totp_pending_put = sq_totp_pending_put,
    .totp_pending_get = sq_totp_pending_get,
    .totp_activate = sq_totp_activate,
    .totp_consume = sq_totp_consume,
    .questions_set = sq_questions_set,
    .questions_get = sq_questions_get,
    .recovery_set = sq_recovery_set,
    .recovery_get = sq_recovery_get,
    .recovery_unused = sq_recovery_unused,
    .recovery_consume = sq_recovery_consume,
    .grant = sq_grant,
    .failures_get = sq_failures_get,
    .attempt = sq_attempt,
    .note_failure = sq_note_failure,
    .failures_reset = sq_failures_reset,
    .reset = sq_reset,
    .forget = sq_forget,
    .list_users = sq_list_users,
    .log_change = sq_log_change,
};

int su_store_sqlite_open(struct su_sqldb *local, struct su_store **ret)
{
        struct sq_store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->base.ops = &sqlite_ops;
        s->base.local = local;
        s->d = local;
        *ret = &s->base;
        return 0;
}
