#include "json_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

json_t *su_json_textn(const char *s, size_t n)
{
        if (!s)
                return json_null();
        json_t *v = json_stringn(s, n);
        if (v || n > (SIZE_MAX - 1) / 2)
                return v;
        /* not UTF-8: every byte above 0x7f becomes the code point of the same number */
        char *u = malloc(2 * n + 1);
        size_t o = 0;
        if (!u)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c < 0x80) {
                        u[o++] = (char)c;
                } else {
                        u[o++] = (char)(0xc0 | c >> 6);
                        u[o++] = (char)(0x80 | (c & 0x3f));
                }
        }
        v = json_stringn(u, o);
        free(u);
        return v;
}

json_t *su_json_text(const char *s)
{
        return su_json_textn(s, s ? strlen(s) : 0);
}
