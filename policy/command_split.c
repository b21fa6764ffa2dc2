/* env -S STRING ("split string"): the words GNU env makes of STRING, so that the program it
 * runs can be found.  Follows build_argv() of coreutils 9.1's env.c; a string whose words
 * depend on the environment (${NAME}) is refused rather than guessed. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "internal.h"

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int cmd_env_split(const char *s, char *out, const char **words, size_t max, bool *cut)
{
        bool sq = false, dq = false, sep = true;
        size_t n = 0, o = 0;

        *cut = false;
        while (*s) {
                char c = *s;

                switch (c) {
                case '\'':
                        if (dq)
                                break;
                        sq = !sq;
                        goto start_word; /* '' is an empty word */
                case '"':
                        if (sq)
                                break;
                        dq = !dq;
                        goto start_word;
                case ' ':
                case '\t':
                case '\n':
                case '\v':
                case '\f':
                case '\r':
                        if (sq || dq)
                                break;
                        if (!sep)
                                out[o++] = '\0';
                        sep = true;
                        while (is_blank(*s))
                                s++;
                        continue;
                case '#':
                        if (sep) {
                                *cut = true; /* a comment runs to the end of the string */
                                goto end;
                        }
                        break;
                case '$':
                        if (sq)
                                break;
                        return -EINVAL; /* ${NAME}: the caller's environment decides */
                case '\\':
                        if (sq && s[1] != '\\' && s[1] != '\'')
                                break;
                        c = *++s;
                        switch (c) {
                        case '"':
                        case '#':
                        case '$':
                        case '\'':
                        case '\\':
                                break;
                        case '_':
                                if (!dq) { /* outside "...", \_ separates words */
                                        if (!sep)
                                                out[o++] = '\0';
                                        sep = true;
                                        s++;
                                        continue;
                                }
                                c = ' ';
                                break;
                        case 'c':
                                if (dq)
                                        return -EINVAL; /* env refuses it */
                                *cut = true;
                                goto end;
                        case 'f':
                                c = '\f';
                                break;
                        case 'n':
                                c = '\n';
                                break;
                        case 'r':
                                c = '\r';
                                break;
                        case 't':
                                c = '\t';
                                break;
                        case 'v':
                                c = '\v';
                                break;
                        default: /* '\0' and unknown sequences: env refuses them */
                                return -EINVAL;
                        }
                        break;
                default:
                        break;
                }
                /* c is a byte of the current word */
                if (sep) {
                        if (n == max)
                                return -E2BIG;
                        words[n++] = out + o;
                        sep = false;
                }
                out[o++] = c;
                s++;
                continue;
        start_word:
                if (sep) {
                        if (n == max)
                                return -E2BIG;
                        words[n++] = out + o;
                        sep = false;
                }
                s++;
        }
        if (sq || dq)
                return -EINVAL; /* no terminating quote: env refuses it */
end:
        if (!sep)
                out[o++] = '\0';
        return (int)n;
}
