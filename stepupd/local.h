/* This host's session assurance, always in the host's own SQLite database: a grant is bound
 * to this host's tty, session and boot, so it never goes to a shared store. */
#pragma once

#include <stdint.h>

#include "sqldb.h"

#define SU_BOOT_ID_LEN 36

struct su_assurance {
        uint32_t factors;      /* policy factor bits proven */
        int64_t verified_at;   /* wall clock, s */
        int64_t verified_boot; /* CLOCK_BOOTTIME, s */
        int64_t last_seen_at;
        int64_t last_seen_boot;
        char boot_id[SU_BOOT_ID_LEN + 1];
};

/* A grant to record with a verification: NULL where nothing is granted (a local proof). */
struct su_grant {
        const char *scope_key;
        struct su_assurance a;
};

int su_local_assurance_get(struct su_sqldb *d, const char *user, const char *scope_key,
                           struct su_assurance *ret);
/* Marks the row used now; writes only when the stored second differs. */
int su_local_assurance_touch(struct su_sqldb *d, const char *user, const char *scope_key,
                             const struct su_assurance *seen, int64_t now, int64_t boot);
int su_local_assurance_put(struct su_sqldb *d, const char *user, const struct su_grant *g);
/* scope_key NULL: every row of the user.  Returns the number of rows removed. */
int su_local_assurance_revoke(struct su_sqldb *d, const char *user, const char *scope_key);
/* The user's grants verified at or before `before` (wall clock, s) end: a revocation from
 * another host ends what was granted before it, not a grant earned since.  Returns the
 * number of rows removed. */
int su_local_assurance_revoke_before(struct su_sqldb *d, const char *user, int64_t before);
int su_local_assurance_count(struct su_sqldb *d, const char *user);
/* Calls fn once for each user with a grant on this host (stops at fn's first error). */
int su_local_assurance_users(struct su_sqldb *d, int (*fn)(const char *user, void *data),
                             void *data);
