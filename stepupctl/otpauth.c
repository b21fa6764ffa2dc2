/* otpauth:// URI builder, see
 * https://github.com/google/google-authenticator/wiki/Key-Uri-Format */
#include "otpauth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct cursor {
        char *buf;
        size_t size, len;
        bool overflow;
};

static void put_char(struct cursor *c, char ch)
{
        /* keep one byte for the terminating NUL */
        if (c->overflow || c->len + 1 >= c->size) {
                c->overflow = true;
                return;
        }
        c->buf[c->len++] = ch;
}

static void put_str(struct cursor *c, const char *s)
{
        for (; *s; s++)
                put_char(c, *s);
}

/* RFC 3986 section 2.3 */
static bool unreserved(unsigned char ch)
{
        return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
               ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static void put_encoded(struct cursor *c, const char *s)
{
        static const char hex[16] = "0123456789ABCDEF";

        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (unreserved(*p)) {
                        put_char(c, (char)*p);
                } else {
                        put_char(c, '%');
                        put_char(c, hex[*p >> 4]);
                        put_char(c, hex[*p & 15]);
                }
        }
}

static void put_uint(struct cursor *c, unsigned v)
{
        char num[16];

        snprintf(num, sizeof(num), "%u", v);
        put_str(c, num);
}

static bool base32_valid(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!((*s >= 'A' && *s <= 'Z') || (*s >= '2' && *s <= '7')))
                        return false;
        return true;
}

int su_otpauth_uri(const char *issuer, const char *account, const char *secret_b32,
                   const char *algo, unsigned digits, unsigned period, char *out, size_t size)
{
        struct cursor c = {.buf = out, .size = size};
        const char *algo_param;

        if (!issuer || !*issuer || !account || !*account || !secret_b32 || !algo || !out)
                return -EINVAL;
        if (!base32_valid(secret_b32))
                return -EINVAL;
        if (strcasecmp(algo, "SHA1") == 0)
                algo_param = NULL;
        else if (strcasecmp(algo, "SHA256") == 0)
                algo_param = "SHA256";
        else if (strcasecmp(algo, "SHA512") == 0)
                algo_param = "SHA512";
        else
                return -EINVAL;
        if ((digits != 6 && digits != 8) || period == 0)
                return -EINVAL;

        put_str(&c, "otpauth://totp/");
        put_encoded(&c, issuer);
        put_char(&c, ':');
        put_encoded(&c, account);
        put_str(&c, "?secret=");
        put_str(&c, secret_b32);
        put_str(&c, "&issuer=");
        put_encoded(&c, issuer);
        if (algo_param) {
                put_str(&c, "&algorithm=");
                put_str(&c, algo_param);
        }
        if (digits != 6) {
                put_str(&c, "&digits=");
                put_uint(&c, digits);
        }
        if (period != 30) {
                put_str(&c, "&period=");
                put_uint(&c, period);
        }

        if (c.overflow) {
                if (size > 0)
                        explicit_bzero(out, size); /* no half URI holding part of a secret */
                return -ENOBUFS;
        }
        out[c.len] = '\0';
        return 0;
}
