/* The shared state of a fleet in PostgreSQL (store = postgresql:CONNINFO), through libpq.
 *
 * One connection per thread, made when first needed and checked before use (fleet/schema.h:
 * schema version, fleet key, the role's rights).  Every call waits at most store_timeout,
 * connecting and querying together (fleet/pg.h); while PostgreSQL is unreachable the threads
 * share a back-off (store_stats.h) and fail at once in between, and the next attempt after it
 * reconnects by itself.
 *
 * Every decision about a code is one atomic statement: a TOTP step is consumed by an UPDATE
 * that moves last_step only forward, a recovery code by an UPDATE of an unused row, a failure
 * counted by an upsert; the admission of an attempt reads the counters FOR UPDATE (the upsert
 * that locks the row) and applies su_failures_wait() in one transaction.  Grants go to this
 * host's SQLite only after PostgreSQL has committed.  TOTP secrets are sealed with the fleet
 * key (fleet/fleet_key.h), the user name as associated data. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fleet_key.h"
#include "pg.h"
#include "schema.h"
#include "store.h"
#include "store_backends.h"

enum stmt {
        Q_TOTP_GET,
        Q_TOTP_PUT,
        Q_PENDING_PUT,
        Q_PENDING_GET,
        Q_ACTIVATE,
        Q_CONSUME,
        Q_QUESTIONS_DEL,
        Q_QUESTIONS_ADD,
        Q_QUESTIONS_GET,
        Q_RECOVERY_DEL,
        Q_RECOVERY_ADD,
        Q_RECOVERY_GET,
        Q_RECOVERY_UNUSED,
        Q_RECOVERY_CONSUME,
        Q_SUCCESS,
        Q_FAILURES_GET,
        Q_ATTEMPT_LOCK,
        Q_ATTEMPT_COUNT,
        Q_NOTE_FAILURE,
        Q_FAILURES_RESET,
        Q_DEL_TOTP,
        Q_DEL_QUESTIONS,
        Q_DEL_RECOVERY,
        Q_FORGET,
        Q_LIST_USERS,
        Q_LOG_CHANGE,
        Q_REVOKE_ADD,
        Q_REVOKED_SINCE,
        Q_MAX_
};

#define TOTP_COLS "nonce, secret, algo, digits, period, step_window, created_at"

/* A success ends the user's run of failures in the same statement. */
#define RESET_FAILURES_IF(cte)                                                                     \
        "f AS (UPDATE stepup.failures SET consecutive = 0 WHERE username = $1 "                    \
        "AND EXISTS (SELECT 1 FROM " cte ")) "

/* The revocation list is read in pages of REVOKED_PAGE rows, in (revoked_at, id) order; one
 * look reads at most REVOKED_PAGES_MAX pages and the next goes on from there. */
#define REVOKED_PAGE 1000
#define REVOKED_PAGE_S "1000"
#define REVOKED_PAGES_MAX 1000
/* Each look starts this far before the database's time of the previous one: a reset is
 * visible from its COMMIT but carries the time of its INSERT, and a commit held up (by a
 * synchronous standby, say) for up to this long is still seen. */
#define REVOKED_LOOKBACK_S 600

