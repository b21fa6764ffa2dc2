#include "secret_hash.h"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"

int su_hash_make(const char *plain, char *out, size_t size)
{
        char salt[CRYPT_GENSALT_OUTPUT_SIZE];
        /* count 0: libcrypt's default yescrypt cost; random salt from getentropy. */
        if (!crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)))
                return -EIO;
        struct crypt_data *cd = calloc(1, sizeof(*cd));
        if (!cd)
                return -ENOMEM;
        const char *h = crypt_rn(plain, salt, cd, sizeof(*cd));
        int r = 0;
        if (!h || h[0] == '*')
                r = -EIO;
        else if (strlen(h) >= size)
                r = -ENOBUFS;
        else
                strcpy(out, h);
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return r;
}

bool su_hash_check(const char *plain, const char *hash)
{
        struct crypt_data *cd = calloc(1, sizeof(*cd));
        if (!cd)
                return false;
        const char *h = crypt_rn(plain, hash, cd, sizeof(*cd));
        bool ok = h && h[0] != '*' && su_ct_equal(h, strlen(h), hash, strlen(hash));
        explicit_bzero(cd, sizeof(*cd));
        free(cd);
        return ok;
}
