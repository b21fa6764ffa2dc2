/* The fleet schema and its migrations (schema.h). */
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

const char *const su_pg_tables[] = {"totp",     "totp_pending", "failures",   "questions",
                                    "recovery", "factor_log",   "revocations"};
const size_t su_pg_ntables = sizeof(su_pg_tables) / sizeof(su_pg_tables[0]);

/* Forward migrations: entry i brings the schema from version i to i + 1, one statement per
 * string.  TOTP secrets are sealed (fleet_key.h): nonce and ciphertext, never the secret. */
static const char *const v1[] = {
    "CREATE TABLE stepup.totp ("
    "  username text PRIMARY KEY,"
    "  nonce bytea NOT NULL, secret bytea NOT NULL,"
    "  algo smallint NOT NULL, digits smallint NOT NULL, period smallint NOT NULL,"
    "  step_window smallint NOT NULL,"
    "  last_step bigint NOT NULL DEFAULT -1,"
    "  active boolean NOT NULL DEFAULT false,"
    "  created_at bigint NOT NULL)",
    "CREATE TABLE stepup.totp_pending ("
    "  username text PRIMARY KEY,"
    "  nonce bytea NOT NULL, secret bytea NOT NULL,"
    "  algo smallint NOT NULL, digits smallint NOT NULL, period smallint NOT NULL,"
    "  step_window smallint NOT NULL,"
    "  created_at bigint NOT NULL)",
    "CREATE TABLE stepup.failures ("
    "  username text PRIMARY KEY,"
    "  consecutive bigint NOT NULL DEFAULT 0,"
    "  window_start bigint NOT NULL DEFAULT 0,"
    "  window_count bigint NOT NULL DEFAULT 0,"
    "  last_failure_at bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE stepup.questions ("
    "  username text NOT NULL, qid text NOT NULL, hash text NOT NULL,"
    "  created_at bigint NOT NULL,"
    "  PRIMARY KEY (username, qid))",
    "CREATE TABLE stepup.recovery ("
    "  username text NOT NULL, tag text NOT NULL, hash text NOT NULL,"
    "  created_at bigint NOT NULL, used_at bigint,"
    "  PRIMARY KEY (username, tag))",
    "CREATE TABLE stepup.factor_log ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  changed_at bigint NOT NULL, username text NOT NULL, factor text NOT NULL,"
    "  change text NOT NULL, by_uid bigint NOT NULL, host text NOT NULL)",
    "CREATE INDEX factor_log_user ON stepup.factor_log (username, changed_at)",
    /* The fleet's revocation list.  A reset, a removed factor or a forgotten user on one host
     * ends the user's grants on every host: each host follows this list
     * (stepupd/fleet_follow.c) and ends its own grants made before revoked_at.  The user is
     * named by a keyed tag (fleet_key.h), the time is the database's clock; rows older than
     * the longest grant a policy may give are pruned by the next insert. */
    "CREATE TABLE stepup.revocations ("
    "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    "  user_tag bytea NOT NULL, revoked_at bigint NOT NULL, host text NOT NULL)",
    "CREATE INDEX revocations_at ON stepup.revocations (revoked_at, id)",
    NULL,
};
static const char *const *const migrations[] = {v1};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == SU_PG_SCHEMA_VERSION, "one migration per schema version");

static int set_err(struct su_pg *p, int r, const char *text)
{
        snprintf(p->err, sizeof(p->err), "%s", text);
        return r;
}

static int check_bytes(const PGresult *res, int col, const uint8_t check[SU_FLEET_CHECK_LEN])
{
        uint8_t have[SU_FLEET_CHECK_LEN];
        size_t n = 0;
        if (PQgetisnull(res, 0, col))
                return 1; /* none recorded */
        if (su_pg_bytea(res, 0, col, have, sizeof(have), &n) < 0 || n != SU_FLEET_CHECK_LEN ||
            sodium_memcmp(have, check, SU_FLEET_CHECK_LEN) != 0)
                return -ENOKEY;
        return 0;
}