static const char *const sql[Q_MAX_] = {
    [Q_TOTP_GET] = "SELECT " TOTP_COLS ", last_step, active FROM stepup.totp "
                   "WHERE username = $1",
    [Q_TOTP_PUT] = "INSERT INTO stepup.totp (username, " TOTP_COLS ", last_step, active) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                   "ON CONFLICT (username) DO UPDATE SET nonce = EXCLUDED.nonce, "
                   "secret = EXCLUDED.secret, algo = EXCLUDED.algo, digits = EXCLUDED.digits, "
                   "period = EXCLUDED.period, step_window = EXCLUDED.step_window, "
                   "created_at = EXCLUDED.created_at, last_step = EXCLUDED.last_step, "
                   "active = EXCLUDED.active",
    [Q_PENDING_PUT] = "INSERT INTO stepup.totp_pending (username, " TOTP_COLS ") "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                      "ON CONFLICT (username) DO UPDATE SET nonce = EXCLUDED.nonce, "
                      "secret = EXCLUDED.secret, algo = EXCLUDED.algo, "
                      "digits = EXCLUDED.digits, period = EXCLUDED.period, "
                      "step_window = EXCLUDED.step_window, created_at = EXCLUDED.created_at",
    [Q_PENDING_GET] = "SELECT " TOTP_COLS " FROM stepup.totp_pending WHERE username = $1",
    /* The pending secret replaces the active one (a race of two confirmations: the second
     * finds nothing to move). */
    [Q_ACTIVATE] = "WITH p AS (DELETE FROM stepup.totp_pending WHERE username = $1 "
                   "RETURNING *), "
                   "t AS (INSERT INTO stepup.totp (username, " TOTP_COLS ", last_step, active) "
                   "SELECT username, " TOTP_COLS ", $2::bigint, true FROM p "
                   "ON CONFLICT (username) DO UPDATE SET nonce = EXCLUDED.nonce, "
                   "secret = EXCLUDED.secret, algo = EXCLUDED.algo, digits = EXCLUDED.digits, "
                   "period = EXCLUDED.period, step_window = EXCLUDED.step_window, "
                   "created_at = EXCLUDED.created_at, last_step = EXCLUDED.last_step, "
                   "active = true RETURNING 1), " RESET_FAILURES_IF("t") "SELECT count(*) FROM t",
    /* A code is accepted once in the whole fleet: the step only moves forward, and of two
     * hosts racing for it the second finds the condition false once the first commits. */
    [Q_CONSUME] = "WITH t AS (UPDATE stepup.totp SET last_step = $2, active = true "
                  "WHERE username = $1 AND last_step < $2 RETURNING 1), " RESET_FAILURES_IF(
                      "t") "SELECT count(*) FROM t",
    [Q_QUESTIONS_DEL] = "DELETE FROM stepup.questions WHERE username = $1",
    [Q_QUESTIONS_ADD] = "INSERT INTO stepup.questions (username, qid, hash, created_at) "
                        "VALUES ($1, $2, $3, $4)",
    [Q_QUESTIONS_GET] = "SELECT qid, hash FROM stepup.questions WHERE username = $1 "
                        "ORDER BY qid LIMIT 16",
    [Q_RECOVERY_DEL] = "DELETE FROM stepup.recovery WHERE username = $1",
    [Q_RECOVERY_ADD] = "INSERT INTO stepup.recovery (username, tag, hash, created_at) "
                       "VALUES ($1, $2, $3, $4)",
    [Q_RECOVERY_GET] = "SELECT tag, hash, used_at IS NOT NULL FROM stepup.recovery "
                       "WHERE username = $1 AND tag = $2",
    [Q_RECOVERY_UNUSED] = "SELECT count(*) FROM stepup.recovery "
                          "WHERE username = $1 AND used_at IS NULL",
    /* Each recovery code is spent once in the whole fleet. */
    [Q_RECOVERY_CONSUME] = "WITH t AS (UPDATE stepup.recovery SET used_at = $3 "
                           "WHERE username = $1 AND tag = $2 AND used_at IS NULL "
                           "RETURNING 1), " RESET_FAILURES_IF("t") "SELECT count(*) FROM t",
    [Q_SUCCESS] = "UPDATE stepup.failures SET consecutive = 0 WHERE username = $1",
    [Q_FAILURES_GET] = "SELECT consecutive, window_start, window_count, last_failure_at "
                       "FROM stepup.failures WHERE username = $1",
    /* The counters, read and locked until the transaction ends (the row made if missing). */
    [Q_ATTEMPT_LOCK] = "INSERT INTO stepup.failures AS x (username) VALUES ($1) "
                       "ON CONFLICT (username) DO UPDATE SET username = x.username "
                       "RETURNING consecutive, window_start, window_count, last_failure_at",
    /* A window from the future (clock set back) is treated as current, never as expired. */
    [Q_ATTEMPT_COUNT] = "UPDATE stepup.failures SET "
                        "window_count = CASE WHEN $2::bigint >= window_start + $3::bigint "
                        "THEN 1 ELSE window_count + 1 END, "
                        "window_start = CASE WHEN $2::bigint >= window_start + $3::bigint "
                        "THEN $2::bigint ELSE window_start END "
                        "WHERE username = $1 "
                        "RETURNING consecutive, window_start, window_count, last_failure_at",
    [Q_NOTE_FAILURE] = "INSERT INTO stepup.failures AS x (username, consecutive, "
                       "last_failure_at) VALUES ($1, 1, $2) "
                       "ON CONFLICT (username) DO UPDATE SET consecutive = x.consecutive + 1, "
                       "last_failure_at = EXCLUDED.last_failure_at "
                       "RETURNING consecutive, window_start, window_count, last_failure_at",
    [Q_FAILURES_RESET] = "UPDATE stepup.failures SET consecutive = 0, window_count = 0 "
                         "WHERE username = $1",
    [Q_DEL_TOTP] = "WITH p AS (DELETE FROM stepup.totp_pending WHERE username = $1) "
                   "DELETE FROM stepup.totp WHERE username = $1",
    [Q_DEL_QUESTIONS] = "DELETE FROM stepup.questions WHERE username = $1",
    [Q_DEL_RECOVERY] = "DELETE FROM stepup.recovery WHERE username = $1",
    [Q_FORGET] = "WITH a AS (DELETE FROM stepup.totp WHERE username = $1 RETURNING 1), "
                 "b AS (DELETE FROM stepup.totp_pending WHERE username = $1 RETURNING 1), "
                 "c AS (DELETE FROM stepup.failures WHERE username = $1 RETURNING 1), "
                 "d AS (DELETE FROM stepup.questions WHERE username = $1 RETURNING 1), "
                 "e AS (DELETE FROM stepup.recovery WHERE username = $1 RETURNING 1), "
                 "g AS (DELETE FROM stepup.factor_log WHERE username = $1 RETURNING 1) "
                 "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + "
                 "(SELECT count(*) FROM c) + (SELECT count(*) FROM d) + "
                 "(SELECT count(*) FROM e) + (SELECT count(*) FROM g)",
    [Q_LIST_USERS] = "SELECT username FROM stepup.totp UNION SELECT username FROM "
                     "stepup.totp_pending UNION SELECT username FROM stepup.questions "
                     "UNION SELECT username FROM stepup.recovery ORDER BY 1",
    [Q_LOG_CHANGE] = "INSERT INTO stepup.factor_log (changed_at, username, factor, change, "
                     "by_uid, host) VALUES (floor(extract(epoch FROM clock_timestamp())), "
                     "$1, $2, $3, $4, $5)",
    /* The database's clock for every host; rows older than any grant can live go on the way. */
    /* Inserted only while the database's key check is this host's: a host with an old key
     * (during a rotate-key) would write a tag nobody else matches.  The caller holds the
     * migrations' advisory lock shared, so a rotation is never half-way. */
    [Q_REVOKE_ADD] = "WITH old AS (DELETE FROM stepup.revocations WHERE revoked_at < "
                     "floor(extract(epoch FROM clock_timestamp()))::bigint - $3::bigint) "
                     "INSERT INTO stepup.revocations (user_tag, revoked_at, host) "
                     "SELECT $1::bytea, floor(extract(epoch FROM clock_timestamp())), $2 "
                     "FROM stepup.meta WHERE id = 1 AND key_check = $4::bytea RETURNING 1",
    /* Always one row: the database's time and key check, then a page of the revocations
     * after ($1, $2) in (revoked_at, id) order, if any. */
    [Q_REVOKED_SINCE] = "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint, "
                        "(SELECT key_check FROM stepup.meta WHERE id = 1), "
                        "r.user_tag, r.revoked_at, r.id FROM (SELECT 1) AS one "
                        "LEFT JOIN stepup.revocations AS r "
                        "ON (r.revoked_at, r.id) > ($1::bigint, $2::bigint) "
                        "ORDER BY r.revoked_at, r.id LIMIT " REVOKED_PAGE_S,
};

