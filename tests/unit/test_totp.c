/* Unit tests for stepupd/totp.c: RFC 4226 and RFC 6238 vectors, window, replay, base32. */
#include "totp.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* RFC 6238 Appendix A seeds: the ASCII digits repeated to the hash's length. */
static const char seed20[] = "12345678901234567890";
static const char seed32[] = "12345678901234567890123456789012";
static const char seed64[] = "1234567890123456789012345678901234567890123456789012345678901234";

static void test_params(void)
{
        struct su_totp_params p;

        su_totp_params_default(&p);
        CHECK_INT(p.algo, SU_TOTP_SHA1);
        CHECK_INT(p.digits, 6);
        CHECK_INT(p.period, 30);
        CHECK_INT(p.window, 1);
        CHECK_INT(su_totp_params_check(&p), 0);
        CHECK_INT(su_totp_params_check(NULL), -EINVAL);

        p.digits = 7;
        CHECK_INT(su_totp_params_check(&p), -EINVAL);
        p.digits = 8;
        CHECK_INT(su_totp_params_check(&p), 0);
        p.period = 9;
        CHECK_INT(su_totp_params_check(&p), -EINVAL);
        p.period = 301;
        CHECK_INT(su_totp_params_check(&p), -EINVAL);
        p.period = 10;
        CHECK_INT(su_totp_params_check(&p), 0);
        p.period = 300;
        CHECK_INT(su_totp_params_check(&p), 0);
        p.window = 11;
        CHECK_INT(su_totp_params_check(&p), -EINVAL);
        p.window = 10;
        CHECK_INT(su_totp_params_check(&p), 0);
        p.window = 0;
        CHECK_INT(su_totp_params_check(&p), 0);
        p.algo = (enum su_totp_algo)3;
        CHECK_INT(su_totp_params_check(&p), -EINVAL);

        CHECK_STREQ(su_totp_algo_name(SU_TOTP_SHA1), "SHA1");
        CHECK_STREQ(su_totp_algo_name(SU_TOTP_SHA256), "SHA256");
        CHECK_STREQ(su_totp_algo_name(SU_TOTP_SHA512), "SHA512");
        CHECK(su_totp_algo_name((enum su_totp_algo)7) == NULL);
        CHECK_INT(su_totp_algo_from_name("SHA1"), SU_TOTP_SHA1);
        CHECK_INT(su_totp_algo_from_name("sha256"), SU_TOTP_SHA256);
        CHECK_INT(su_totp_algo_from_name("Sha512"), SU_TOTP_SHA512);
        CHECK_INT(su_totp_algo_from_name("MD5"), -EINVAL);
        CHECK_INT(su_totp_algo_from_name(""), -EINVAL);
        CHECK_INT(su_totp_algo_from_name(NULL), -EINVAL);
}

static void test_step(void)
{
        struct su_totp_params p;

        su_totp_params_default(&p);
        CHECK_INT(su_totp_step(&p, 0), 0);
        CHECK_INT(su_totp_step(&p, 29), 0);
        CHECK_INT(su_totp_step(&p, 30), 1);
        CHECK_INT(su_totp_step(&p, 59), 1);
        CHECK_INT(su_totp_step(&p, 1111111109), 37037036);
        CHECK(sizeof(time_t) >= 8);
        CHECK_INT(su_totp_step(&p, (time_t)20000000000LL), 666666666);
        CHECK_INT(su_totp_step(&p, -1), -1);
        CHECK_INT(su_totp_step(&p, -30), -1);
        CHECK_INT(su_totp_step(&p, -31), -2);
}

/* RFC 4226 Appendix D: HOTP(counter) = su_totp_code(step = counter), whatever the period. */
static void test_rfc4226(void)
{
        static const char *const expected[10] = {"755224", "287082", "359152", "969429", "338314",
                                                 "254676", "287922", "162583", "399871", "520489"};
        struct su_totp_params p;
        char out[9];

        su_totp_params_default(&p);
        for (int64_t c = 0; c < 10; c++) {
                memset(out, 'x', sizeof(out));
                CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, c, out), 0);
                CHECK_STREQ(out, expected[c]);
        }
        /* the counter does not depend on the period */
        p.period = 60;
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, 9, out), 0);
        CHECK_STREQ(out, "520489");
}

