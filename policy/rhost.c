/* rhost items: IPv4/IPv6 addresses, ADDRESS/PREFIX networks, and host-name globs.  Matching is
 * textual for names and never resolves anything: PAM_RHOST is what the service reported. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

/* Parse an address (no prefix) into a family and 16 bytes.  An IPv4-mapped IPv6 address is
 * treated as the IPv4 address it carries, so ::ffff:10.1.2.3 is inside 10.0.0.0/8. */
static int parse_addr(const char *s, unsigned char out[16])
{
        struct in6_addr a6;
        struct in_addr a4;

        memset(out, 0, 16);
        if (inet_pton(AF_INET, s, &a4) == 1) {
                memcpy(out, &a4, 4);
                return AF_INET;
        }
        if (inet_pton(AF_INET6, s, &a6) == 1) {
                static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
                if (memcmp(a6.s6_addr, mapped, 12) == 0) {
                        memcpy(out, a6.s6_addr + 12, 4);
                        return AF_INET;
                }
                memcpy(out, a6.s6_addr, 16);
                return AF_INET6;
        }
        return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
        unsigned full = bits / 8, rem = bits % 8;

        if (memcmp(a, b, full) != 0)
                return false;
        if (rem == 0)
                return true;
        return ((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rem))) == 0;
}

static bool valid_name_glob(const char *s)
{
        bool only_digits_dots = true;

        if (!*s)
                return false;
        for (const char *p = s; *p; p++) {
                if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_*?[]!",
                           *p) == NULL)
                        return false;
                if (!strchr("0123456789.", *p))
                        only_digits_dots = false;
        }
        return !only_digits_dots; /* "10.0.0" is a broken address, not a host name */
}

int host_pattern_parse(const char *s, struct host_pattern *h, char *err, size_t errsize)
{
        const char *slash = strchr(s, '/');
        char addr[64];
        unsigned long prefix;
        unsigned char masked[16];
        char *end;

        memset(h, 0, sizeof(*h));
        if (!slash) {
                h->family = parse_addr(s, h->addr);
                if (h->family) {
                        h->prefix = h->family == AF_INET ? 32 : 128;
                } else if (!valid_name_glob(s)) {
                        snprintf(err, errsize,
                                 "bad rhost '%s' (expected an IP address, ADDRESS/PREFIX or a "
                                 "host name)",
                                 s);
                        return -EINVAL;
                }
        } else {
                size_t alen = (size_t)(slash - s);
                unsigned max;

                if (alen < sizeof(addr)) {
                        memcpy(addr, s, alen);
                        addr[alen] = '\0';
                        h->family = parse_addr(addr, h->addr);
                }
                if (!h->family) {
                        snprintf(err, errsize,
                                 "bad CIDR '%s' (expected ADDRESS/PREFIX, e.g. 10.0.0.0/8 or "
                                 "fd00::/8)",
                                 s);
                        return -EINVAL;
                }
                max = h->family == AF_INET ? 32 : 128;
                errno = 0;
                prefix = strtoul(slash + 1, &end, 10);
                if (slash[1] < '0' || slash[1] > '9' || *end || errno || prefix > max) {
                        snprintf(err, errsize, "bad CIDR '%s' (prefix must be 0-%u)", s, max);
                        return -EINVAL;
                }
                h->prefix = (unsigned)prefix;
                /* 10.1.2.3/8 is almost always a typo for /32 or for 10.0.0.0/8; refuse it
                 * rather than guess which one was meant. */
                memcpy(masked, h->addr, sizeof(masked));
                for (unsigned bit = h->prefix; bit < 128; bit++)
                        masked[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
                if (memcmp(masked, h->addr, sizeof(masked)) != 0) {
                        snprintf(err, errsize, "bad CIDR '%s' (bits set after the /%u prefix)", s,
                                 h->prefix);
                        return -EINVAL;
                }
        }
        h->text = strdup(s);
        if (!h->text)
                return -ENOMEM;
        return 0;
}

bool host_match(const struct host_pattern *h, const char *rhost)
{
        unsigned char addr[16];
        char buf[64];
        const char *pct;
        int family;

        if (!rhost || !*rhost)
                return false; /* local: no rhost item matches */
        if (h->family == 0)
                return fnmatch(h->text, rhost, FNM_CASEFOLD) == 0;

        /* Drop an IPv6 zone ("fe80::1%eth0"); inet_pton does not take one. */
        pct = strchr(rhost, '%');
        if (pct) {
                if ((size_t)(pct - rhost) >= sizeof(buf))
                        return false;
                memcpy(buf, rhost, (size_t)(pct - rhost));
                buf[pct - rhost] = '\0';
                rhost = buf;
        }
        family = parse_addr(rhost, addr);
        return family == h->family && prefix_equal(addr, h->addr, h->prefix);
}