struct pg_store {
        struct su_store base;
        struct su_pg pg;
        struct su_store_stats *stats;
        const char *key_path;
        const char *host; /* this host's name, in the revocations it adds */
        unsigned timeout_ms;
        bool was_connected; /* a connection now is a reconnect */
        uint8_t key[SU_FLEET_KEY_LEN];
        uint8_t check[SU_FLEET_CHECK_LEN];
};

static struct pg_store *pgs(struct su_store *s)
{
        return (struct pg_store *)s;
}

__attribute__((format(printf, 3, 4))) static int fail(struct pg_store *s, int r, const char *fmt,
                                                      ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->base.err, sizeof(s->base.err), fmt, ap);
        va_end(ap);
        return r;
}

/* The fleet key, read again for each new connection: a key replaced on disk after `stepupctl
 * fleet rotate-key` is taken without a restart. */
static int load_key(struct pg_store *s, char *why, size_t size)
{
        char reason[200];
        int r = su_fleet_key_read(s->key_path, geteuid(), s->key, reason, sizeof(reason));
        if (r < 0) {
                snprintf(why, size, "fleet_key %s: %s", s->key_path, reason);
                return r;
        }
        su_fleet_key_check(s->key, s->check);
        return 0;
}

/* A usable connection: the one this thread has if it is alive, else a new one (unless the
 * back-off says to wait), checked before it serves. */
static int ready(struct pg_store *s, uint64_t deadline_us)
{
        bool had = s->pg.conn != NULL;
        if (had && su_pg_alive(&s->pg))
                return 0;
        if (had)
                su_store_stats_down(s->stats, -ENOTCONN, "connection lost", true);
        unsigned wait_ms;
        if (!su_store_stats_may_connect(s->stats, &wait_ms)) {
                struct su_store_health h;
                su_store_stats_snapshot(s->stats, &h);
                return fail(s, -ENOTCONN, "PostgreSQL unreachable (next attempt in %u ms): %s",
                            wait_ms, h.last_error);
        }
        char why[sizeof(s->base.err)];
        int r = load_key(s, why, sizeof(why));
        if (r == 0) {
                r = su_pg_connect(&s->pg, deadline_us);
                if (r == 0)
                        r = su_pg_schema_check(&s->pg, s->check, s->timeout_ms, deadline_us);
                if (r < 0) {
                        snprintf(why, sizeof(why), "store: %.480s", s->pg.err);
                        su_pg_disconnect(&s->pg);
                }
        }
        if (r < 0) {
                su_store_stats_down(s->stats, r, why, false);
                return fail(s, r, "%s", why);
        }
        su_store_stats_connected(s->stats, s->was_connected);
        s->was_connected = true;
        return 0;
}

static uint64_t deadline(const struct pg_store *s)
{
        return su_pg_now_us() + (uint64_t)s->timeout_ms * 1000u;
}

/* The end of one timed round trip: counted, and an error's message kept. */
static int timed(struct pg_store *s, uint64_t t0, int r)
{
        su_store_stats_round_trip(s->stats, su_pg_now_us() - t0, r);
        if (r < 0) {
                fail(s, r, "store: %.480s", s->pg.err);
                if (!s->pg.conn)
                        su_store_stats_down(s->stats, r, s->base.err, true);
        }
        return r;
}

/* One statement, timed; an error's message goes to the store's. */
static int run(struct pg_store *s, enum stmt id, int n, const char *const *values,
               const int *lengths, const int *formats, uint64_t deadline_us, PGresult **ret)
{
        PGresult *res = NULL;
        uint64_t t0 = su_pg_now_us();
        int r = timed(
            s, t0,
            su_pg_exec(&s->pg, (int)id, sql[id], n, values, lengths, formats, deadline_us, &res));
        if (r < 0)
                return r;
        if (ret)
                *ret = res;
        else
                PQclear(res);
        return 0;
}

/* A statement about one user that returns at most one row. */
static int run_user(struct pg_store *s, enum stmt id, const char *user, uint64_t deadline_us,
                    PGresult **ret)
{
        const char *values[1] = {user};
        return run(s, id, 1, values, NULL, NULL, deadline_us, ret);
}

