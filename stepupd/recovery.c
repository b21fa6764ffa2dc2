#include "recovery.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "secret_hash.h"

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static int random_chars(char *out, size_t n)
{
        unsigned char raw[32];
        if (n > sizeof(raw) || getrandom(raw, n, 0) != (ssize_t)n)
                return -EIO;
        for (size_t i = 0; i < n; i++)
                out[i] = alphabet[raw[i] & 31]; /* 256 is a multiple of 32: no bias */
        explicit_bzero(raw, sizeof(raw));
        return 0;
}

int su_recovery_new(char out[static SU_RECOVERY_CODE_LEN + 1], struct su_recovery_row *row)
{
        char chars[16];
        if (random_chars(chars, sizeof(chars)) < 0)
                return -EIO;
        memcpy(row->tag, chars, 4);
        row->tag[4] = 0;
        char secret[SU_RECOVERY_SECRET_LEN + 1];
        memcpy(secret, chars + 4, 12);
        secret[12] = 0;
        int r = su_hash_make(secret, row->hash, sizeof(row->hash));
        for (int g = 0, o = 0; g < 4; g++) {
                memcpy(out + o, chars + 4 * g, 4);
                o += 4;
                out[o++] = g < 3 ? '-' : 0;
        }
        explicit_bzero(chars, sizeof(chars));
        explicit_bzero(secret, sizeof(secret));
        return r;
}

int su_recovery_parse(const char *in, char tag[static SU_RECOVERY_TAG_LEN + 1],
                      char secret[static SU_RECOVERY_SECRET_LEN + 1])
{
        char buf[16];
        size_t n = 0;
        for (const char *p = in; *p; p++) {
                char c = *p;
                if (c == '-' || c == ' ')
                        continue;
                if (c >= 'A' && c <= 'Z')
                        c = (char)(c - 'A' + 'a');
                if (!strchr(alphabet, c) || c == 0 || n >= sizeof(buf))
                        return -EINVAL;
                buf[n++] = c;
        }
        if (n != sizeof(buf))
                return -EINVAL;
        memcpy(tag, buf, 4);
        tag[4] = 0;
        memcpy(secret, buf + 4, 12);
        secret[12] = 0;
        explicit_bzero(buf, sizeof(buf));
        return 0;
}

bool su_recovery_is_scratch(const char *in)
{
        size_t n = strlen(in);
        if (n != 8)
                return false;
        for (size_t i = 0; i < n; i++)
                if (in[i] < '0' || in[i] > '9')
                        return false;
        return true;
}
