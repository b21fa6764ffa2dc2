/* SQLite implementation of store.h: WAL, synchronous=FULL, schema in PRAGMA user_version. */
#include "store.h"
#include "faults.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prepared statements are kept for reuse (prepare() and release()): one parse per SQL text
 * for the daemon's life instead of one per call.  A slot is found by the text's address and
 * confirmed by the text itself, so a reused buffer can never bring back another statement;
 * a slot in use is never handed out twice (a nested use prepares a private statement). */
#define STMT_CACHE_MAX 64
struct stmt_slot {
        const char *key; /* the caller's SQL pointer */
        char *text;      /* our copy of the SQL */
        sqlite3_stmt *st;
        bool busy;
};

struct su_store {
        sqlite3 *db;
        char err[256];
        struct stmt_slot cache[STMT_CACHE_MAX];
        size_t ncache;
};

/* Forward migrations: entry i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE totp ("
    "  user TEXT PRIMARY KEY NOT NULL,"
    "  secret BLOB NOT NULL,"
    "  algo INTEGER NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL,"
    "  window INTEGER NOT NULL,"
    "  last_step INTEGER NOT NULL DEFAULT -1,"
    "  active INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE assurance ("
    "  user TEXT NOT NULL, scope_key TEXT NOT NULL,"
    "  factors INTEGER NOT NULL,"
    "  verified_at INTEGER NOT NULL, verified_boot INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL, last_seen_boot INTEGER NOT NULL,"
    "  boot_id TEXT NOT NULL,"
    "  PRIMARY KEY (user, scope_key));"
    "CREATE TABLE failures ("
    "  user TEXT PRIMARY KEY NOT NULL,"
    "  consecutive INTEGER NOT NULL DEFAULT 0,"
    "  window_start INTEGER NOT NULL DEFAULT 0,"
    "  window_count INTEGER NOT NULL DEFAULT 0,"
    "  last_failure_at INTEGER NOT NULL DEFAULT 0);",
    /* v2: security questions and recovery codes, both stored only as yescrypt hashes. */
    "CREATE TABLE questions ("
    "  user TEXT NOT NULL, qid TEXT NOT NULL, hash TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY (user, qid));"
    "CREATE TABLE recovery ("
    "  user TEXT NOT NULL, tag TEXT NOT NULL, hash TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, used_at INTEGER,"
    "  PRIMARY KEY (user, tag));",
    /* v3: a new TOTP secret waits here for its confirmation code; the active one stays. */
    "CREATE TABLE totp_pending ("
    "  user TEXT PRIMARY KEY NOT NULL,"
    "  secret BLOB NOT NULL,"
    "  algo INTEGER NOT NULL, digits INTEGER NOT NULL, period INTEGER NOT NULL,"
    "  window INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL);",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

static int fail(struct su_store *s, int r)
{
        snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(s->db));
        if (r == SQLITE_BUSY || r == SQLITE_LOCKED)
                return -EBUSY;
        if (r == SQLITE_FULL)
                return -ENOSPC;
        if (r == SQLITE_NOMEM)
                return -ENOMEM;
        return -EIO;
}

const char *su_store_errmsg(const struct su_store *s)
{
        return s->err[0] ? s->err : "no error";
}

static int exec(struct su_store *s, const char *sql)
{
        int r = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return r == SQLITE_OK ? 0 : fail(s, r);
}

static int prepare(struct su_store *s, const char *sql, sqlite3_stmt **st)
{
        bool known = false;
        for (size_t i = 0; i < s->ncache; i++) {
                struct stmt_slot *c = &s->cache[i];
                if (c->key != sql || strcmp(c->text, sql) != 0)
                        continue;
                known = true;
                if (!c->busy) {
                        c->busy = true;
                        *st = c->st;
                        return 0;
                }
        }
        bool keep = !known && s->ncache < STMT_CACHE_MAX;
        int r = sqlite3_prepare_v3(s->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL);
        if (r != SQLITE_OK)
                return fail(s, r);
        char *text = keep ? strdup(sql) : NULL;
        if (text)
                s->cache[s->ncache++] = (struct stmt_slot){sql, text, *st, true};
        return 0;
}

/* Ends a use of a statement from prepare(): a kept one is reset (its bindings, which point
 * at the caller's strings, cleared), any other finalized. */
