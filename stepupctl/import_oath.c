#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "import.h"
#include "import_util.h"
#include "names.h"

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* TYPE is HOTP, HOTP/E, HOTP/T<step>, each optionally /<digits>. */
static int parse_type(const char *t, unsigned *period, unsigned *digits, const char **why)
{
        if (strncmp(t, "HOTP", 4) != 0) {
                *why = "unknown token type (expected HOTP/T30 or similar)";
                return -EINVAL;
        }
        const char *p = t + 4;
        *digits = 6;
        *period = 0;
        if (*p == '/' && (p[1] == 'T')) {
                char *end;
                unsigned long v = strtoul(p + 2, &end, 10);
                if (end == p + 2 || v < 10 || v > 300) {
                        *why = "time step must be 10 to 300 seconds";
                        return -EINVAL;
                }
                *period = (unsigned)v;
                p = end;
        } else if (*p == '/' && p[1] == 'E') {
                p += 2;
        }
        if (*p == '/') {
                char *end;
                unsigned long v = strtoul(p + 1, &end, 10);
                if (end == p + 1 || (v != 6 && v != 8)) {
                        *why = "digits must be 6 or 8";
                        return -EINVAL;
                }
                *digits = (unsigned)v;
                p = end;
        }
        if (*p) {
                *why = "malformed token type";
                return -EINVAL;
        }
        if (*period == 0) {
                *why = "event-based HOTP tokens are not supported; only time-based lines "
                       "(HOTP/T30...) can be imported";
                return -EOPNOTSUPP;
        }
        return 0;
}

int su_import_oath_parse(const char *name, const char *text, size_t len, struct su_import_totp *out,
                         size_t max, size_t *n, char *err, size_t errsize)
{
        unsigned line = 0;
        size_t pos = 0, count = 0;
        int r = 0;
        if (memchr(text, 0, len))
                return su_import_fail(err, errsize, name, 1, "the file contains NUL bytes");
        while (pos < len && r == 0) {
                const char *start = text + pos;
                const char *nl = memchr(start, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - start) : len - pos;
                pos += l + (nl ? 1 : 0);
                line++;
                char buf[1024];
                if (l >= sizeof(buf)) {
                        r = su_import_fail(err, errsize, name, line, "line too long");
                        break;
                }
                memcpy(buf, start, l);
                buf[l] = 0;
                char *save = NULL;
                char *f[8];
                size_t nf = 0;
                for (char *t = strtok_r(buf, " \t\r", &save); t && nf < 8;
                     t = strtok_r(NULL, " \t\r", &save))
                        f[nf++] = t;
                if (nf == 0 || f[0][0] == '#') {
                        explicit_bzero(buf, sizeof(buf));
                        continue;
                }
                struct su_import_totp o = {.window = 1};
                const char *why = NULL;
                if (nf < 4 || nf > 7)
                        r = su_import_fail(
                            err, errsize, name, line,
                            "expected TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP "
                            "[LASTTIME]]]");
                else if (parse_type(f[0], &o.period, &o.digits, &why) < 0)
                        r = su_import_fail(err, errsize, name, line, "%s", why);
                else if (!su_valid_user(f[1]))
                        r = su_import_fail(err, errsize, name, line, "invalid user name");
                else if (strcmp(f[2], "-") != 0)
                        r = su_import_fail(
                            err, errsize, name, line,
                            "a password/PIN in the usersfile cannot be imported (stepup "
                            "keeps the password with pam_unix); use '-'");
                else if (count >= max)
                        r = su_import_fail(err, errsize, name, line, "more than %zu users", max);
                if (r == 0) {
                        size_t hl = strlen(f[3]);
                        uint8_t key[64];
                        bool ok = hl % 2 == 0 && hl / 2 >= 10 && hl / 2 <= sizeof(key);
                        for (size_t i = 0; ok && i < hl / 2; i++) {
                                int hi = hexval(f[3][2 * i]), lo = hexval(f[3][2 * i + 1]);
                                ok = hi >= 0 && lo >= 0;
                                if (ok) /* -1 must never reach the shift (found by fuzzing) */
                                        key[i] = (uint8_t)(hi << 4 | lo);
                        }
                        if (!ok)
                                r = su_import_fail(err, errsize, name, line,
                                                   "the secret must be 20 to 128 hex digits");
                        else if (su_base32_encode(key, hl / 2, o.secret_b32, sizeof(o.secret_b32)) <
                                 0)
                                r = su_import_fail(err, errsize, name, line, "secret too long");
                        explicit_bzero(key, sizeof(key));
                }
                if (r == 0) {
                        snprintf(o.user, sizeof(o.user), "%s", f[1]);
                        for (size_t i = 0; i < count; i++)
                                if (strcmp(out[i].user, o.user) == 0)
                                        r = su_import_fail(err, errsize, name, line,
                                                           "user '%s' appears twice", o.user);
                }
                if (r == 0)
                        out[count++] = o;
                explicit_bzero(&o, sizeof(o));
                explicit_bzero(buf, sizeof(buf));
        }
        if (r == 0 && count == 0)
                r = su_import_fail(err, errsize, name, line ? line : 1, "no users in the file");
        if (r < 0) {
                explicit_bzero(out, count * sizeof(*out));
                return r;
        }
        *n = count;
        return 0;
}
