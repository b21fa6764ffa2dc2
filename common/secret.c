#include "secret.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool su_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
        const volatile uint8_t *x = a, *y = b;
        size_t n = alen > blen ? alen : blen;
        uint8_t diff = (uint8_t)(alen != blen);
        for (size_t i = 0; i < n; i++) {
                uint8_t cx = i < alen ? x[i] : 0;
                uint8_t cy = i < blen ? y[i] : 0;
                diff |= (uint8_t)(cx ^ cy);
        }
        return diff == 0;
}

char *su_free_secret(char *s)
{
        if (s) {
                explicit_bzero(s, strlen(s));
                free(s);
        }
        return NULL;
}