static void release(struct su_store *s, sqlite3_stmt *st)
{
        for (size_t i = 0; i < s->ncache; i++) {
                if (s->cache[i].st == st) {
                        sqlite3_reset(st);
                        sqlite3_clear_bindings(st);
                        s->cache[i].busy = false;
                        return;
                }
        }
        sqlite3_finalize(st);
}

static void cache_free(struct su_store *s)
{
        for (size_t i = 0; i < s->ncache; i++) {
                sqlite3_finalize(s->cache[i].st);
                free(s->cache[i].text);
        }
        s->ncache = 0;
}

/* Runs a statement that returns no rows; returns the number of changed rows. */
static int step_done(struct su_store *s, sqlite3_stmt *st)
{
        int r = sqlite3_step(st);
        int ret = r == SQLITE_DONE ? sqlite3_changes(s->db) : fail(s, r);
        release(s, st);
        return ret;
}

int su_store_schema_version(struct su_store *s)
{
        sqlite3_stmt *st;
        int r = prepare(s, "PRAGMA user_version", &st);
        if (r < 0)
                return r;
        r = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : fail(s, SQLITE_ERROR);
        release(s, st);
        return r;
}

static int migrate(struct su_store *s)
{
        int v = su_store_schema_version(s);
        if (v < 0)
                return v;
        if ((size_t)v > N_MIGRATIONS) {
                snprintf(s->err, sizeof(s->err),
                         "database schema version %d is newer than this stepupd (%zu)", v,
                         N_MIGRATIONS);
                return -EPROTONOSUPPORT;
        }
        for (size_t i = (size_t)v; i < N_MIGRATIONS; i++) {
                char sql[64];
                int r = exec(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
                if ((r = exec(s, migrations[i])) < 0 || (r = exec(s, sql)) < 0 ||
                    (r = exec(s, "COMMIT")) < 0) {
                        exec(s, "ROLLBACK");
                        return r;
                }
        }
        return 0;
}

/* The database's directory must not let anyone else swap or remove the file (its WAL and
 * journal live there too): owned by us or root, not group/world-writable.  -EPERM if not. */
static int check_db_dir(const char *path)
{
        char dir[4096];
        const char *slash = strrchr(path, '/');
        size_t n = slash ? (size_t)(slash - path) : 0;
        if (n >= sizeof(dir))
                return -ENAMETOOLONG;
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else if (n == 0)
                snprintf(dir, sizeof(dir), "/");
        else
                snprintf(dir, sizeof(dir), "%.*s", (int)n, path);
        struct stat st;
        if (stat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) || (st.st_uid != geteuid() && st.st_uid != 0))
                return -EPERM;
        return 0;
}

int su_store_open(const char *path, struct su_store **ret)
{
        int dr = check_db_dir(path);
        if (dr < 0)
                return dr;
        struct su_store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        /* Create the file ourselves so it is 0600 whatever the umask and never a symlink. */
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                int e = errno;
                free(s);
                return -e;
        }
        struct stat st;
        int r = fstat(fd, &st) < 0 ? -errno : 0;
        if (r == 0 && !S_ISREG(st.st_mode))
                r = -EINVAL;
        if (r == 0 && (st.st_mode & 077) && fchmod(fd, 0600) < 0)
                r = -errno;
        close(fd);
        if (r < 0) {
                free(s);
                return r;
        }
        int sr = sqlite3_open_v2(
            path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
            NULL);
        if (sr != SQLITE_OK) {
                r = s->db ? fail(s, sr) : -ENOMEM;
                goto error;
        }
        sqlite3_busy_timeout(s->db, 2000);
        if ((r = exec(s, "PRAGMA journal_mode = WAL")) < 0 ||
            (r = exec(s, "PRAGMA synchronous = FULL")) < 0 ||
            (r = exec(s, "PRAGMA foreign_keys = ON")) < 0 ||
            (r = exec(s, "PRAGMA secure_delete = ON")) < 0 || (r = migrate(s)) < 0)
                goto error;
        *ret = s;
        return 0;
error:
        if (r == -EIO && s->err[0] == 0)
                snprintf(s->err, sizeof(s->err), "cannot open database");
        cache_free(s);
        sqlite3_close(s->db);
        free(s);
        return r;
}

struct su_store *su_store_close(struct su_store *s)
{
        if (s) {
                cache_free(s);
                sqlite3_close(s->db);
                free(s);
        }
        return NULL;
}