/* RFC 6238 Appendix B */
static void test_rfc6238(void)
{
        static const struct {
                int64_t t;
                const char *sha1, *sha256, *sha512;
        } rows[] = {
            {59, "94287082", "46119246", "90693936"},
            {1111111109, "07081804", "68084774", "25091201"},
            {1111111111, "14050471", "67062674", "99943326"},
            {1234567890, "89005924", "91819424", "93441116"},
            {2000000000, "69279037", "90698825", "38618901"},
            {20000000000LL, "65353130", "77737706", "47863826"},
        };
        struct su_totp_params p;
        char out[9];
        int64_t step, got;

        su_totp_params_default(&p);
        p.digits = 8;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                step = su_totp_step(&p, (time_t)rows[i].t);

                p.algo = SU_TOTP_SHA1;
                CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, step, out), 0);
                CHECK_STREQ(out, rows[i].sha1);
                got = -1;
                CHECK_INT(su_totp_verify((const uint8_t *)seed20, 20, &p, (time_t)rows[i].t,
                                         rows[i].sha1, -1, &got),
                          0);
                CHECK_INT(got, step);

                p.algo = SU_TOTP_SHA256;
                CHECK_INT(su_totp_code((const uint8_t *)seed32, 32, &p, step, out), 0);
                CHECK_STREQ(out, rows[i].sha256);
                got = -1;
                CHECK_INT(su_totp_verify((const uint8_t *)seed32, 32, &p, (time_t)rows[i].t,
                                         rows[i].sha256, -1, &got),
                          0);
                CHECK_INT(got, step);

                p.algo = SU_TOTP_SHA512;
                CHECK_INT(su_totp_code((const uint8_t *)seed64, 64, &p, step, out), 0);
                CHECK_STREQ(out, rows[i].sha512);
                got = -1;
                CHECK_INT(su_totp_verify((const uint8_t *)seed64, 64, &p, (time_t)rows[i].t,
                                         rows[i].sha512, -1, &got),
                          0);
                CHECK_INT(got, step);
        }

        /* REFERENCE.md: the 20-byte seed with SHA256 at t=59 gives another code */
        p.algo = SU_TOTP_SHA256;
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, 1, out), 0);
        CHECK_STREQ(out, "32247374");
}

static void test_code_errors(void)
{
        struct su_totp_params p;
        char out[9];
        uint8_t big[SU_TOTP_SECRET_MAX + 1] = {0};

        su_totp_params_default(&p);
        CHECK_INT(su_totp_code(NULL, 20, &p, 0, out), -EINVAL);
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 0, &p, 0, out), -EINVAL);
        CHECK_INT(su_totp_code(big, sizeof(big), &p, 0, out), -EINVAL);
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, NULL, 0, out), -EINVAL);
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, -1, out), -EINVAL);
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, INT64_MAX, out), -EINVAL);
        p.digits = 7;
        CHECK_INT(su_totp_code((const uint8_t *)seed20, 20, &p, 0, out), -EINVAL);
}

static void test_window_and_replay(void)
{
        const uint8_t *key = (const uint8_t *)seed20;
        struct su_totp_params p;
        const time_t now = 1700000015; /* mid-step */
        char c_m2[9], c_m1[9], c_0[9], c_p1[9], c_p2[9];
        int64_t T, got;

        su_totp_params_default(&p); /* window 1 */
        T = su_totp_step(&p, now);
        CHECK_INT(T, 56666667);
        CHECK_INT(su_totp_code(key, 20, &p, T - 2, c_m2), 0);
        CHECK_INT(su_totp_code(key, 20, &p, T - 1, c_m1), 0);
        CHECK_INT(su_totp_code(key, 20, &p, T, c_0), 0);
        CHECK_INT(su_totp_code(key, 20, &p, T + 1, c_p1), 0);
        CHECK_INT(su_totp_code(key, 20, &p, T + 2, c_p2), 0);
        /* no accidental collisions in this fixture, or the checks below mean nothing */
        CHECK(strcmp(c_m2, c_m1) && strcmp(c_m2, c_0) && strcmp(c_m2, c_p1));
        CHECK(strcmp(c_p2, c_m1) && strcmp(c_p2, c_0) && strcmp(c_p2, c_p1));
        CHECK(strcmp(c_m1, c_0) && strcmp(c_m1, c_p1) && strcmp(c_0, c_p1));

        got = -7;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m1, -1, &got), 0);
        CHECK_INT(got, T - 1);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, -1, &got), 0);
        CHECK_INT(got, T);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_p1, -1, &got), 0);
        CHECK_INT(got, T + 1);
        got = -7;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_p2, -1, &got), -EACCES);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m2, -1, &got), -EACCES);
        CHECK_INT(got, -7); /* untouched on failure */

        /* window 0: only T */
        p.window = 0;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, -1, &got), 0);
        CHECK_INT(got, T);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m1, -1, &got), -EACCES);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_p1, -1, &got), -EACCES);
        p.window = 1;

        /* replay: steps <= last_step are never accepted */
        got = -7;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, T, &got), -EALREADY);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m1, T, &got), -EALREADY);
        CHECK_INT(got, -7);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_p1, T, &got), 0);
        CHECK_INT(got, T + 1);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, T - 1, &got), 0);
        CHECK_INT(got, T);
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m1, T - 1, &got), -EALREADY);
        /* a code outside the window is a plain failure, not a replay */
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_m2, T, &got), -EACCES);

        /* malformed codes */
        CHECK_INT(su_totp_verify(key, 20, &p, now, "12345", -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, now, "1234567", -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, now, "12a456", -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, now, " 12345", -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, now, "", -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, now, NULL, -1, &got), -EINVAL);
        p.digits = 8;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, -1, &got), -EINVAL);
        p.digits = 6;
        /* bad arguments */
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, -1, NULL), -EINVAL);
        CHECK_INT(su_totp_verify(NULL, 20, &p, now, c_0, -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, NULL, now, c_0, -1, &got), -EINVAL);
        CHECK_INT(su_totp_verify(key, 20, &p, -1, c_0, -1, &got), -EINVAL);
        p.window = 11;
        CHECK_INT(su_totp_verify(key, 20, &p, now, c_0, -1, &got), -EINVAL);
        p.window = 1;

        /* near the epoch the window is clipped at step 0 */
        CHECK_INT(su_totp_code(key, 20, &p, 0, c_0), 0);
        CHECK_INT(su_totp_verify(key, 20, &p, 5, c_0, -1, &got), 0);
        CHECK_INT(got, 0);
}

