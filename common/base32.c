#include "base32.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* RFC 4648 section 6 */
static const char b32_alphabet[32] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int su_base32_encode(const uint8_t *in, size_t len, char *out, size_t outsize)
{
        size_t need, o = 0;
        uint32_t acc = 0;
        unsigned bits = 0;

        if ((!in && len > 0) || !out)
                return -EINVAL;
        if (len > (SIZE_MAX - 5) / 8)
                return -ENOBUFS;
        need = (len * 8 + 4) / 5; /* characters, no padding */
        if (outsize < need + 1)
                return -ENOBUFS;

        for (size_t i = 0; i < len; i++) {
                acc = (acc << 8) | in[i];
                bits += 8;
                while (bits >= 5) {
                        bits -= 5;
                        out[o++] = b32_alphabet[(acc >> bits) & 31];
                }
        }
        if (bits > 0)
                out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
        out[o] = '\0';
        explicit_bzero(&acc, sizeof(acc));
        return 0;
}

/* Value 0..31 of a base32 character (either case), -1 when it is not one. */
static int b32_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a';
        if (c >= '2' && c <= '7')
                return c - '2' + 26;
        return -1;
}

int su_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *ret_len)
{
        size_t nchars = 0, nbytes, o = 0;
        bool padding = false;
        uint32_t acc = 0;
        unsigned bits = 0;

        if (!in || (!out && outsize > 0) || !ret_len)
                return -EINVAL;

        /* First pass: validate everything and size the output, before writing anything. */
        for (const char *c = in; *c; c++) {
                if (*c == ' ')
                        continue;
                if (*c == '=') {
                        padding = true;
                        continue;
                }
                if (padding || b32_value(*c) < 0)
                        return -EINVAL; /* data after padding, or not in the alphabet */
                nchars++;
        }
        /* A final group of 1, 3 or 6 characters cannot come from whole bytes. */
        switch (nchars % 8) {
        case 1:
        case 3:
        case 6:
                return -EINVAL;
        }
        nbytes = nchars / 8 * 5 + (nchars % 8) * 5 / 8;
        if (outsize < nbytes)
                return -ENOBUFS;

        for (const char *c = in; *c && o < nbytes; c++) {
                if (*c == ' ' || *c == '=')
                        continue;
                acc = (acc << 5) | (uint32_t)b32_value(*c);
                bits += 5;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (uint8_t)(acc >> bits);
                }
        }
        /* Leftover bits (fewer than 8) are the encoder's zero fill and are dropped. */
        explicit_bzero(&acc, sizeof(acc));
        *ret_len = nbytes;
        return 0;
}
