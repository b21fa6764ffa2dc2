/* Durable state of stepupd behind one small interface (SQLite today).
 * Never logs; negative errno (or -EIO for a database error, with su_store_errmsg()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "totp.h"

#define SU_STORE_SCHEMA_VERSION 1
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