/* One statement about one user, on a connection made ready first, within one deadline. */
static int ask_user(struct pg_store *s, enum stmt id, const char *user, PGresult **ret)
{
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        return r < 0 ? r : run_user(s, id, user, dl, ret);
}

static int command(struct pg_store *s, const char *what, uint64_t deadline_us)
{
        uint64_t t0 = su_pg_now_us();
        return timed(s, t0, su_pg_command(&s->pg, what, deadline_us));
}

static int begin(struct pg_store *s, uint64_t deadline_us)
{
        return command(s, "BEGIN", deadline_us);
}

static int commit(struct pg_store *s, uint64_t deadline_us)
{
        return command(s, "COMMIT", deadline_us);
}

/* Statements sent together, one round trip (fleet/pg.h, su_pg_batch). */
static int batch(struct pg_store *s, struct su_pg_stmt *st, size_t n, uint64_t deadline_us)
{
        uint64_t t0 = su_pg_now_us();
        return timed(s, t0, su_pg_batch(&s->pg, st, n, deadline_us));
}

static void rollback(struct pg_store *s, uint64_t deadline_us)
{
        su_pg_rollback(&s->pg, deadline_us);
}

/* The grant, on this host, once PostgreSQL has committed what earned it. */
static int grant_local(struct pg_store *s, const char *user, const struct su_grant *grant)
{
        if (!grant)
                return 0;
        int r = su_local_assurance_put(s->base.local, user, grant);
        return r < 0 ? fail(s, r, "local database: %s", su_sqldb_errmsg(s->base.local)) : 0;
}

static void pg_close(struct su_store *s)
{
        struct pg_store *p = pgs(s);
        su_pg_done(&p->pg);
        explicit_bzero(p->key, sizeof(p->key));
        free(p);
}

static int pg_check(struct su_store *s)
{
        struct pg_store *p = pgs(s);
        return ready(p, deadline(p));
}

/* A TOTP row: the sealed secret opened with the fleet key, the user name as associated
 * data. */
static int read_totp(struct pg_store *s, const char *user, PGresult *res, struct su_totp_row *ret)
{
        uint8_t nonce[SU_FLEET_NONCE_LEN], ct[SU_TOTP_SECRET_MAX + SU_FLEET_TAG_LEN];
        size_t nlen = 0, clen = 0;
        memset(ret, 0, sizeof(*ret));
        int r = su_pg_bytea(res, 0, 0, nonce, sizeof(nonce), &nlen);
        if (r == 0)
                r = su_pg_bytea(res, 0, 1, ct, sizeof(ct), &clen);
        if (r == 0 && nlen != SU_FLEET_NONCE_LEN)
                r = -EBADMSG;
        if (r == 0)
                r = su_fleet_unseal(s->key, user, nonce, ct, clen, ret->secret, sizeof(ret->secret),
                                    &ret->secret_len);
        if (r < 0)
                return fail(s, -EBADMSG,
                            "store: the TOTP secret of %s does not open with this host's fleet "
                            "key (sealed for another user, or with another key)",
                            user);
        ret->params.algo = (enum su_totp_algo)su_pg_int(res, 0, 2);
        ret->params.digits = (unsigned)su_pg_int(res, 0, 3);
        ret->params.period = (unsigned)su_pg_int(res, 0, 4);
        ret->params.window = (unsigned)su_pg_int(res, 0, 5);
        ret->created_at = su_pg_int(res, 0, 6);
        if (ret->secret_len < 1 || su_totp_params_check(&ret->params) < 0) {
                explicit_bzero(ret, sizeof(*ret));
                return fail(s, -EBADMSG, "store: the TOTP row of %s is not valid", user);
        }
        return 0;
}

static int get_totp_once(struct pg_store *s, enum stmt id, const char *user,
                         struct su_totp_row *ret)
{
        uint64_t dl = deadline(s);
        PGresult *res = NULL;
        int r = ready(s, dl);
        if (r == 0)
                r = run_user(s, id, user, dl, &res);
        if (r < 0)
                return r;
        if (PQntuples(res) == 0) {
                PQclear(res);
                return -ENOENT;
        }
        r = read_totp(s, user, res, ret);
        if (r == 0 && id == Q_TOTP_GET) {
                ret->last_step = su_pg_int(res, 0, 7);
                ret->active = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
        } else if (r == 0) {
                ret->last_step = -1;
                ret->active = false;
        }
        PQclear(res);
        return r;
}

static int get_totp(struct su_store *st, enum stmt id, const char *user, struct su_totp_row *ret)
{
        struct pg_store *s = pgs(st);
        int r = get_totp_once(s, id, user, ret);
        /* A secret that does not open: perhaps the key was rotated and this thread's
         * connection, made before, still has the old one.  Once more on a new connection,
         * which reads the key file again and checks it against the database's (so the first
         * verification after a new key is installed does not fail). */
        if (r == -EBADMSG) {
                su_pg_disconnect(&s->pg);
                r = get_totp_once(s, id, user, ret);
                if (r == -EBADMSG)
                        su_pg_disconnect(&s->pg);
        }
        return r;
}

static int pg_totp_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        return get_totp(s, Q_TOTP_GET, user, ret);
}

static int pg_totp_pending_get(struct su_store *s, const char *user, struct su_totp_row *ret)
{
        return get_totp(s, Q_PENDING_GET, user, ret);
}

