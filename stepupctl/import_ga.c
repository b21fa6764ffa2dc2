#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "import_util.h"

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        char *end;
        if (!*s || *s == '-' || *s == '+')
                return false;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return false;
        *ret = v;
        return true;
}

static void note(struct su_import_totp *o, const char *text)
{
        size_t n = strlen(o->notes);
        snprintf(o->notes + n, sizeof(o->notes) - n, "%s%s", n ? "; " : "", text);
}

int su_import_ga_parse(const char *name, const char *text, size_t len, struct su_import_totp *out,
                       char *err, size_t errsize)
{
        struct su_import_totp o = {.digits = 6, .period = 30, .window = 1};
        bool totp = false, seen_secret = false, seen_window = false, seen_step = false;
        unsigned line = 0;
        size_t pos = 0;
        if (memchr(text, 0, len))
                return su_import_fail(err, errsize, name, 1, "the file contains NUL bytes");
        while (pos < len) {
                const char *start = text + pos;
                const char *nl = memchr(start, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - start) : len - pos;
                pos += l + (nl ? 1 : 0);
                line++;
                char buf[512];
                if (l >= sizeof(buf))
                        return su_import_fail(err, errsize, name, line, "line too long");
                memcpy(buf, start, l);
                buf[l] = 0;
                if (l && buf[l - 1] == '\r')
                        buf[--l] = 0;
                if (!seen_secret) {
                        size_t n = 0;
                        for (size_t i = 0; i < l; i++) {
                                char c = buf[i];
                                if (c >= 'a' && c <= 'z')
                                        c = (char)(c - 'a' + 'A');
                                bool ok = (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
                                if (c == ' ' || c == '=')
                                        continue;
                                if (!ok || n + 1 >= sizeof(o.secret_b32)) {
                                        explicit_bzero(buf, sizeof(buf));
                                        return su_import_fail(
                                            err, errsize, name, line,
                                            "the first line must be the base32 secret");
                                }
                                o.secret_b32[n++] = c;
                        }
                        explicit_bzero(buf, sizeof(buf));
                        /* 16 characters = 80 bits, the shortest secret the tool ever wrote. */
                        if (n < 16)
                                return su_import_fail(
                                    err, errsize, name, line,
                                    "secret too short (%zu base32 characters, at least 16)", n);
                        seen_secret = true;
                        continue;
                }
                if (buf[0] == '"' && buf[1] == ' ') {
                        char *save = NULL, *opt = strtok_r(buf + 2, " \t", &save);
                        char *arg = strtok_r(NULL, " \t", &save);
                        unsigned long v;
                        if (!opt)
                                return su_import_fail(err, errsize, name, line,
                                                      "empty option line");
                        if (strcmp(opt, "TOTP_AUTH") == 0) {
                                totp = true;
                        } else if (strcmp(opt, "WINDOW_SIZE") == 0) {
                                /* WINDOW_SIZE counts codes: 3 = the current step and one either
                                 * side. */
                                if (!arg || !parse_uint(arg, 21, &v) || v < 1)
                                        return su_import_fail(err, errsize, name, line,
                                                              "WINDOW_SIZE must be 1 to 21");
                                if (seen_window)
                                        return su_import_fail(err, errsize, name, line,
                                                              "WINDOW_SIZE given twice");
                                seen_window = true;
                                o.window = (unsigned)(v - 1) / 2;
                                if (v % 2 == 0)
                                        note(&o,
                                             "even WINDOW_SIZE rounded down to a symmetric window");
                        } else if (strcmp(opt, "STEP_SIZE") == 0) {
                                if (!arg || !parse_uint(arg, 300, &v) || v < 10)
                                        return su_import_fail(
                                            err, errsize, name, line,
                                            "STEP_SIZE must be 10 to 300 seconds");
                                if (seen_step)
                                        return su_import_fail(err, errsize, name, line,
                                                              "STEP_SIZE given twice");
                                seen_step = true;
                                o.period = (unsigned)v;
                        } else if (strcmp(opt, "DISALLOW_REUSE") == 0) {
                                /* stepup never accepts a used step again: nothing to keep */
                        } else if (strcmp(opt, "RATE_LIMIT") == 0) {
                                unsigned long a, b;
                                char *argb = strtok_r(NULL, " \t", &save);
                                if (!arg || !argb || !parse_uint(arg, 100, &a) ||
                                    !parse_uint(argb, 3600, &b) || a < 1 || b < 1)
                                        return su_import_fail(
                                            err, errsize, name, line,
                                            "RATE_LIMIT needs attempts and seconds");
                                note(&o, "RATE_LIMIT replaced by stepupd's rate_limit_attempts "
                                         "and lockout");
                        } else if (strcmp(opt, "TIME_SKEW") == 0) {
                                note(&o, "TIME_SKEW ignored: stepupd uses the system clock");
                        } else if (strcmp(opt, "HOTP_COUNTER") == 0) {
                                return su_import_fail(
                                    err, errsize, name, line,
                                    "HOTP (counter-based) secrets are not supported; "
                                    "only TOTP_AUTH files can be imported");
                        } else {
                                return su_import_fail(err, errsize, name, line,
                                                      "unknown option '%s'", opt);
                        }
                        continue;
                }
                if (l == 0)
                        continue;
                if (l == 8 && strspn(buf, "0123456789") == 8) {
                        if (o.nscratch >= SU_IMPORT_SCRATCH_MAX)
                                return su_import_fail(err, errsize, name, line,
                                                      "more than %d scratch codes",
                                                      SU_IMPORT_SCRATCH_MAX);
                        memcpy(o.scratch[o.nscratch++], buf, 9);
                        explicit_bzero(buf, sizeof(buf));
                        continue;
                }
                explicit_bzero(buf, sizeof(buf));
                return su_import_fail(
                    err, errsize, name, line,
                    "expected an option line (\" NAME) or an 8-digit scratch code");
        }
        if (!seen_secret)
                return su_import_fail(err, errsize, name, 1, "empty file: no secret");
        if (!totp)
                return su_import_fail(
                    err, errsize, name, line,
                    "no TOTP_AUTH line: HOTP (counter-based) secrets are not supported");
        *out = o;
        explicit_bzero(&o, sizeof(o));
        return 0;
}
