/* TOTP (RFC 6238) on top of liboath.  Never logs; negative errno on failure. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum su_totp_algo { SU_TOTP_SHA1 = 0, SU_TOTP_SHA256 = 1, SU_TOTP_SHA512 = 2 };

struct su_totp_params {
        enum su_totp_algo algo;
        unsigned digits; /* 6 or 8 */
        unsigned period; /* seconds, 10..300 */
        unsigned window; /* steps accepted either side of now, 0..10; default 1 */
};

#define SU_TOTP_SECRET_MIN 20 /* bytes: 160 bits, RFC 4226 section 4 R6 */
#define SU_TOTP_SECRET_MAX 64

/* Defaults: SHA1, 6 digits, 30 s, window 1. */
void su_totp_params_default(struct su_totp_params *p);
int su_totp_params_check(const struct su_totp_params *p); /* 0 or -EINVAL */
const char *su_totp_algo_name(enum su_totp_algo a);       /* "SHA1", "SHA256", "SHA512" */
int su_totp_algo_from_name(const char *name);             /* case-insensitive; or -EINVAL */

/* Must be called once before any other call (wraps oath_init). */
int su_totp_init(void);

/* Time step number for t: floor(t / period). */
int64_t su_totp_step(const struct su_totp_params *p, time_t t);

/* Code for one time step; out gets digits + NUL (out size >= 9). */
int su_totp_code(const uint8_t *key, size_t keylen, const struct su_totp_params *p, int64_t step,
                 char out[static 9]);

/* Verify a typed code at time now.  Steps <= last_step are never accepted (RFC 6238 5.2);
 * pass last_step = -1 when none was accepted yet.  Every step in the window is compared in
 * constant time, without early exit.
 * Returns 0 and *ret_step = the matched step; -EALREADY when the code matches only a step
 * already used (a replay); -EACCES when it matches nothing; -EINVAL for a malformed code
 * (not exactly p->digits ASCII digits). */
int su_totp_verify(const uint8_t *key, size_t keylen, const struct su_totp_params *p, time_t now,
                   const char *code, int64_t last_step, int64_t *ret_step);

/* New secret of len bytes (SU_TOTP_SECRET_MIN..MAX) from getrandom(2). */
int su_totp_new_secret(uint8_t *key, size_t len);

#include "base32.h" /* su_base32_encode/decode live in common/ */