/* Writes a TOTP row: the secret sealed, never sent in the clear. */
static int put_totp(struct su_store *st, enum stmt id, const char *user,
                    const struct su_totp_row *row)
{
        struct pg_store *s = pgs(st);
        uint8_t nonce[SU_FLEET_NONCE_LEN], ct[SU_TOTP_SECRET_MAX + SU_FLEET_TAG_LEN];
        size_t clen = 0;
        char nums[6][24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        if (row->secret_len > SU_TOTP_SECRET_MAX ||
            su_fleet_seal(s->key, user, row->secret, row->secret_len, nonce, ct, sizeof(ct),
                          &clen) < 0)
                return fail(s, -EINVAL, "cannot seal the secret");
        snprintf(nums[0], sizeof(nums[0]), "%d", (int)row->params.algo);
        snprintf(nums[1], sizeof(nums[1]), "%u", row->params.digits);
        snprintf(nums[2], sizeof(nums[2]), "%u", row->params.period);
        snprintf(nums[3], sizeof(nums[3]), "%u", row->params.window);
        snprintf(nums[4], sizeof(nums[4]), "%lld", (long long)row->created_at);
        snprintf(nums[5], sizeof(nums[5]), "%lld", (long long)row->last_step);
        const char *values[10] = {user,
                                  (const char *)nonce,
                                  (const char *)ct,
                                  nums[0],
                                  nums[1],
                                  nums[2],
                                  nums[3],
                                  nums[4],
                                  nums[5],
                                  row->active ? "true" : "false"};
        const int lengths[10] = {0, SU_FLEET_NONCE_LEN, (int)clen};
        const int formats[10] = {0, 1, 1};
        return run(s, id, id == Q_TOTP_PUT ? 10 : 8, values, lengths, formats, dl, NULL);
}

static int pg_totp_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        return put_totp(s, Q_TOTP_PUT, user, row);
}

static int pg_totp_pending_put(struct su_store *s, const char *user, const struct su_totp_row *row)
{
        return put_totp(s, Q_PENDING_PUT, user, row);
}

/* Runs a one-statement decision whose single value is the number of rows it changed: 0 means
 * the condition was already false (-ENOENT or -EALREADY as the caller says). */
static int decide_once(struct pg_store *s, enum stmt id, int n, const char *const *values,
                       uint64_t dl, int none)
{
        PGresult *res = NULL;
        int r = run(s, id, n, values, NULL, NULL, dl, &res);
        if (r < 0)
                return r;
        int64_t changed = su_pg_int(res, 0, 0);
        PQclear(res);
        return changed > 0 ? 0 : none;
}

static int pg_totp_activate(struct su_store *st, const char *user, int64_t step)
{
        struct pg_store *s = pgs(st);
        char num[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(num, sizeof(num), "%lld", (long long)step);
        const char *values[2] = {user, num};
        return decide_once(s, Q_ACTIVATE, 2, values, dl, -ENOENT);
}

static int pg_totp_consume(struct su_store *st, const char *user, int64_t step,
                           const struct su_grant *grant)
{
        struct pg_store *s = pgs(st);
        char num[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(num, sizeof(num), "%lld", (long long)step);
        const char *values[2] = {user, num};
        r = decide_once(s, Q_CONSUME, 2, values, dl, -EALREADY);
        return r < 0 ? r : grant_local(s, user, grant);
}

/* Replaces every (key, hash) row of the user in one transaction: questions and recovery. */
static int replace_hashes(struct pg_store *s, const char *user, enum stmt del, enum stmt add,
                          const char *const *keys, const char *const *hashes, size_t n)
{
        char now[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
        if ((r = begin(s, dl)) < 0)
                return r;
        r = run_user(s, del, user, dl, NULL);
        for (size_t i = 0; r == 0 && i < n; i++) {
                const char *values[4] = {user, keys[i], hashes[i], now};
                r = run(s, add, 4, values, NULL, NULL, dl, NULL);
        }
        if (r == 0)
                r = commit(s, dl);
        if (r < 0)
                rollback(s, dl);
        return r;
}

static int pg_questions_set(struct su_store *s, const char *user, const struct su_answer_row *rows,
                            size_t n)
{
        const char *keys[SU_QUESTIONS_PER_USER_MAX], *hashes[SU_QUESTIONS_PER_USER_MAX];
        if (n > SU_QUESTIONS_PER_USER_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                keys[i] = rows[i].qid;
                hashes[i] = rows[i].hash;
        }
        return replace_hashes(pgs(s), user, Q_QUESTIONS_DEL, Q_QUESTIONS_ADD, keys, hashes, n);
}

static int pg_questions_get(struct su_store *st, const char *user, struct su_answer_row *out,
                            size_t max)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        int r = ask_user(s, Q_QUESTIONS_GET, user, &res);
        if (r < 0)
                return r;
        size_t n = 0;
        for (int i = 0; i < PQntuples(res) && n < max; i++, n++) {
                snprintf(out[n].qid, sizeof(out[n].qid), "%s", PQgetvalue(res, i, 0));
                snprintf(out[n].hash, sizeof(out[n].hash), "%s", PQgetvalue(res, i, 1));
        }
        PQclear(res);
        return (int)n;
}

static int pg_recovery_set(struct su_store *s, const char *user, const struct su_recovery_row *rows,
                           size_t n)
{
        const char *keys[SU_RECOVERY_CODES_MAX], *hashes[SU_RECOVERY_CODES_MAX];
        if (n > SU_RECOVERY_CODES_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                keys[i] = rows[i].tag;
                hashes[i] = rows[i].hash;
        }
        return replace_hashes(pgs(s), user, Q_RECOVERY_DEL, Q_RECOVERY_ADD, keys, hashes, n);
}

static int pg_recovery_get(struct su_store *st, const char *user, const char *tag,
                           struct su_recovery_row *ret)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        const char *values[2] = {user, tag};
        if (r == 0)
                r = run(s, Q_RECOVERY_GET, 2, values, NULL, NULL, dl, &res);
        if (r < 0)
                return r;
        if (PQntuples(res) == 0) {
                PQclear(res);
                return -ENOENT;
        }
        snprintf(ret->tag, sizeof(ret->tag), "%s", PQgetvalue(res, 0, 0));
        snprintf(ret->hash, sizeof(ret->hash), "%s", PQgetvalue(res, 0, 1));
        r = strcmp(PQgetvalue(res, 0, 2), "t") == 0 ? -EALREADY : 0;
        PQclear(res);
        return r;
}

static int pg_recovery_unused(struct su_store *st, const char *user)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        int r = ask_user(s, Q_RECOVERY_UNUSED, user, &res);
        if (r < 0)
                return r;
        int64_t n = su_pg_int(res, 0, 0);
        PQclear(res);
        return n > SU_RECOVERY_CODES_MAX ? SU_RECOVERY_CODES_MAX : (int)n;
}

