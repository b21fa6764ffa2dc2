/* The shared state of step-up: enrolments, used codes, failure counts and lockouts, factor
 * changes.  One interface, a backend chosen at run time (stepupd.conf `store =`):
 *   sqlite      the host's own database (the default; store_sqlite.c)
 *   postgresql  one database for a fleet of hosts (store_pg.c)
 * A connection belongs to one thread.  Grants of session assurance are always written to the
 * host's local SQLite (local.h); the backend does it with the verification that earns them.
 * Never logs; negative errno, with su_store_errmsg(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "failures.h"
#include "local.h"
#include "sqldb.h"
#include "store_stats.h"
#include "totp.h"

struct su_totp_row {
        uint8_t secret[SU_TOTP_SECRET_MAX];
        size_t secret_len;
        struct su_totp_params params;
        int64_t last_step; /* -1: none accepted yet */
        bool active;       /* false: enrolment waits for its confirmation code */
        int64_t created_at;
};

/* Security questions: (question id, yescrypt hash) pairs. */
#define SU_QID_MAX 32
#define SU_HASH_MAX 128
#define SU_QUESTIONS_PER_USER_MAX 16
struct su_answer_row {
        char qid[SU_QID_MAX + 1];
        char hash[SU_HASH_MAX + 1];
};

/* Recovery codes: a public lookup tag and the hash of the secret part. */
#define SU_RECOVERY_CODES_MAX 16
#define SU_RECOVERY_TAG_LEN 4
struct su_recovery_row {
        char tag[SU_RECOVERY_TAG_LEN + 1];
        char hash[SU_HASH_MAX + 1];
};

/* What a factor keeps: reset() removes tables, not factors (factors are decided above). */
enum su_store_table {
        SU_TAB_TOTP = 1u << 0, /* active and pending secrets */
        SU_TAB_QUESTIONS = 1u << 1,
        SU_TAB_RECOVERY = 1u << 2,
};

struct su_store;

struct su_store_ops {
        const char *name;
        bool blocking; /* calls may wait on the network: only ever on the pool's threads */
        void (*close)(struct su_store *s);
        /* Reaches the store now and checks what every connection checks (PostgreSQL: the
         * schema version, the fleet key, the role's rights); called once at start-up.
         * -ENOTCONN or -ETIMEDOUT: unreachable (the daemon starts and connects later); any
         * other error stops the start.  NULL: nothing to check. */
        int (*check)(struct su_store *s);

        int (*totp_get)(struct su_store *s, const char *user, struct su_totp_row *ret);
        /* Sets the active secret (root's ENROLL_SET, imports). */
        int (*totp_put)(struct su_store *s, const char *user, const struct su_totp_row *row);
        /* A new secret waiting for its confirmation code; the active factor (if any) stays. */
        int (*totp_pending_put)(struct su_store *s, const char *user,
                                const struct su_totp_row *row);
        int (*totp_pending_get)(struct su_store *s, const char *user, struct su_totp_row *ret);
        /* Confirmed: the pending secret replaces the active one, with step as its last used
         * step, and the failure count is reset. -ENOENT without a pending secret. */
        int (*totp_activate)(struct su_store *s, const char *user, int64_t step);
        /* A verified code: last_step moves to step only if step is newer (else -EALREADY and
         * nothing changes), failures reset, and the grant (if any) recorded.  Durable before
         * it returns. */
        int (*totp_consume)(struct su_store *s, const char *user, int64_t step,
                            const struct su_grant *grant);

        int (*questions_set)(struct su_store *s, const char *user, const struct su_answer_row *rows,
                             size_t n);
        /* Returns the number of rows written to out (at most max). */
        int (*questions_get)(struct su_store *s, const char *user, struct su_answer_row *out,
                             size_t max);

        /* Replaces every recovery code of the user (used or not). */
        int (*recovery_set)(struct su_store *s, const char *user,
                            const struct su_recovery_row *rows, size_t n);
        /* The code with this tag: 0 unused, -EALREADY used (row still filled), -ENOENT. */
        int (*recovery_get)(struct su_store *s, const char *user, const char *tag,
                            struct su_recovery_row *ret);
        int (*recovery_unused)(struct su_store *s, const char *user);
        /* Marks the code used (only if unused, else -EALREADY), resets failures, records the
         * grant: one transaction. */
        int (*recovery_consume)(struct su_store *s, const char *user, const char *tag, int64_t now,
                                const struct su_grant *grant);

        /* A verification that consumed nothing (security questions): failures reset and the
         * grant recorded. */
        int (*grant)(struct su_store *s, const char *user, const struct su_grant *grant);

        int (*failures_get)(struct su_store *s, const char *user, struct su_failures *ret);
        /* Admits one verification attempt: when the user is locked out or over the rate limit,
         * -EAGAIN and nothing counted; else the attempt counted.  Atomic: two attempts
         * racing for the last slot never both pass.  *ret gets the state after. */
        int (*attempt)(struct su_store *s, const char *user, int64_t now,
                       const struct su_store_limits *l, struct su_failures *ret);
        int (*note_failure)(struct su_store *s, const char *user, int64_t now,
                            struct su_failures *ret);
        int (*failures_reset)(struct su_store *s, const char *user);

        /* Removes the tables' rows of the user and the user's assurance on this host. */
        int (*reset)(struct su_store *s, const char *user, unsigned tables);
        /* Erases every row about the user. Returns rows removed. */
        int (*forget)(struct su_store *s, const char *user);
        /* Calls fn for every user with any factor, in name order. */
        int (*list_users)(struct su_store *s, int (*fn)(const char *user, void *data), void *data);
        /* Appends to the log of factor changes (who, when, from which host). */
        int (*log_change)(struct su_store *s, const char *user, const char *factor,
                          const char *change, uid_t by_uid, const char *host);
        /* A shared store only (NULL otherwise): reset() and forget() on any host add the user
         * to the fleet's revocation list; this reads the list from *since (the store's clock,
         * seconds) and ends this host's grants made before each revocation (plus
         * SU_REVOCATION_SKEW_S), calling fn for each user with grants ended.  *since moves on
         * for the next call. */
        int (*revocations_apply)(struct su_store *s, int64_t *since,
                                 void (*fn)(const char *user, int grants, void *data), void *data);
};

/* A host's clock may run this far ahead of the store's: its grants made up to this long after
 * a revocation also end (a second step-up at worst), and none made before it survives. */
#define SU_REVOCATION_SKEW_S 2
/* How long a revocation is kept: longer than any grant a policy can give (SU_DURATION_MAX_S,
 * 366 days), so a host that was stopped still ends every grant it must. */
#define SU_REVOCATION_KEEP_S (367ull * 24 * 3600)

struct su_store {
        const struct su_store_ops *ops;
        struct su_sqldb *local; /* this host's database: grants go here */
        char err[512];
};

/* stepupd.conf `store = sqlite:PATH` or `postgresql:CONNINFO`. */
enum su_store_kind { SU_STORE_SQLITE = 0, SU_STORE_POSTGRESQL = 1 };
struct su_store_config {
        enum su_store_kind kind;
        const char *conninfo;         /* postgresql */
        const char *fleet_key;        /* postgresql: path of the key that encrypts TOTP secrets */
        unsigned timeout_ms;          /* postgresql: connect and query together */
        const char *host;             /* this host's name, for the change log */
        struct su_store_stats *stats; /* the health every thread's connection reports to */
};
