#include "sqldb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prepared statements are kept for reuse: one parse per SQL text for the connection's life
 * instead of one per call.  A slot is found by the text's address and confirmed by the text
 * itself, so a reused buffer can never bring back another statement; a slot in use is never
 * handed out twice (a nested use prepares a private statement). */
#define STMT_CACHE_MAX 64
struct stmt_slot {
        const char *key; /* the caller's SQL pointer */
        char *text;      /* our copy of the SQL */
        sqlite3_stmt *st;
        bool busy;
};

struct su_sqldb {
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
    /* v4: who changed which factor, when, from which host (the same log the fleet keeps). */
    "CREATE TABLE factor_log ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL, user TEXT NOT NULL, factor TEXT NOT NULL,"
    "  change TEXT NOT NULL, by_uid INTEGER NOT NULL, host TEXT NOT NULL);"
    "CREATE INDEX factor_log_user ON factor_log (user, at);",
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == SU_SQLDB_SCHEMA_VERSION, "one migration per schema version");

int su_sqldb_fail(struct su_sqldb *d, int r)
{
        snprintf(d->err, sizeof(d->err), "%s", sqlite3_errmsg(d->db));
        if (r == SQLITE_BUSY || r == SQLITE_LOCKED)
                return -EBUSY;
        if (r == SQLITE_FULL)
                return -ENOSPC;
        if (r == SQLITE_NOMEM)
                return -ENOMEM;
        return -EIO;
}

const char *su_sqldb_errmsg(const struct su_sqldb *d)
{
        return d && d->err[0] ? d->err : "no error";
}

int su_sqldb_exec(struct su_sqldb *d, const char *sql)
{
        int r = sqlite3_exec(d->db, sql, NULL, NULL, NULL);
        return r == SQLITE_OK ? 0 : su_sqldb_fail(d, r);
}

int su_sqldb_prepare(struct su_sqldb *d, const char *sql, sqlite3_stmt **st)
{
        bool known = false;
        for (size_t i = 0; i < d->ncache; i++) {
                struct stmt_slot *c = &d->cache[i];
                if (c->key != sql || strcmp(c->text, sql) != 0)
                        continue;
                known = true;
                if (!c->busy) {
                        c->busy = true;
                        *st = c->st;
                        return 0;
                }
        }
        bool keep = !known && d->ncache < STMT_CACHE_MAX;
        int r = sqlite3_prepare_v3(d->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, st, NULL);
        if (r != SQLITE_OK)
                return su_sqldb_fail(d, r);
        char *text = keep ? strdup(sql) : NULL;
        if (text)
                d->cache[d->ncache++] = (struct stmt_slot){sql, text, *st, true};
        return 0;
}

/* A kept statement is reset (its bindings, which point at the caller's strings, cleared),
 * any other finalized. */
void su_sqldb_release(struct su_sqldb *d, sqlite3_stmt *st)
{
        for (size_t i = 0; i < d->ncache; i++) {
                if (d->cache[i].st == st) {
                        sqlite3_reset(st);
                        sqlite3_clear_bindings(st);
                        d->cache[i].busy = false;
                        return;
                }
        }
        sqlite3_finalize(st);
}

static void cache_free(struct su_sqldb *d)
{
        for (size_t i = 0; i < d->ncache; i++) {
                sqlite3_finalize(d->cache[i].st);
                free(d->cache[i].text);
        }
        d->ncache = 0;
}

int su_sqldb_step_done(struct su_sqldb *d, sqlite3_stmt *st)
{
        int r = sqlite3_step(st);
        int ret = r == SQLITE_DONE ? sqlite3_changes(d->db) : su_sqldb_fail(d, r);
        su_sqldb_release(d, st);
        return ret;
}

int su_sqldb_step_int(struct su_sqldb *d, sqlite3_stmt *st)
{
        int sr = sqlite3_step(st);
        int r = sr == SQLITE_ROW ? sqlite3_column_int(st, 0) : su_sqldb_fail(d, sr);
        su_sqldb_release(d, st);
        return r;
}

int su_sqldb_exec_user(struct su_sqldb *d, const char *sql, const char *user)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        return su_sqldb_step_done(d, st);
}