static int pg_recovery_consume(struct su_store *st, const char *user, const char *tag, int64_t now,
                               const struct su_grant *grant)
{
        struct pg_store *s = pgs(st);
        char num[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(num, sizeof(num), "%lld", (long long)now);
        const char *values[3] = {user, tag, num};
        r = decide_once(s, Q_RECOVERY_CONSUME, 3, values, dl, -EALREADY);
        return r < 0 ? r : grant_local(s, user, grant);
}

static int pg_grant(struct su_store *st, const char *user, const struct su_grant *grant)
{
        struct pg_store *s = pgs(st);
        int r = ask_user(s, Q_SUCCESS, user, NULL);
        return r < 0 ? r : grant_local(s, user, grant);
}

static void read_failures(const PGresult *res, struct su_failures *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (PQntuples(res) < 1)
                return;
        ret->consecutive = su_pg_int(res, 0, 0);
        ret->window_start = su_pg_int(res, 0, 1);
        ret->window_count = su_pg_int(res, 0, 2);
        ret->last_failure_at = su_pg_int(res, 0, 3);
}

static int pg_failures_get(struct su_store *st, const char *user, struct su_failures *ret)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        int r = ask_user(s, Q_FAILURES_GET, user, &res);
        if (r < 0)
                return r;
        read_failures(res, ret);
        PQclear(res);
        return 0;
}

/* The admission of one attempt: the counters locked, the rules of failures.c applied to them,
 * the attempt counted, in one transaction; two hosts racing for the last slot queue on the
 * row lock and the second sees the first's count.  Two round trips: BEGIN with the locking
 * read, then the count with COMMIT. */
static int pg_attempt(struct su_store *st, const char *user, int64_t now,
                      const struct su_store_limits *l, struct su_failures *ret)
{
        struct pg_store *s = pgs(st);
        char nums[2][24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        const char *key[1] = {user};
        struct su_pg_stmt lock[2] = {
            {.id = -1, .sql = "BEGIN"},
            {.id = Q_ATTEMPT_LOCK, .sql = sql[Q_ATTEMPT_LOCK], .nparams = 1, .values = key},
        };
        if ((r = batch(s, lock, 2, dl)) < 0)
                goto rollback;
        read_failures(lock[1].res, ret);
        PQclear(lock[0].res);
        PQclear(lock[1].res);
        enum su_wait_reason why;
        if (su_failures_wait(ret, l, now, &why) > 0) {
                r = -EAGAIN;
                goto rollback;
        }
        snprintf(nums[0], sizeof(nums[0]), "%lld", (long long)now);
        snprintf(nums[1], sizeof(nums[1]), "%lld", (long long)l->rate_window);
        const char *values[3] = {user, nums[0], nums[1]};
        struct su_pg_stmt count[2] = {
            {.id = Q_ATTEMPT_COUNT, .sql = sql[Q_ATTEMPT_COUNT], .nparams = 3, .values = values},
            {.id = -1, .sql = "COMMIT"},
        };
        if ((r = batch(s, count, 2, dl)) < 0)
                goto rollback;
        read_failures(count[0].res, ret);
        PQclear(count[0].res);
        PQclear(count[1].res);
        return 0;
rollback:
        rollback(s, dl);
        return r;
}

static int pg_note_failure(struct su_store *st, const char *user, int64_t now,
                           struct su_failures *ret)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        char num[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(num, sizeof(num), "%lld", (long long)now);
        const char *values[2] = {user, num};
        if ((r = run(s, Q_NOTE_FAILURE, 2, values, NULL, NULL, dl, &res)) < 0)
                return r;
        read_failures(res, ret);
        PQclear(res);
        return 0;
}

static int pg_failures_reset(struct su_store *st, const char *user)
{
        struct pg_store *s = pgs(st);
        return ask_user(s, Q_FAILURES_RESET, user, NULL);
}

static const char key_changed[] =
    "store: the fleet key changed (stepupctl fleet rotate-key): install the new key on this host";

/* Adds the user to the fleet's revocation list, inside the caller's transaction: every host
 * ends the grants it holds for the user (fleet_follow.c). */
static int add_revocation(struct pg_store *s, const char *user, uint64_t dl)
{
        uint8_t tag[SU_FLEET_USER_TAG_LEN];
        char keep[24];
        PGresult *res = NULL;
        su_fleet_user_tag(s->key, user, tag);
        snprintf(keep, sizeof(keep), "%llu", (unsigned long long)SU_REVOCATION_KEEP_S);
        const char *values[4] = {(const char *)tag, s->host, keep, (const char *)s->check};
        const int lengths[4] = {SU_FLEET_USER_TAG_LEN, 0, 0, SU_FLEET_CHECK_LEN};
        const int formats[4] = {1, 0, 0, 1};
        int r = command(s, "SELECT pg_advisory_xact_lock_shared(" SU_PG_LOCK_KEY ")", dl);
        if (r < 0 || (r = run(s, Q_REVOKE_ADD, 4, values, lengths, formats, dl, &res)) < 0)
                return r;
        int added = PQntuples(res);
        PQclear(res);
        return added == 1 ? 0 : fail(s, -ENOKEY, "%s", key_changed);
}

/* A grant earned with a factor that is gone ends with it: on this host at once, on the others
 * when they next read the revocation list. */
static int revoke_here(struct pg_store *s, const char *user)
{
        int r = su_local_assurance_revoke(s->base.local, user, NULL);
        return r < 0 ? fail(s, r, "local database: %s", su_sqldb_errmsg(s->base.local)) : r;
}

static int pg_reset(struct su_store *st, const char *user, unsigned tables)
{
        struct pg_store *s = pgs(st);
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0 || (r = begin(s, dl)) < 0)
                return r;
        if ((tables & SU_TAB_TOTP) && (r = run_user(s, Q_DEL_TOTP, user, dl, NULL)) < 0)
                goto rollback;
        if ((tables & SU_TAB_QUESTIONS) && (r = run_user(s, Q_DEL_QUESTIONS, user, dl, NULL)) < 0)
                goto rollback;
        if ((tables & SU_TAB_RECOVERY) && (r = run_user(s, Q_DEL_RECOVERY, user, dl, NULL)) < 0)
                goto rollback;
        if ((r = add_revocation(s, user, dl)) < 0 || (r = commit(s, dl)) < 0)
                goto rollback;
        r = revoke_here(s, user);
        return r < 0 ? r : 0;
rollback:
        rollback(s, dl);
        if (r == -ENOKEY) /* the next connection reads the key file again */
                su_pg_disconnect(&s->pg);
        return r;
}

