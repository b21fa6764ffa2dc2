/* The fleet's schema in PostgreSQL (schema "stepup"): versioned migrations that only
 * `stepupctl fleet init` applies (stepupd never runs DDL: its role needs no more than the rows),
 * and the check every connection of stepupd makes before it serves: the schema version it
 * knows, the same fleet key, the rights of its role.  Errors in p->err (pg.h), one line,
 * without the setting's name (the caller puts it in front). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fleet_key.h"
#include "pg.h"

#define SU_PG_SCHEMA_VERSION 1
/* pg_advisory_xact_lock key of migrations: "step" in ASCII. */
#define SU_PG_LOCK_KEY "1937007984"

/* The tables the runtime role reads and writes (SELECT, INSERT, UPDATE, DELETE each), in the
 * schema "stepup"; stepup.meta needs SELECT only. */
extern const char *const su_pg_tables[];
extern const size_t su_pg_ntables;

/* Brings the schema to SU_PG_SCHEMA_VERSION in one transaction under the advisory lock, so
 * that several hosts running it at once migrate once; records the key's check value when the
 * database has none.  Refuses a newer schema (-EPROTONOSUPPORT) and another key (-ENOKEY),
 * changing nothing.  *ret_from: the version found. */
int su_pg_schema_migrate(struct su_pg *p, const uint8_t check[SU_FLEET_CHECK_LEN],
                         uint64_t deadline_us, int *ret_from);
/* Gives role exactly the runtime rights: USAGE on the schema, SELECT on stepup.meta, SELECT,
 * INSERT, UPDATE, DELETE on the tables. */
int su_pg_schema_grant(struct su_pg *p, const char *role, uint64_t deadline_us);
/* The check of a new connection; also sets the session's statement_timeout and
 * idle_in_transaction_session_timeout to timeout_ms (0: none).  Fails with
 *   -ENOENT           no stepup schema (run `stepupctl fleet init`)
 *   -EPROTONOSUPPORT  a schema version other than this program's (newer or older)
 *   -ENOKEY           the database's secrets are sealed with another key
 *   -EPERM            the role lacks a right (the message names the tables)
 * or any error of pg.h. */
int su_pg_schema_check(struct su_pg *p, const uint8_t check[SU_FLEET_CHECK_LEN],
                       unsigned timeout_ms, uint64_t deadline_us);
