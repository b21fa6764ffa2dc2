/* Unit tests for stepupctl/otpauth.c */
#include "otpauth.h"

#include <errno.h>
#include <string.h>

#include "check.h"

#define SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void test_defaults(void)
{
        char out[512];

        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "SHA1", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET "&issuer=Example");
        /* algorithm name in any case */
        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "sha1", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET "&issuer=Example");
}

static void test_params(void)
{
        char out[512];

        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "SHA256", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET
                         "&issuer=Example&algorithm=SHA256");
        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "sha512", 8, 60, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET
                         "&issuer=Example&algorithm=SHA512&digits=8&period=60");
        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "SHA1", 8, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET "&issuer=Example&digits=8");
        CHECK_INT(su_otpauth_uri("Example", "alice", SECRET, "SHA1", 6, 15, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Example:alice?secret=" SECRET "&issuer=Example&period=15");
}

static void test_encoding(void)
{
        char out[512];

        /* the Key Uri Format wiki's example, with '@' encoded as RFC 3986 wants */
        CHECK_INT(su_otpauth_uri("ACME Co", "john.doe@email.com",
                                 "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", "SHA1", 6, 30, out,
                                 sizeof(out)),
                  0);
        CHECK_STREQ(out, "otpauth://totp/ACME%20Co:john.doe%40email.com"
                         "?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co");
        /* ':' in issuer or account, and the URI's own delimiters */
        CHECK_INT(su_otpauth_uri("a:b", "c:d", SECRET, "SHA1", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/a%3Ab:c%3Ad?secret=" SECRET "&issuer=a%3Ab");
        CHECK_INT(su_otpauth_uri("x&y=z", "u?v/w#%+", SECRET, "SHA1", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/x%26y%3Dz:u%3Fv%2Fw%23%25%2B?secret=" SECRET
                         "&issuer=x%26y%3Dz");
        /* unreserved characters are kept */
        CHECK_INT(su_otpauth_uri("Az09-._~", "bob", SECRET, "SHA1", 6, 30, out, sizeof(out)), 0);
        CHECK_STREQ(out, "otpauth://totp/Az09-._~:bob?secret=" SECRET "&issuer=Az09-._~");
        /* UTF-8 bytes, upper-case hex */
        CHECK_INT(
            su_otpauth_uri("h\xc3\xa9", "\xe2\x82\xac", SECRET, "SHA1", 6, 30, out, sizeof(out)),
            0);
        CHECK_STREQ(out, "otpauth://totp/h%C3%A9:%E2%82%AC?secret=" SECRET "&issuer=h%C3%A9");
}

static void test_errors(void)
{
        char out[512];

        CHECK_INT(su_otpauth_uri(NULL, "a", SECRET, "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("", "a", SECRET, "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", NULL, SECRET, "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "", SECRET, "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", NULL, "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", "", "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, NULL, 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, "", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, "MD5", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, "SHA1", 7, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, "SHA1", 6, 0, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", SECRET, "SHA1", 6, 30, NULL, 10), -EINVAL);
        /* the secret is inserted verbatim, so only canonical base32 is allowed */
        CHECK_INT(su_otpauth_uri("i", "a", "mzxw6ytboi", "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW6YTBOI======", "SHA1", 6, 30, out, sizeof(out)),
                  -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW&x=1", "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW 6YTB", "SHA1", 6, 30, out, sizeof(out)), -EINVAL);
}

static void test_sizes(void)
{
        static const char expect[] = "otpauth://totp/i:a?secret=MZXW6YTBOI&issuer=i";
        char out[sizeof(expect) + 8];

        /* exactly large enough, then one byte short */
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW6YTBOI", "SHA1", 6, 30, out, sizeof(expect)), 0);
        CHECK_STREQ(out, expect);
        memset(out, 'x', sizeof(out));
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW6YTBOI", "SHA1", 6, 30, out, sizeof(expect) - 1),
                  -ENOBUFS);
        CHECK_STREQ(out, "");
        CHECK_INT(out[sizeof(expect) - 1], 'x'); /* nothing written past size */
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW6YTBOI", "SHA1", 6, 30, out, 0), -ENOBUFS);
        CHECK_INT(su_otpauth_uri("i", "a", "MZXW6YTBOI", "SHA1", 6, 30, out, 1), -ENOBUFS);
        CHECK_STREQ(out, "");
}

int main(void)
{
        test_defaults();
        test_params();
        test_encoding();
        test_errors();
        test_sizes();
        return check_done();
}