int su_store_totp_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "SELECT secret, algo, digits, period, window, last_step, active, "
                        "created_at FROM totp WHERE user = ?1",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                int n = sqlite3_column_bytes(st, 0);
                if (n < 1 || n > SU_TOTP_SECRET_MAX) {
                        r = -EBADMSG;
                } else {
                        memcpy(ret->secret, sqlite3_column_blob(st, 0), (size_t)n);
                        ret->secret_len = (size_t)n;
                        ret->params.algo = (enum su_totp_algo)sqlite3_column_int(st, 1);
                        ret->params.digits = (unsigned)sqlite3_column_int(st, 2);
                        ret->params.period = (unsigned)sqlite3_column_int(st, 3);
                        ret->params.window = (unsigned)sqlite3_column_int(st, 4);
                        ret->last_step = sqlite3_column_int64(st, 5);
                        ret->active = sqlite3_column_int(st, 6) != 0;
                        ret->created_at = sqlite3_column_int64(st, 7);
                        r = su_totp_params_check(&ret->params) < 0 ? -EBADMSG : 0;
                }
        } else if (sr == SQLITE_DONE) {
                r = -ENOENT;
        } else {
                r = fail(s, sr);
        }
        release(s, st);
        return r;
}

int su_store_totp_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "INSERT OR REPLACE INTO totp (user, secret, algo, digits, period, "
                        "window, last_step, active, created_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, row->secret, (int)row->secret_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)row->params.algo);
        sqlite3_bind_int(st, 4, (int)row->params.digits);
        sqlite3_bind_int(st, 5, (int)row->params.period);
        sqlite3_bind_int(st, 6, (int)row->params.window);
        sqlite3_bind_int64(st, 7, row->last_step);
        sqlite3_bind_int(st, 8, row->active ? 1 : 0);
        sqlite3_bind_int64(st, 9, row->created_at);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

int su_store_totp_delete(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, "DELETE FROM totp WHERE user = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        return step_done(s, st);
}

static int write_assurance(struct su_store *s, const char *user, const char *scope_key,
                           const struct su_assurance *a)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "INSERT OR REPLACE INTO assurance (user, scope_key, factors, "
                        "verified_at, verified_boot, last_seen_at, last_seen_boot, boot_id) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, a->factors);
        sqlite3_bind_int64(st, 4, a->verified_at);
        sqlite3_bind_int64(st, 5, a->verified_boot);
        sqlite3_bind_int64(st, 6, a->last_seen_at);
        sqlite3_bind_int64(st, 7, a->last_seen_boot);
        sqlite3_bind_text(st, 8, a->boot_id, -1, SQLITE_STATIC);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

static int reset_failures(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, "UPDATE failures SET consecutive = 0 WHERE user = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

int su_store_commit_totp(struct su_store *s, const char *user, int64_t step, const char *scope_key,
                         const struct su_assurance *grant)
{
        sqlite3_stmt *st;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        /* The step only moves forward: a concurrent or replayed use changes no row. */
        r = prepare(s,
                    "UPDATE totp SET last_step = ?2, active = 1 "
                    "WHERE user = ?1 AND last_step < ?2",
                    &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, step);
        r = step_done(s, st);
        if (r < 0)
                goto rollback;
        if (r == 0) {
                r = -EALREADY;
                goto rollback;
        }
        if ((r = reset_failures(s, user)) < 0)
                goto rollback;
        if (scope_key && (r = write_assurance(s, user, scope_key, grant)) < 0)
                goto rollback;
        su_fault_point("mid-commit");
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_assurance_get(struct su_store *s, const char *user, const char *scope_key,
                           struct su_assurance *ret)
{
        sqlite3_stmt *st;
        int r = prepare(s,
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
                const unsigned char *b = sqlite3_column_text(st, 5);
                snprintf(ret->boot_id, sizeof(ret->boot_id), "%s", b ? (const char *)b : "");
                r = 0;
        } else {
                r = sr == SQLITE_DONE ? -ENOENT : fail(s, sr);
        }
        release(s, st);
        return r;
}

int su_store_assurance_touch(struct su_store *s, const char *user, const char *scope_key,
                             int64_t now, int64_t boot)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "UPDATE assurance SET last_seen_at = ?3, last_seen_boot = ?4 "
                        "WHERE user = ?1 AND scope_key = ?2",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, boot);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

int su_store_assurance_revoke(struct su_store *s, const char *user, const char *scope_key)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        scope_key ? "DELETE FROM assurance WHERE user = ?1 AND scope_key = ?2"
                                  : "DELETE FROM assurance WHERE user = ?1",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        if (scope_key)
                sqlite3_bind_text(st, 2, scope_key, -1, SQLITE_STATIC);
        return step_done(s, st);
}

