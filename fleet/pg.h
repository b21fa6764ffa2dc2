/* One PostgreSQL connection that never waits past a deadline: libpq's non-blocking API
 * (PQconnectStartParams/PQconnectPoll, PQsendQueryPrepared, PQflush, PQconsumeInput) with
 * poll() on the connection's socket.  Used by stepupd's store (store_pg.c, one per thread)
 * and stepupctl's fleet verbs.
 *
 * Several hosts in the connection string (host=a,b or a URI with a,b) are tried one by one,
 * each attempt with an equal share of what is left of the deadline, starting with the host
 * that answered last: a host that drops packets costs one attempt, not every one.  libpq
 * checks target_session_attrs on each.
 *
 * Errors are negative errno with a one-line message in p->err (never the password):
 *   -ETIMEDOUT  the deadline passed (the connection is closed: a late answer is never read)
 *   -ENOTCONN   no connection could be made, or it broke (closed too)
 *   -EPERM      the role lacks a right (SQLSTATE 42501)
 *   -EIO        any other error the server reported (the connection stays)
 * A connection that can no longer write (a standby after failover, SQLSTATE 25006) or that the
 * server is shutting down (class 57P) is closed too: the next call connects again.
 * Never logs. */
#pragma once

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SU_PG_STMT_MAX 64 /* prepared statements per connection (ids 0..63) */

struct su_pg {
        PGconn *conn;
        PQconninfoOption *opts; /* the parsed connection string */
        unsigned nhosts;        /* hosts listed (1 when the string names none or one) */
        unsigned next_host;     /* the host to try first: the one that answered last */
        uint64_t prepared;      /* bit i: statement i is prepared on this connection */
        bool ended;             /* the server said FATAL: this session is over */
        char sqlstate[6];       /* of the last server error, or "" */
        char err[512];
};

uint64_t su_pg_now_us(void); /* CLOCK_MONOTONIC */

/* Parses the connection string (key=value pairs or a postgresql:// URI).  -EINVAL with the
 * parser's message in p->err. */
int su_pg_init(struct su_pg *p, const char *conninfo);
void su_pg_done(struct su_pg *p);

/* Connects, unless connected and healthy (a connection the server closed while idle is
 * noticed here and replaced).  0, or negative errno as above. */
int su_pg_connect(struct su_pg *p, uint64_t deadline_us);
void su_pg_disconnect(struct su_pg *p);
/* Is the connection there and healthy?  One the server closed while it was idle (a restart,
 * a failover) is noticed here, without sending anything, and closed. */
bool su_pg_alive(struct su_pg *p);

/* Runs one statement: prepared on this connection under id on first use (id <
 * SU_PG_STMT_MAX), or sent unprepared when id is negative.  Text parameters unless formats
 * says binary; text results.  On success *ret holds the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; the caller clears it). */
int su_pg_exec(struct su_pg *p, int id, const char *sql, int nparams, const char *const *values,
               const int *lengths, const int *formats, uint64_t deadline_us, PGresult **ret);
/* A statement of a batch; res is its result after su_pg_batch() (the caller clears it). */
#define SU_PG_BATCH_MAX 8
struct su_pg_stmt {
        int id; /* as su_pg_exec's */
        const char *sql;
        int nparams;
        const char *const *values;
        const int *lengths, *formats;
        PGresult *res;
};
/* Runs the statements one after the other in one round trip (libpq's pipeline mode): BEGIN
 * and a first statement, or a last statement and COMMIT.  After an error PostgreSQL skips the
 * rest; the error is returned as su_pg_exec's and no result is left. */
int su_pg_batch(struct su_pg *p, struct su_pg_stmt *st, size_t n, uint64_t deadline_us);
/* A statement without parameters or rows (BEGIN, COMMIT, SET ...). */
int su_pg_command(struct su_pg *p, const char *sql, uint64_t deadline_us);
/* Rolls back whatever transaction is open; a failure closes the connection. */
void su_pg_rollback(struct su_pg *p, uint64_t deadline_us);

/* A bytea column of a text result, decoded; -EBADMSG when it does not fit in max. */
int su_pg_bytea(const PGresult *res, int row, int col, uint8_t *out, size_t max, size_t *ret_len);
int64_t su_pg_int(const PGresult *res, int row, int col);