static int pg_forget(struct su_store *st, const char *user)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0 || (r = begin(s, dl)) < 0)
                return r;
        if ((r = run_user(s, Q_FORGET, user, dl, &res)) < 0)
                goto rollback;
        int64_t n = su_pg_int(res, 0, 0);
        PQclear(res);
        if ((r = add_revocation(s, user, dl)) < 0 || (r = commit(s, dl)) < 0)
                goto rollback;
        r = revoke_here(s, user);
        if (r < 0)
                return r;
        n += r;
        return n > 1000000 ? 1000000 : (int)n;
rollback:
        rollback(s, dl);
        if (r == -ENOKEY) /* the next connection reads the key file again */
                su_pg_disconnect(&s->pg);
        return r;
}

struct local_user {
        char name[257]; /* requests name users of at most 256 bytes */
        uint8_t tag[SU_FLEET_USER_TAG_LEN];
};

struct local_users {
        struct pg_store *s;
        struct local_user *v;
        size_t n, cap;
};

static int add_local_user(const char *user, void *data)
{
        struct local_users *u = data;
        if (u->n == u->cap) {
                size_t cap = u->cap ? u->cap * 2 : 16;
                struct local_user *v = realloc(u->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                u->v = v;
                u->cap = cap;
        }
        snprintf(u->v[u->n].name, sizeof(u->v[u->n].name), "%s", user);
        su_fleet_user_tag(u->s->key, user, u->v[u->n].tag);
        u->n++;
        return 0;
}

/* One page of the list: ends the matching grants; *ret_rows, and the page's last row in
 * *at, *id. */
static int apply_page(struct pg_store *s, PGresult *res, struct local_users *u,
                      void (*fn)(const char *user, int grants, void *data), void *data,
                      int *ret_rows, int64_t *at, int64_t *id)
{
        int rows = PQgetisnull(res, 0, 2) ? 0 : PQntuples(res);
        int r = 0;
        *ret_rows = rows;
        if (rows > 0 && !u->v) /* this host's users, read once per look */
                r = su_local_assurance_users(s->base.local, add_local_user, u);
        for (int i = 0; r >= 0 && i < rows; i++) {
                uint8_t tag[SU_FLEET_USER_TAG_LEN];
                size_t len = 0;
                *at = su_pg_int(res, i, 3);
                *id = su_pg_int(res, i, 4);
                if (su_pg_bytea(res, i, 2, tag, sizeof(tag), &len) < 0 || len != sizeof(tag))
                        continue;
                for (size_t k = 0; r >= 0 && k < u->n; k++) {
                        if (sodium_memcmp(tag, u->v[k].tag, sizeof(tag)) != 0)
                                continue;
                        r = su_local_assurance_revoke_before(s->base.local, u->v[k].name,
                                                             *at + SU_REVOCATION_SKEW_S);
                        if (r > 0 && fn)
                                fn(u->v[k].name, r, data);
                }
        }
        return r < 0 ? fail(s, r, "local database: %s", su_sqldb_errmsg(s->base.local)) : 0;
}

static int pg_revocations_apply(struct su_store *st, int64_t *since,
                                void (*fn)(const char *user, int grants, void *data), void *data)
{
        struct pg_store *s = pgs(st);
        struct local_users u = {.s = s};
        int64_t now = 0, at = *since, id = 0;
        int r = 0, rows = REVOKED_PAGE, pages = 0;
        while (r >= 0 && rows == REVOKED_PAGE && pages < REVOKED_PAGES_MAX) {
                PGresult *res = NULL;
                char a[24], b[24];
                snprintf(a, sizeof(a), "%lld", (long long)at);
                snprintf(b, sizeof(b), "%lld", (long long)id);
                const char *values[2] = {a, b};
                uint64_t dl = deadline(s);
                if ((r = ready(s, dl)) < 0 ||
                    (r = run(s, Q_REVOKED_SINCE, 2, values, NULL, NULL, dl, &res)) < 0)
                        break;
                uint8_t check[SU_FLEET_CHECK_LEN];
                size_t len = 0;
                if (!PQgetisnull(res, 0, 1) &&
                    (su_pg_bytea(res, 0, 1, check, sizeof(check), &len) < 0 ||
                     len != sizeof(check) || sodium_memcmp(check, s->check, len) != 0)) {
                        /* tags made with another key match nothing: reconnect (which reads
                         * the key file again) and read this part of the list again then */
                        PQclear(res);
                        su_pg_disconnect(&s->pg);
                        r = fail(s, -ENOKEY, "%s", key_changed);
                        break;
                }
                if (pages++ == 0)
                        now = su_pg_int(res, 0, 0);
                r = apply_page(s, res, &u, fn, data, &rows, &at, &id);
                PQclear(res);
        }
        free(u.v);
        if (r < 0)
                return r; /* the next look starts where this one did */
        /* A full list read: the next look starts REVOKED_LOOKBACK_S before this one, so a
         * reset committed late is still seen; one read again ends only grants made before it
         * (and in its SU_REVOCATION_SKEW_S margin). Cut short: it goes on from here. */
        *since = rows == REVOKED_PAGE ? at : now - REVOKED_LOOKBACK_S;
        return 0;
}

static int pg_list_users(struct su_store *st, int (*fn)(const char *user, void *data), void *data)
{
        struct pg_store *s = pgs(st);
        PGresult *res = NULL;
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r == 0)
                r = run(s, Q_LIST_USERS, 0, NULL, NULL, NULL, dl, &res);
        if (r < 0)
                return r;
        for (int i = 0; i < PQntuples(res) && r == 0; i++)
                r = fn(PQgetvalue(res, i, 0), data);
        PQclear(res);
        return r < 0 ? r : 0;
}

