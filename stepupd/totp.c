/* TOTP (RFC 6238) and HOTP (RFC 4226) on top of liboath, plus RFC 4648 base32.
 *
 * liboath computes one code (HMAC + dynamic truncation); everything around it (window,
 * replay refusal, constant-time comparison) is done here so that every step of the window
 * is always computed and compared, whatever the typed code. */
#include "totp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <liboath/oath.h>

#define SU_TOTP_DIGITS_MAX 8

void su_totp_params_default(struct su_totp_params *p)
{
        if (!p)
                return;
        *p = (struct su_totp_params){
            .algo = SU_TOTP_SHA1,
            .digits = 6,
            .period = 30,
            .window = 1,
        };
}

static bool algo_valid(enum su_totp_algo a)
{
        return a == SU_TOTP_SHA1 || a == SU_TOTP_SHA256 || a == SU_TOTP_SHA512;
}

int su_totp_params_check(const struct su_totp_params *p)
{
        if (!p)
                return -EINVAL;
        if (!algo_valid(p->algo))
                return -EINVAL;
        if (p->digits != 6 && p->digits != 8)
                return -EINVAL;
        if (p->period < 10 || p->period > 300)
                return -EINVAL;
        if (p->window > 10)
                return -EINVAL;
        return 0;
}

const char *su_totp_algo_name(enum su_totp_algo a)
{
        switch (a) {
        case SU_TOTP_SHA1:
                return "SHA1";
        case SU_TOTP_SHA256:
                return "SHA256";
        case SU_TOTP_SHA512:
                return "SHA512";
        }
        return NULL;
}

int su_totp_algo_from_name(const char *name)
{
        if (!name)
                return -EINVAL;
        if (strcasecmp(name, "SHA1") == 0)
                return SU_TOTP_SHA1;
        if (strcasecmp(name, "SHA256") == 0)
                return SU_TOTP_SHA256;
        if (strcasecmp(name, "SHA512") == 0)
                return SU_TOTP_SHA512;
        return -EINVAL;
}

int su_totp_init(void)
{
        /* oath_init() may be called more than once; each call only (re)checks the crypto
         * backend.  We never call oath_done(): the daemon keeps liboath for its lifetime. */
        return oath_init() == OATH_OK ? 0 : -EIO;
}

int64_t su_totp_step(const struct su_totp_params *p, time_t t)
{
        int64_t q, period;

        if (!p || p->period == 0)
                return -EINVAL;
        period = (int64_t)p->period;
        q = (int64_t)t / period;
        /* floor, not truncation toward zero, for times before the epoch */
        if ((int64_t)t % period != 0 && t < 0)
                q--;
        return q;
}