static int version_error(struct su_pg *p, int v)
{
        snprintf(p->err, sizeof(p->err),
                 v > SU_PG_SCHEMA_VERSION
                     ? "the database's stepup schema is version %d, newer than this stepup's "
                       "(%d): upgrade stepup on this host"
                     : "the database's stepup schema is version %d, older than this stepup's "
                       "(%d): run 'stepupctl fleet init'",
                 v, SU_PG_SCHEMA_VERSION);
        return -EPROTONOSUPPORT;
}

static const char key_mismatch[] =
    "the fleet key is not the one the database's secrets are sealed with (copy the fleet's "
    "key to this host, or see 'stepupctl fleet rotate-key')";

int su_pg_schema_migrate(struct su_pg *p, const uint8_t check[SU_FLEET_CHECK_LEN],
                         uint64_t deadline_us, int *ret_from)
{
        static const char *const setup[] = {
            "SELECT pg_advisory_xact_lock(" SU_PG_LOCK_KEY ")",
            "CREATE SCHEMA IF NOT EXISTS stepup",
            "CREATE TABLE IF NOT EXISTS stepup.meta ("
            "  id integer PRIMARY KEY CHECK (id = 1),"
            "  schema_version integer NOT NULL,"
            "  key_check bytea)",
            "INSERT INTO stepup.meta (id, schema_version) VALUES (1, 0) ON CONFLICT DO NOTHING",
        };
        PGresult *res = NULL;
        int r = su_pg_command(p, "BEGIN", deadline_us);
        for (size_t i = 0; r == 0 && i < sizeof(setup) / sizeof(setup[0]); i++)
                r = su_pg_command(p, setup[i], deadline_us);
        if (r == 0)
                r = su_pg_exec(p, -1,
                               "SELECT schema_version, key_check FROM stepup.meta WHERE id = 1 "
                               "FOR UPDATE",
                               0, NULL, NULL, NULL, deadline_us, &res);
        if (r < 0)
                goto rollback;
        int v = (int)su_pg_int(res, 0, 0);
        *ret_from = v;
        if (v > SU_PG_SCHEMA_VERSION) {
                r = version_error(p, v);
                goto rollback;
        }
        if ((r = check_bytes(res, 1, check)) < 0) {
                r = set_err(p, r, key_mismatch);
                goto rollback;
        }
        PQclear(res);
        res = NULL;
        for (int m = v; r >= 0 && m < SU_PG_SCHEMA_VERSION; m++)
                for (const char *const *st = migrations[m]; r >= 0 && *st; st++)
                        r = su_pg_command(p, *st, deadline_us);
        if (r < 0)
                goto rollback;
        char version[16];
        snprintf(version, sizeof(version), "%d", SU_PG_SCHEMA_VERSION);
        const char *values[2] = {version, (const char *)check};
        const int lengths[2] = {0, SU_FLEET_CHECK_LEN}, formats[2] = {0, 1};
        r = su_pg_exec(p, -1,
                       "UPDATE stepup.meta SET schema_version = $1::integer, "
                       "key_check = COALESCE(key_check, $2::bytea) WHERE id = 1",
                       2, values, lengths, formats, deadline_us, &res);
        if (r == 0)
                r = su_pg_command(p, "COMMIT", deadline_us);
        if (r < 0)
                goto rollback;
        PQclear(res);
        return 0;
rollback:
        PQclear(res);
        su_pg_rollback(p, deadline_us);
        return r;
}

int su_pg_schema_grant(struct su_pg *p, const char *role, uint64_t deadline_us)
{
        if (!p->conn)
                return set_err(p, -ENOTCONN, "not connected");
        char *id = PQescapeIdentifier(p->conn, role, strlen(role));
        if (!id)
                return set_err(p, -EINVAL, PQerrorMessage(p->conn));
        char tables[512] = "", sql[1024];
        for (size_t i = 0; i < su_pg_ntables; i++)
                snprintf(tables + strlen(tables), sizeof(tables) - strlen(tables), "%sstepup.%s",
                         i ? ", " : "", su_pg_tables[i]);
        int r = su_pg_command(p, "BEGIN", deadline_us);
        snprintf(sql, sizeof(sql), "GRANT USAGE ON SCHEMA stepup TO %s", id);
        if (r == 0)
                r = su_pg_command(p, sql, deadline_us);
        snprintf(sql, sizeof(sql), "GRANT SELECT ON stepup.meta TO %s", id);
        if (r == 0)
                r = su_pg_command(p, sql, deadline_us);
        snprintf(sql, sizeof(sql), "GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %s", tables, id);
        if (r == 0)
                r = su_pg_command(p, sql, deadline_us);
        if (r == 0)
                r = su_pg_command(p, "COMMIT", deadline_us);
        if (r < 0)
                su_pg_rollback(p, deadline_us);
        PQfreemem(id);
        return r;
}

