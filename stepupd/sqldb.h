/* One SQLite connection of stepupd: the file (0600, O_NOFOLLOW, a safe directory), WAL,
 * synchronous=FULL, the schema migrations, and a cache of prepared statements.
 * Each thread of the daemon opens its own.  Never logs; negative errno (-EIO for a database
 * error, with su_sqldb_errmsg()). */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#define SU_SQLDB_SCHEMA_VERSION 4

struct su_sqldb;

/* On error, err (may be NULL) gets SQLite's message when there is one. */
int su_sqldb_open(const char *path, struct su_sqldb **ret, char *err, size_t errsize);
struct su_sqldb *su_sqldb_close(struct su_sqldb *d);
const char *su_sqldb_errmsg(const struct su_sqldb *d);
int su_sqldb_schema_version(struct su_sqldb *d);

/* A statement for sql (kept for reuse while the connection lives); release it after use. */
int su_sqldb_prepare(struct su_sqldb *d, const char *sql, sqlite3_stmt **ret);
void su_sqldb_release(struct su_sqldb *d, sqlite3_stmt *st);
/* Steps a statement that returns no rows and releases it: the number of changed rows. */
int su_sqldb_step_done(struct su_sqldb *d, sqlite3_stmt *st);
/* Steps a statement that returns one integer (count(*)) and releases it. */
int su_sqldb_step_int(struct su_sqldb *d, sqlite3_stmt *st);
/* The result of a failed sqlite3 call as negative errno (the message kept for errmsg). */
int su_sqldb_fail(struct su_sqldb *d, int sqlite_rc);
int su_sqldb_exec(struct su_sqldb *d, const char *sql);
/* sql with the user bound to ?1, no rows: the number of changed rows. */
int su_sqldb_exec_user(struct su_sqldb *d, const char *sql, const char *user);
/* Write transactions take the lock at once (BEGIN IMMEDIATE): two connections never both
 * read and then both try to write. */
int su_sqldb_begin(struct su_sqldb *d);
int su_sqldb_commit(struct su_sqldb *d);
void su_sqldb_rollback(struct su_sqldb *d);