static int oath_to_errno(int r)
{
        switch (r) {
        case OATH_OK:
                return 0;
        case OATH_MALLOC_ERROR:
                return -ENOMEM;
        case OATH_INVALID_DIGITS:
        case OATH_INVALID_HEX:
        case OATH_TOO_SMALL_BUFFER:
        case OATH_INVALID_BASE32:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static int algo_oath_flags(enum su_totp_algo a)
{
        switch (a) {
        case SU_TOTP_SHA1:
                return 0;
        case SU_TOTP_SHA256:
                return OATH_TOTP_HMAC_SHA256;
        case SU_TOTP_SHA512:
                return OATH_TOTP_HMAC_SHA512;
        }
        return -1;
}

/* The largest step whose start time (step * period) still fits time_t. */
static int64_t step_max(unsigned period)
{
        return INT64_MAX / (int64_t)period;
}

int su_totp_code(const uint8_t *key, size_t keylen, const struct su_totp_params *p, int64_t step,
                 char out[static 9])
{
        char buf[SU_TOTP_DIGITS_MAX + 1];
        int flags, r;

        /* Key length is not held to SU_TOTP_SECRET_MIN here: imported secrets (for example
         * older google-authenticator files, 80 bits) may be shorter; enrolment enforces it. */
        if (!key || keylen == 0 || keylen > SU_TOTP_SECRET_MAX || !p || !out)
                return -EINVAL;
        if (!algo_valid(p->algo) || (p->digits != 6 && p->digits != 8) || p->period == 0)
                return -EINVAL;
        if (step < 0 || step > step_max(p->period))
                return -EINVAL;
        flags = algo_oath_flags(p->algo);
        if (flags < 0)
                return -EINVAL;

        /* now = step * period with T0 = 0: liboath's counter is then exactly step. */
        r = oath_totp_generate2((const char *)key, keylen, (time_t)(step * (int64_t)p->period),
                                p->period, 0, p->digits, flags, buf);
        if (r != OATH_OK) {
                explicit_bzero(buf, sizeof(buf));
                return oath_to_errno(r);
        }
        memcpy(out, buf, (size_t)p->digits + 1);
        explicit_bzero(buf, sizeof(buf));
        return 0;
}

/* 1 when a and b (both n bytes) are equal, 0 otherwise; time depends only on n. */
static unsigned ct_equal(const char *a, const char *b, size_t n)
{
        const volatile unsigned char *x = (const volatile unsigned char *)a;
        const volatile unsigned char *y = (const volatile unsigned char *)b;
        unsigned diff = 0;

        for (size_t i = 0; i < n; i++)
                diff |= (unsigned)(x[i] ^ y[i]);
        /* diff in 0..255: (diff - 1) >> 8 has its low bit set only for diff == 0 */
        return ((diff - 1) >> 8) & 1;
}

static bool code_well_formed(const char *code, unsigned digits)
{
        if (!code || strnlen(code, digits + 1) != digits)
                return false;
        for (unsigned i = 0; i < digits; i++)
                if (code[i] < '0' || code[i] > '9')
                        return false;
        return true;
}

int su_totp_verify(const uint8_t *key, size_t keylen, const struct su_totp_params *p, time_t now,
                   const char *code, int64_t last_step, int64_t *ret_step)
{
        char buf[SU_TOTP_DIGITS_MAX + 1];
        int64_t t, first, last, best = 0;
        unsigned fresh = 0, replay = 0;
        int r = 0;

        if (!key || !p || !ret_step)
                return -EINVAL;
        if (su_totp_params_check(p) < 0)
                return -EINVAL;
        if (!code_well_formed(code, p->digits))
                return -EINVAL;
        if (now < 0) /* a clock before the epoch is broken; refuse rather than guess */
                return -EINVAL;

        t = su_totp_step(p, now);
        if (t < 0 || t > step_max(p->period) - (int64_t)p->window)
                return -EINVAL;
        first = t - (int64_t)p->window;
        if (first < 0)
                first = 0;
        last = t + (int64_t)p->window;

        for (int64_t s = first; s <= last; s++) {
                unsigned eq, is_new;
                uint64_t mask;

                r = su_totp_code(key, keylen, p, s, buf);
                if (r < 0)
                        break;
                eq = ct_equal(buf, code, p->digits);
                is_new = (unsigned)(s > last_step);
                fresh |= eq & is_new;
                replay |= eq & (is_new ^ 1u);
                /* steps ascend, so the last fresh match, the highest, wins */
                mask = -(uint64_t)(eq & is_new);
                best = (int64_t)(((uint64_t)best & ~mask) | ((uint64_t)s & mask));
        }
        explicit_bzero(buf, sizeof(buf));
        if (r < 0)
                return r;

        if (fresh) {
                *ret_step = best;
                return 0;
        }
        return replay ? -EALREADY : -EACCES;
}

int su_totp_new_secret(uint8_t *key, size_t len)
{
        size_t done = 0;

        if (!key || len < SU_TOTP_SECRET_MIN || len > SU_TOTP_SECRET_MAX)
                return -EINVAL;
        while (done < len) {
                ssize_t n = getrandom(key + done, len - done, 0);
                if (n < 0) {
                        int e = errno;
                        if (e == EINTR)
                                continue;
                        explicit_bzero(key, len);
                        return e > 0 ? -e : -EIO;
                }
                done += (size_t)n;
        }
        return 0;
}