int su_sqldb_begin(struct su_sqldb *d)
{
        return su_sqldb_exec(d, "BEGIN IMMEDIATE");
}

int su_sqldb_commit(struct su_sqldb *d)
{
        return su_sqldb_exec(d, "COMMIT");
}

void su_sqldb_rollback(struct su_sqldb *d)
{
        (void)sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
}

int su_sqldb_schema_version(struct su_sqldb *d)
{
        sqlite3_stmt *st;
        int r = su_sqldb_prepare(d, "PRAGMA user_version", &st);
        if (r < 0)
                return r;
        return su_sqldb_step_int(d, st);
}

static int migrate(struct su_sqldb *d)
{
        int r = su_sqldb_begin(d);
        if (r < 0)
                return r;
        /* Read inside the write lock: two connections opening together migrate once. */
        int v = su_sqldb_schema_version(d);
        if (v < 0) {
                r = v;
                goto rollback;
        }
        if ((size_t)v > N_MIGRATIONS) {
                snprintf(d->err, sizeof(d->err),
                         "database schema version %d is newer than this stepupd (%zu)", v,
                         N_MIGRATIONS);
                r = -EPROTONOSUPPORT;
                goto rollback;
        }
        for (size_t i = (size_t)v; i < N_MIGRATIONS; i++) {
                char sql[64];
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
                if ((r = su_sqldb_exec(d, migrations[i])) < 0 || (r = su_sqldb_exec(d, sql)) < 0)
                        goto rollback;
        }
        return su_sqldb_commit(d);
rollback:
        su_sqldb_rollback(d);
        return r;
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

int su_sqldb_open(const char *path, struct su_sqldb **ret, char *err, size_t errsize)
{
        int r = check_db_dir(path);
        if (r < 0)
                return r;
        struct su_sqldb *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        /* Create the file ourselves so it is 0600 whatever the umask and never a symlink.
         * Never open() and close() a database this process already has open: closing any
         * descriptor of a file drops every POSIX lock the process holds on it, and SQLite's
         * locks are what keep another process from deleting the WAL under our connections. */
        struct stat st;
        if (lstat(path, &st) < 0) {
                if (errno != ENOENT) {
                        r = -errno;
                        free(d);
                        return r;
                }
                int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && errno != EEXIST) {
                        r = -errno;
                        free(d);
                        return r;
                }
                if (fd >= 0)
                        close(fd);
                if (lstat(path, &st) < 0) {
                        r = -errno;
                        free(d);
                        return r;
                }
        }
        if (!S_ISREG(st.st_mode)) {
                free(d);
                return S_ISLNK(st.st_mode) ? -ELOOP : -EINVAL;
        }
        if ((st.st_mode & 077) && chmod(path, 0600) < 0) {
                r = -errno;
                free(d);
                return r;
        }
        /* One connection per thread: no SQLite mutexes needed inside a connection. */
        int sr = sqlite3_open_v2(
            path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
        if (sr != SQLITE_OK) {
                r = d->db ? su_sqldb_fail(d, sr) : -ENOMEM;
                goto error;
        }
        sqlite3_busy_timeout(d->db, 5000);
        if ((r = su_sqldb_exec(d, "PRAGMA journal_mode = WAL")) < 0 ||
            (r = su_sqldb_exec(d, "PRAGMA synchronous = FULL")) < 0 ||
            (r = su_sqldb_exec(d, "PRAGMA foreign_keys = ON")) < 0 ||
            (r = su_sqldb_exec(d, "PRAGMA secure_delete = ON")) < 0 || (r = migrate(d)) < 0)
                goto error;
        *ret = d;
        return 0;
error:
        if (r == -EIO && d->err[0] == 0)
                snprintf(d->err, sizeof(d->err), "cannot open database");
        if (err && errsize)
                snprintf(err, errsize, "%s", d->err);
        cache_free(d);
        sqlite3_close(d->db);
        free(d);
        return r;
}

struct su_sqldb *su_sqldb_close(struct su_sqldb *d)
{
        if (d) {
                cache_free(d);
                sqlite3_close(d->db);
                free(d);
        }
        return NULL;
}