static int pg_log_change(struct su_store *st, const char *user, const char *factor,
                         const char *change, uid_t by_uid, const char *host)
{
        struct pg_store *s = pgs(st);
        char uid[24];
        uint64_t dl = deadline(s);
        int r = ready(s, dl);
        if (r < 0)
                return r;
        snprintf(uid, sizeof(uid), "%lld", (long long)by_uid);
        const char *values[5] = {user, factor, change, uid, host ? host : ""};
        return run(s, Q_LOG_CHANGE, 5, values, NULL, NULL, dl, NULL);
}

static const struct su_store_ops pg_ops = {
    .name = "postgresql",
    .blocking = true,
    .close = pg_close,
    .check = pg_check,
    .totp_get = pg_totp_get,
    .totp_put = pg_totp_put,
    .totp_pending_put = pg_totp_pending_put,
    .totp_pending_get = pg_totp_pending_get,
    .totp_activate = pg_totp_activate,
    .totp_consume = pg_totp_consume,
    .questions_set = pg_questions_set,
    .questions_get = pg_questions_get,
    .recovery_set = pg_recovery_set,
    .recovery_get = pg_recovery_get,
    .recovery_unused = pg_recovery_unused,
    .recovery_consume = pg_recovery_consume,
    .grant = pg_grant,
    .failures_get = pg_failures_get,
    .attempt = pg_attempt,
    .note_failure = pg_note_failure,
    .failures_reset = pg_failures_reset,
    .reset = pg_reset,
    .forget = pg_forget,
    .list_users = pg_list_users,
    .log_change = pg_log_change,
    .revocations_apply = pg_revocations_apply,
};

_Static_assert(Q_MAX_ <= SU_PG_STMT_MAX, "every statement has a prepared-statement slot");

int su_store_pg_open(const struct su_store_config *cfg, struct su_sqldb *local,
                     struct su_store **ret, char *err, size_t errsize)
{
        if (su_fleet_crypto_init() < 0) {
                snprintf(err, errsize, "libsodium did not start");
                return -EIO;
        }
        struct pg_store *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->base.ops = &pg_ops;
        s->base.local = local;
        s->stats = cfg->stats;
        s->key_path = cfg->fleet_key;
        s->host = cfg->host ? cfg->host : "";
        s->timeout_ms = cfg->timeout_ms;
        int r = su_pg_init(&s->pg, cfg->conninfo ? cfg->conninfo : "");
        if (r < 0)
                snprintf(err, errsize, "store = postgresql:...: %s", s->pg.err);
        /* A key that cannot be read stops the start, whether PostgreSQL answers or not. */
        if (r == 0)
                r = load_key(s, err, errsize);
        if (r < 0) {
                pg_close(&s->base);
                return r;
        }
        *ret = &s->base;
        return 0;
}