/* When two steps of the window give the same code, the highest fresh one is taken. */
static void test_collision(void)
{
        enum { N = 2000000, DIST = 20, RING = 32 };
        const uint8_t *key = (const uint8_t *)seed20;
        struct su_totp_params p;
        char ring[RING][9], out[9];
        int64_t s1 = -1, s2 = -1, got;
        time_t now;

        su_totp_params_default(&p);
        p.window = 10;
        /* Deterministic search for two steps at most DIST apart with equal 6-digit codes:
         * about one expected per 50000 steps. */
        for (int64_t s = 0; s < N && s2 < 0; s++) {
                if (su_totp_code(key, 20, &p, s, out) < 0)
                        break;
                for (int64_t d = 1; d <= DIST && d <= s; d++)
                        if (strcmp(ring[(s - d) % RING], out) == 0) {
                                s1 = s - d;
                                s2 = s;
                                break;
                        }
                memcpy(ring[s % RING], out, sizeof(out));
        }
        CHECK(s2 > s1 && s1 >= 0);
        if (s2 < 0)
                return;

        now = (time_t)(((s1 + s2) / 2) * (int64_t)p.period);
        CHECK_INT(su_totp_code(key, 20, &p, s1, out), 0);
        CHECK_INT(su_totp_verify(key, 20, &p, now, out, -1, &got), 0);
        CHECK_INT(got, s2);
        CHECK_INT(su_totp_verify(key, 20, &p, now, out, s1, &got), 0);
        CHECK_INT(got, s2);
        CHECK_INT(su_totp_verify(key, 20, &p, now, out, s2, &got), -EALREADY);
}

static void test_new_secret(void)
{
        uint8_t a[SU_TOTP_SECRET_MAX], b[SU_TOTP_SECRET_MAX];

        CHECK_INT(su_totp_new_secret(a, 20), 0);
        CHECK_INT(su_totp_new_secret(b, 20), 0);
        CHECK(memcmp(a, b, 20) != 0);
        CHECK_INT(su_totp_new_secret(a, SU_TOTP_SECRET_MAX), 0);
        CHECK_INT(su_totp_new_secret(b, SU_TOTP_SECRET_MAX), 0);
        CHECK(memcmp(a, b, SU_TOTP_SECRET_MAX) != 0);
        CHECK_INT(su_totp_new_secret(a, SU_TOTP_SECRET_MIN - 1), -EINVAL);
        CHECK_INT(su_totp_new_secret(a, SU_TOTP_SECRET_MAX + 1), -EINVAL);
        CHECK_INT(su_totp_new_secret(NULL, 20), -EINVAL);
}