int su_store_assurance_count(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, "SELECT count(*) FROM assurance WHERE user = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        r = sr == SQLITE_ROW ? sqlite3_column_int(st, 0) : fail(s, sr);
        release(s, st);
        return r;
}

int su_store_failures_get(struct su_store *s, const char *user, struct su_failures *ret)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "SELECT consecutive, window_start, window_count, last_failure_at "
                        "FROM failures WHERE user = ?1",
                        &st);
        if (r < 0)
                return r;
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
                r = sr == SQLITE_DONE ? 0 : fail(s, sr);
        }
        release(s, st);
        return r;
}

static int ensure_failures_row(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, "INSERT OR IGNORE INTO failures (user) VALUES (?1)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

int su_store_note_attempt(struct su_store *s, const char *user, int64_t now, int64_t window_s,
                          struct su_failures *ret)
{
        sqlite3_stmt *st;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if ((r = ensure_failures_row(s, user)) < 0)
                goto rollback;
        /* A window from the future (clock set back) is treated as current, never as expired. */
        r = prepare(s,
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
        sqlite3_bind_int64(st, 3, window_s);
        if ((r = step_done(s, st)) < 0)
                goto rollback;
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return su_store_failures_get(s, user, ret);
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_note_failure(struct su_store *s, const char *user, int64_t now,
                          struct su_failures *ret)
{
        sqlite3_stmt *st;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if ((r = ensure_failures_row(s, user)) < 0)
                goto rollback;
        r = prepare(s,
                    "UPDATE failures SET consecutive = consecutive + 1, last_failure_at = ?2 "
                    "WHERE user = ?1",
                    &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        if ((r = step_done(s, st)) < 0)
                goto rollback;
        su_fault_point("mid-failure");
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return su_store_failures_get(s, user, ret);
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_failures_reset(struct su_store *s, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, "UPDATE failures SET consecutive = 0, window_count = 0 WHERE user = ?1",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

/* Runs sql (no rows) with the user bound to ?1. */
static int exec_user(struct su_store *s, const char *sql, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        return step_done(s, st);
}

/* Replaces every (key, hash) row of the user in one transaction: questions and recovery. */
static int replace_hashes(struct su_store *s, const char *user, const char *del_sql,
                          const char *ins_sql, const char *const *keys, const char *const *hashes,
                          size_t n)
{
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if ((r = exec_user(s, del_sql, user)) < 0)
                goto rollback;
        for (size_t i = 0; i < n; i++) {
                sqlite3_stmt *st;
                if ((r = prepare(s, ins_sql, &st)) < 0)
                        goto rollback;
                sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, keys[i], -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, hashes[i], -1, SQLITE_STATIC);
                if ((r = step_done(s, st)) < 0)
                        goto rollback;
        }
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_questions_set(struct su_store *s, const char *user, const struct su_answer_row *rows,
                           size_t n)
{
        const char *keys[SU_QUESTIONS_PER_USER_MAX], *hashes[SU_QUESTIONS_PER_USER_MAX];
        if (n > SU_QUESTIONS_PER_USER_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                keys[i] = rows[i].qid;
                hashes[i] = rows[i].hash;
        }
        return replace_hashes(s, user, "DELETE FROM questions WHERE user = ?1",
                              "INSERT INTO questions (user, qid, hash, created_at) "
                              "VALUES (?1, ?2, ?3, strftime('%s', 'now'))",
                              keys, hashes, n);
}

int su_store_questions_get(struct su_store *s, const char *user, struct su_answer_row *out,
                           size_t max)
{
        sqlite3_stmt *st;
        int r = prepare(s, "SELECT qid, hash FROM questions WHERE user = ?1 ORDER BY qid", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        size_t n = 0;
        int sr;
        while ((sr = sqlite3_step(st)) == SQLITE_ROW && n < max) {
                snprintf(out[n].qid, sizeof(out[n].qid), "%s",
                         (const char *)sqlite3_column_text(st, 0));
                snprintf(out[n].hash, sizeof(out[n].hash), "%s",
                         (const char *)sqlite3_column_text(st, 1));
                n++;
        }
        r = sr == SQLITE_ROW || sr == SQLITE_DONE ? (int)n : fail(s, sr);
        release(s, st);
        return r;
}

int su_store_recovery_set(struct su_store *s, const char *user, const struct su_recovery_row *rows,
                          size_t n)
{
        const char *keys[SU_RECOVERY_CODES_MAX], *hashes[SU_RECOVERY_CODES_MAX];
        if (n > SU_RECOVERY_CODES_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                keys[i] = rows[i].tag;
                hashes[i] = rows[i].hash;
        }
        return replace_hashes(s, user, "DELETE FROM recovery WHERE user = ?1",
                              "INSERT INTO recovery (user, tag, hash, created_at) "
                              "VALUES (?1, ?2, ?3, strftime('%s', 'now'))",
                              keys, hashes, n);
}

int su_store_recovery_get(struct su_store *s, const char *user, const char *tag,
                          struct su_recovery_row *ret)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "SELECT tag, hash, used_at IS NOT NULL FROM recovery "
                        "WHERE user = ?1 AND tag = ?2",
                        &st);
        if (r < 0)
                return r;
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
                r = sr == SQLITE_DONE ? -ENOENT : fail(s, sr);
        }
        release(s, st);
        return r;
}

static int count_user(struct su_store *s, const char *sql, const char *user)
{
        sqlite3_stmt *st;
        int r = prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        r = sr == SQLITE_ROW ? sqlite3_column_int(st, 0) : fail(s, sr);
        release(s, st);
        return r;
}

int su_store_recovery_unused(struct su_store *s, const char *user)
{
        return count_user(s, "SELECT count(*) FROM recovery WHERE user = ?1 AND used_at IS NULL",
                          user);
}

int su_store_recovery_consume(struct su_store *s, const char *user, const char *tag, int64_t now,
                              const char *scope_key, const struct su_assurance *grant)
{
        sqlite3_stmt *st;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = prepare(s,
                    "UPDATE recovery SET used_at = ?3 "
                    "WHERE user = ?1 AND tag = ?2 AND used_at IS NULL",
                    &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now);
        if ((r = step_done(s, st)) < 0)
                goto rollback;
        if (r == 0) {
                r = -EALREADY;
                goto rollback;
        }
        if ((r = reset_failures(s, user)) < 0)
                goto rollback;
        if (scope_key && (r = write_assurance(s, user, scope_key, grant)) < 0)
                goto rollback;
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_grant(struct su_store *s, const char *user, const char *scope_key,
                   const struct su_assurance *grant)
{
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if ((r = reset_failures(s, user)) < 0)
                goto rollback;
        if (scope_key && (r = write_assurance(s, user, scope_key, grant)) < 0)
                goto rollback;
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

/* Factor bits as in policy.h; kept numeric here so the store does not depend on policy/. */
#define BIT_TOTP (1u << 0)
#define BIT_QUESTION (1u << 1)
#define BIT_RECOVERY (1u << 2)

int su_store_enrolled(struct su_store *s, const char *user, uint32_t *ret)
{
        uint32_t bits = 0;
        int n = count_user(s, "SELECT count(*) FROM totp WHERE user = ?1 AND active = 1", user);
        if (n < 0)
                return n;
        if (n > 0)
                bits |= BIT_TOTP;
        n = count_user(s, "SELECT count(*) FROM questions WHERE user = ?1", user);
        if (n < 0)
                return n;
        if (n > 0)
                bits |= BIT_QUESTION;
        n = su_store_recovery_unused(s, user);
        if (n < 0)
                return n;
        if (n > 0)
                bits |= BIT_RECOVERY;
        *ret = bits;
        return 0;
}

int su_store_reset(struct su_store *s, const char *user, uint32_t mask)
{
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        if ((mask & BIT_TOTP) &&
            ((r = exec_user(s, "DELETE FROM totp WHERE user = ?1", user)) < 0 ||
             (r = exec_user(s, "DELETE FROM totp_pending WHERE user = ?1", user)) < 0))
                goto rollback;
        if ((mask & BIT_QUESTION) &&
            (r = exec_user(s, "DELETE FROM questions WHERE user = ?1", user)) < 0)
                goto rollback;
        if ((mask & BIT_RECOVERY) &&
            (r = exec_user(s, "DELETE FROM recovery WHERE user = ?1", user)) < 0)
                goto rollback;
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_forget(struct su_store *s, const char *user)
{
        static const char *const sql[] = {
            "DELETE FROM totp_pending WHERE user = ?1", "DELETE FROM totp WHERE user = ?1",
            "DELETE FROM assurance WHERE user = ?1",    "DELETE FROM failures WHERE user = ?1",
            "DELETE FROM questions WHERE user = ?1",    "DELETE FROM recovery WHERE user = ?1",
        };
        int total = 0;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
                if ((r = exec_user(s, sql[i], user)) < 0)
                        goto rollback;
                total += r;
        }
        if ((r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return total;
rollback:
        exec(s, "ROLLBACK");
        return r;
}

int su_store_list_users(struct su_store *s, int (*fn)(const char *user, void *data), void *data)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "SELECT user FROM totp UNION SELECT user FROM questions "
                        "UNION SELECT user FROM recovery ORDER BY 1",
                        &st);
        if (r < 0)
                return r;
        int sr;
        r = 0;
        while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
                r = fn((const char *)sqlite3_column_text(st, 0), data);
                if (r < 0)
                        break;
        }
        if (r >= 0 && sr != SQLITE_DONE && sr != SQLITE_ROW)
                r = fail(s, sr);
        release(s, st);
        return r < 0 ? r : 0;
}

int su_store_totp_pending_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "INSERT OR REPLACE INTO totp_pending (user, secret, algo, digits, period, "
                        "window, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, row->secret, (int)row->secret_len, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int)row->params.algo);
        sqlite3_bind_int(st, 4, (int)row->params.digits);
        sqlite3_bind_int(st, 5, (int)row->params.period);
        sqlite3_bind_int(st, 6, (int)row->params.window);
        sqlite3_bind_int64(st, 7, row->created_at);
        r = step_done(s, st);
        return r < 0 ? r : 0;
}

int su_store_totp_pending_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        sqlite3_stmt *st;
        int r = prepare(s,
                        "SELECT secret, algo, digits, period, window, created_at "
                        "FROM totp_pending WHERE user = ?1",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr = sqlite3_step(st);
        if (sr == SQLITE_ROW) {
                int n = sqlite3_column_bytes(st, 0);
                if (n < 1 || n > SU_TOTP_SECRET_MAX) {
                        r = -EBADMSG;
                } else {
                        memset(ret, 0, sizeof(*ret));
                        memcpy(ret->secret, sqlite3_column_blob(st, 0), (size_t)n);
                        ret->secret_len = (size_t)n;
                        ret->params.algo = (enum su_totp_algo)sqlite3_column_int(st, 1);
                        ret->params.digits = (unsigned)sqlite3_column_int(st, 2);
                        ret->params.period = (unsigned)sqlite3_column_int(st, 3);
                        ret->params.window = (unsigned)sqlite3_column_int(st, 4);
                        ret->created_at = sqlite3_column_int64(st, 5);
                        ret->last_step = -1;
                        ret->active = false;
                        r = su_totp_params_check(&ret->params) < 0 ? -EBADMSG : 0;
                }
        } else {
                r = sr == SQLITE_DONE ? -ENOENT : fail(s, sr);
        }
        release(s, st);
        return r;
}

int su_store_totp_activate(struct su_store *s, const char *user, int64_t step)
{
        sqlite3_stmt *st;
        int r = exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = prepare(s,
                    "INSERT OR REPLACE INTO totp (user, secret, algo, digits, period, window, "
                    "last_step, active, created_at) "
                    "SELECT user, secret, algo, digits, period, window, ?2, 1, created_at "
                    "FROM totp_pending WHERE user = ?1",
                    &st);
        if (r < 0)
                goto rollback;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, step);
        if ((r = step_done(s, st)) < 0)
                goto rollback;
        if (r == 0) {
                r = -ENOENT;
                goto rollback;
        }
        if ((r = exec_user(s, "DELETE FROM totp_pending WHERE user = ?1", user)) < 0 ||
            (r = reset_failures(s, user)) < 0 || (r = exec(s, "COMMIT")) < 0)
                goto rollback;
        return 0;
rollback:
        exec(s, "ROLLBACK");
        return r;
}