/* "totp SELECT, failures DELETE": what the role may not do, or NULL when nothing. */
static int missing_rights(struct su_pg *p, uint64_t deadline_us, char *out, size_t size)
{
        char list[512] = "{";
        for (size_t i = 0; i < su_pg_ntables; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
                         su_pg_tables[i]);
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "}");
        const char *values[1] = {list};
        PGresult *res = NULL;
        int r = su_pg_exec(p, -1,
                           "SELECT string_agg('stepup.' || t || ' (' || "
                           "CASE WHEN n = 4 THEN 'none' ELSE 'no ' || m END || ')', ', ' "
                           "ORDER BY t) FROM (SELECT t, count(*) AS n, "
                           "string_agg(p, ' ' ORDER BY o) AS m "
                           "FROM unnest($1::text[]) AS t, "
                           "unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) "
                           "WITH ORDINALITY AS x (p, o) "
                           "WHERE NOT has_table_privilege('stepup.' || t, p) GROUP BY t) AS s",
                           1, values, NULL, NULL, deadline_us, &res);
        if (r < 0)
                return r;
        out[0] = 0;
        if (!PQgetisnull(res, 0, 0))
                snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
}

int su_pg_schema_check(struct su_pg *p, const uint8_t check[SU_FLEET_CHECK_LEN],
                       unsigned timeout_ms, uint64_t deadline_us)
{
        char ms[16];
        snprintf(ms, sizeof(ms), "%u", timeout_ms);
        const char *values[1] = {ms};
        PGresult *res = NULL;
        int r = su_pg_exec(p, -1,
                           "SELECT schema_version, key_check, current_user, "
                           "set_config('statement_timeout', $1, false), "
                           "set_config('idle_in_transaction_session_timeout', $1, false) "
                           "FROM stepup.meta WHERE id = 1",
                           1, values, NULL, NULL, deadline_us, &res);
        if (r == -EIO && (strcmp(p->sqlstate, "42P01") == 0 || strcmp(p->sqlstate, "3F000") == 0))
                return set_err(p, -ENOENT,
                               "the database has no stepup schema: run 'stepupctl fleet init'");
        if (r == -EPERM) {
                char why[sizeof(p->err)];
                snprintf(why, sizeof(why),
                         "%.300s (the role needs the GRANTs of docs/fleet.md, e.g. 'stepupctl "
                         "fleet init --grant ROLE')",
                         p->err);
                return set_err(p, r, why);
        }
        if (r < 0)
                return r;
        if (PQntuples(res) != 1) {
                PQclear(res);
                return set_err(p, -ENOENT,
                               "the database has no stepup schema: run 'stepupctl fleet init'");
        }
        int v = (int)su_pg_int(res, 0, 0);
        char user[128];
        snprintf(user, sizeof(user), "%s", PQgetvalue(res, 0, 2));
        r = v != SU_PG_SCHEMA_VERSION ? version_error(p, v) : check_bytes(res, 1, check);
        PQclear(res);
        if (r == 1)
                return set_err(p, -ENOKEY,
                               "the database records no fleet key: run 'stepupctl fleet init'");
        if (r == -ENOKEY)
                return set_err(p, r, key_mismatch);
        if (r < 0)
                return r;
        char missing[400];
        if ((r = missing_rights(p, deadline_us, missing, sizeof(missing))) < 0)
                return r;
        if (missing[0]) {
                snprintf(p->err, sizeof(p->err),
                         "role \"%s\" lacks rights on %s: it needs SELECT, INSERT, UPDATE, "
                         "DELETE on each (docs/fleet.md; 'stepupctl fleet init --grant %s')",
                         user, missing, user);
                return -EPERM;
        }
        return 0;
}