static void test_base32(void)
{
        /* RFC 4648 section 10, padding removed for encode */
        static const struct {
                const char *plain, *enc, *padded;
        } v[] = {
            {"", "", ""},
            {"f", "MY", "MY======"},
            {"fo", "MZXQ", "MZXQ===="},
            {"foo", "MZXW6", "MZXW6==="},
            {"foob", "MZXW6YQ", "MZXW6YQ="},
            {"fooba", "MZXW6YTB", "MZXW6YTB"},
            {"foobar", "MZXW6YTBOI", "MZXW6YTBOI======"},
        };
        char enc[256];
        uint8_t dec[256];
        size_t n;

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                size_t len = strlen(v[i].plain);

                CHECK_INT(su_base32_encode((const uint8_t *)v[i].plain, len, enc, sizeof(enc)), 0);
                CHECK_STREQ(enc, v[i].enc);
                n = 999;
                CHECK_INT(su_base32_decode(v[i].enc, dec, sizeof(dec), &n), 0);
                CHECK_INT(n, len);
                CHECK(memcmp(dec, v[i].plain, len) == 0);
                n = 999;
                CHECK_INT(su_base32_decode(v[i].padded, dec, sizeof(dec), &n), 0);
                CHECK_INT(n, len);
                CHECK(memcmp(dec, v[i].plain, len) == 0);
        }

        /* the RFC 6238 SHA1 seed, as authenticator apps show it */
        CHECK_INT(su_base32_encode((const uint8_t *)seed20, 20, enc, sizeof(enc)), 0);
        CHECK_STREQ(enc, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");

        /* lower case and spaces */
        CHECK_INT(su_base32_decode("mzxw 6ytb oi", dec, sizeof(dec), &n), 0);
        CHECK_INT(n, 6);
        CHECK(memcmp(dec, "foobar", 6) == 0);
        CHECK_INT(su_base32_decode("gezd gnbv gy3t qojq GEZD GNBV GY3T QOJQ", dec, sizeof(dec), &n),
                  0);
        CHECK_INT(n, 20);
        CHECK(memcmp(dec, seed20, 20) == 0);
        CHECK_INT(su_base32_decode("   ", dec, sizeof(dec), &n), 0);
        CHECK_INT(n, 0);

        /* rejected input; *ret_len untouched */
        n = 999;
        CHECK_INT(su_base32_decode("MZXW1", dec, sizeof(dec), &n), -EINVAL); /* '1' */
        CHECK_INT(su_base32_decode("MZXW0", dec, sizeof(dec), &n), -EINVAL); /* '0' */
        CHECK_INT(su_base32_decode("MZ-XW6", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZXW6\n", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZXW\t6", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MY==MY", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("M", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZX", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZXW6Y", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZXW6YTB\xc3\xa9", dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode(NULL, dec, sizeof(dec), &n), -EINVAL);
        CHECK_INT(su_base32_decode("MZXW6", dec, sizeof(dec), NULL), -EINVAL);
        CHECK_INT(n, 999);

        /* output too small */
        CHECK_INT(su_base32_encode((const uint8_t *)"foobar", 6, enc, 10), -ENOBUFS);
        CHECK_INT(su_base32_encode((const uint8_t *)"foobar", 6, enc, 11), 0);
        CHECK_STREQ(enc, "MZXW6YTBOI");
        CHECK_INT(su_base32_encode((const uint8_t *)"", 0, enc, 0), -ENOBUFS);
        CHECK_INT(su_base32_encode(NULL, 0, enc, 1), 0);
        CHECK_STREQ(enc, "");
        CHECK_INT(su_base32_encode(NULL, 1, enc, sizeof(enc)), -EINVAL);
        memset(dec, 0xaa, sizeof(dec));
        CHECK_INT(su_base32_decode("MZXW6YTBOI", dec, 5, &n), -ENOBUFS);
        CHECK_INT(dec[0], 0xaa); /* nothing written */
        CHECK_INT(su_base32_decode("MZXW6YTBOI", dec, 6, &n), 0);
        CHECK_INT(n, 6);

        /* round trips of every length up to the largest secret, random and all-ones data */
        for (size_t len = 0; len <= SU_TOTP_SECRET_MAX; len++) {
                uint8_t in[SU_TOTP_SECRET_MAX];
                size_t got = 999;

                if (len >= SU_TOTP_SECRET_MIN)
                        CHECK_INT(su_totp_new_secret(in, len), 0);
                else
                        for (size_t i = 0; i < len; i++)
                                in[i] = (uint8_t)(0xff - i * 37);
                CHECK_INT(su_base32_encode(in, len, enc, sizeof(enc)), 0);
                CHECK_INT(strlen(enc), (len * 8 + 4) / 5);
                CHECK_INT(su_base32_decode(enc, dec, sizeof(dec), &got), 0);
                CHECK_INT(got, len);
                CHECK(memcmp(in, dec, len) == 0);
                /* exactly sized buffers work */
                CHECK_INT(su_base32_encode(in, len, enc, (len * 8 + 4) / 5 + 1), 0);
                CHECK_INT(su_base32_decode(enc, dec, len, &got), 0);
                CHECK(memcmp(in, dec, len) == 0);
        }
}

int main(void)
{
        CHECK_INT(su_totp_init(), 0);
        CHECK_INT(su_totp_init(), 0); /* idempotent */
        test_params();
        test_step();
        test_rfc4226();
        test_rfc6238();
        test_code_errors();
        test_window_and_replay();
        test_collision();
        test_new_secret();
        test_base32();
        return check_done();
}
