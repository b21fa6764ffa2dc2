/* Durable state of stepupd behind one small interface (SQLite today).
 * Never logs; negative errno (or -EIO for a database error, with su_store_errmsg()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "totp.h"

#define SU_STORE_SCHEMA_VERSION 3
#define SU_BOOT_ID_LEN 36

struct su_store;

struct su_totp_row {
        uint8_t secret[SU_TOTP_SECRET_MAX];
        size_t secret_len;
        struct su_totp_params params;
        int64_t last_step; /* -1: none accepted yet */
        bool active;       /* false: enrolment waits for its confirmation code */
        int64_t created_at;
};

struct su_assurance {
        uint32_t factors;
        int64_t verified_at;   /* wall clock, s */
        int64_t verified_boot; /* CLOCK_BOOTTIME, s */
        int64_t last_seen_at;
        int64_t last_seen_boot;
        char boot_id[SU_BOOT_ID_LEN + 1];
};

struct su_failures {
        int64_t consecutive;  /* failures since the last success */
        int64_t window_start; /* start of the current rate-limit window (wall, s) */
        int64_t window_count; /* attempts in that window */
        int64_t last_failure_at;
};

/* Opens (creating if needed, mode 0600) and migrates the database. */
int su_store_open(const char *path, struct su_store **ret);
struct su_store *su_store_close(struct su_store *s);
const char *su_store_errmsg(const struct su_store *s);
int su_store_schema_version(struct su_store *s);

int su_store_totp_get(struct su_store *s, const char *user, struct su_totp_row *ret);
int su_store_totp_put(struct su_store *s, const char *user, const struct su_totp_row *row);
int su_store_totp_delete(struct su_store *s, const char *user);
/* A new secret waiting for its confirmation code; the active factor (if any) stays. */
int su_store_totp_pending_put(struct su_store *s, const char *user, const struct su_totp_row *row);
int su_store_totp_pending_get(struct su_store *s, const char *user, struct su_totp_row *ret);
/* Confirmed: the pending secret replaces the active one, with step as its last used step. */
int su_store_totp_activate(struct su_store *s, const char *user, int64_t step);

/* A verified TOTP code: in one transaction, advance last_step (only if step is newer; else
 * -EALREADY and nothing changes), activate a pending enrolment, reset the failure count and,
 * when scope_key is non-NULL, write the assurance row.  Durable before it returns. */
int su_store_commit_totp(struct su_store *s, const char *user, int64_t step, const char *scope_key,
                         const struct su_assurance *grant);

int su_store_assurance_get(struct su_store *s, const char *user, const char *scope_key,
                           struct su_assurance *ret);
int su_store_assurance_touch(struct su_store *s, const char *user, const char *scope_key,
                             int64_t now, int64_t boot);
/* scope_key NULL: every row of the user. Returns the number of rows removed. */
int su_store_assurance_revoke(struct su_store *s, const char *user, const char *scope_key);
int su_store_assurance_count(struct su_store *s, const char *user);

int su_store_failures_get(struct su_store *s, const char *user, struct su_failures *ret);
/* Counts one attempt in the rate-limit window [window_start, window_start + window_s). */
int su_store_note_attempt(struct su_store *s, const char *user, int64_t now, int64_t window_s,
                          struct su_failures *ret);
int su_store_note_failure(struct su_store *s, const char *user, int64_t now,
                          struct su_failures *ret);
int su_store_failures_reset(struct su_store *s, const char *user);

/* Security questions: (question id, yescrypt hash) pairs. */
#define SU_QID_MAX 32
#define SU_HASH_MAX 128
#define SU_QUESTIONS_PER_USER_MAX 16
struct su_answer_row {
        char qid[SU_QID_MAX + 1];
        char hash[SU_HASH_MAX + 1];
};
/* Replaces all of the user's answers in one transaction. */
int su_store_questions_set(struct su_store *s, const char *user, const struct su_answer_row *rows,
                           size_t n);
/* Returns the number of rows written to out (at most max). */
int su_store_questions_get(struct su_store *s, const char *user, struct su_answer_row *out,
                           size_t max);

/* Recovery codes: a public lookup tag and the hash of the secret part. */
#define SU_RECOVERY_CODES_MAX 16
#define SU_RECOVERY_TAG_LEN 4
struct su_recovery_row {
        char tag[SU_RECOVERY_TAG_LEN + 1];
        char hash[SU_HASH_MAX + 1];
};
/* Replaces every recovery code of the user (used or not). */
int su_store_recovery_set(struct su_store *s, const char *user, const struct su_recovery_row *rows,
                          size_t n);
/* The code with this tag: 0 when unused, -EALREADY when used (row still filled), -ENOENT. */
int su_store_recovery_get(struct su_store *s, const char *user, const char *tag,
                          struct su_recovery_row *ret);
int su_store_recovery_unused(struct su_store *s, const char *user);
/* Marks the code used (only if still unused, else -EALREADY), resets the failure count and,
 * when scope_key is non-NULL, writes the assurance row: one transaction. */
int su_store_recovery_consume(struct su_store *s, const char *user, const char *tag, int64_t now,
                              const char *scope_key, const struct su_assurance *grant);

/* A verification that consumed nothing (security questions): failures reset and, when
 * scope_key is non-NULL, the assurance row written, in one transaction. */
int su_store_grant(struct su_store *s, const char *user, const char *scope_key,
                   const struct su_assurance *grant);

/* Factor bits (policy.h SU_FACTOR_*) the user has in a usable state. */
int su_store_enrolled(struct su_store *s, const char *user, uint32_t *ret);
/* Removes the factors in mask (TOTP, questions, recovery codes). */
int su_store_reset(struct su_store *s, const char *user, uint32_t mask);
/* Erases every row about the user, in every table. Returns rows removed. */
int su_store_forget(struct su_store *s, const char *user);
/* Calls fn for every user with any factor, in name order. */
int su_store_list_users(struct su_store *s, int (*fn)(const char *user, void *data), void *data);
