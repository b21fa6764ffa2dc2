/* stepupctl fleet: the verbs that talk to the fleet's PostgreSQL directly (the daemon never
 * runs DDL, never re-seals secrets, never reads another host's database). */
#pragma once

#include <stdint.h>

#include "fleet_key.h"
#include "pg.h"

struct fleet {
        struct su_pg pg;
        const char *key_path;
        uint8_t key[SU_FLEET_KEY_LEN];
        uint8_t check[SU_FLEET_CHECK_LEN];
        uint64_t deadline_us; /* the whole verb's */
};

/* stepupctl fleet rotate-key: every sealed secret opened with the old key and sealed with the
 * new one, and the key check replaced, in one transaction.  Returns the exit code. */
int fleet_rotate(struct fleet *f, const char *new_key_path);
/* stepupctl fleet import --from sqlite:PATH: one host's enrolments copied in, all or nothing;
 * a user enrolled differently here and in the fleet is reported and nothing is written.
 * Returns the exit code. */
int fleet_import(struct fleet *f, const char *sqlite_path);
