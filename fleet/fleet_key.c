/* The fleet key and sealing TOTP secrets with it (fleet_key.h). */
#include "fleet_key.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_read.h"

#define KEY_FILE_MAX 128 /* a larger file is refused before it is read */

static const char check_text[] = "stepup fleet key check v1";

int su_fleet_crypto_init(void)
{
        return sodium_init() < 0 ? -EIO : 0;
}

/* 64 hex digits, then at most one newline; decoded by libsodium in constant time (the key's
 * digits must not steer branches or table lookups). */
static int parse_hex(const char *text, size_t len, uint8_t key[SU_FLEET_KEY_LEN])
{
        size_t out = 0;
        if (len == 2 * SU_FLEET_KEY_LEN + 1 && text[len - 1] == '\n')
                len--;
        if (len != 2 * SU_FLEET_KEY_LEN ||
            sodium_hex2bin(key, SU_FLEET_KEY_LEN, text, len, NULL, &out, NULL) != 0 ||
            out != SU_FLEET_KEY_LEN)
                return -EINVAL;
        return 0;
}

int su_fleet_key_read(const char *path, uid_t owner, uint8_t key[SU_FLEET_KEY_LEN], char *why,
                      size_t whysize)
{
        char *text = NULL;
        size_t len = 0;
        int r = su_safe_read(path, owner, KEY_FILE_MAX,
                             SU_SAFE_ROOT_TOO | SU_SAFE_SECRET | SU_SAFE_BINARY, &text, &len, why,
                             whysize);
        if (r < 0) {
                if (r == -EFBIG)
                        snprintf(why, whysize,
                                 "must be %d bytes, or %d hex digits (stepupctl fleet keygen)",
                                 SU_FLEET_KEY_LEN, 2 * SU_FLEET_KEY_LEN);
                return r;
        }
        if (len == SU_FLEET_KEY_LEN) {
                memcpy(key, text, SU_FLEET_KEY_LEN);
                r = 0;
        } else {
                r = parse_hex(text, len, key);
        }
        explicit_bzero(text, len);
        free(text);
        if (r < 0) {
                sodium_memzero(key, SU_FLEET_KEY_LEN);
                snprintf(why, whysize,
                         "%zu bytes: must be %d bytes, or %d hex digits (stepupctl fleet keygen)",
                         len, SU_FLEET_KEY_LEN, 2 * SU_FLEET_KEY_LEN);
        }
        return r;
}

int su_fleet_key_new(const char *path, char *why, size_t whysize)
{
        uint8_t key[SU_FLEET_KEY_LEN];
        char hex[2 * SU_FLEET_KEY_LEN + 2];
        int r = su_fleet_crypto_init();
        if (r < 0) {
                snprintf(why, whysize, "libsodium did not start");
                return r;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(why, whysize, "cannot create: %s", strerror(errno));
                return r;
        }
        randombytes_buf(key, sizeof(key));
        sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
        sodium_memzero(key, sizeof(key));
        size_t len = strlen(hex);
        hex[len++] = '\n';
        /* The mode does not depend on the umask: 0600 exactly. */
        if (fchmod(fd, 0600) < 0)
                r = -errno;
        else if (write(fd, hex, len) != (ssize_t)len)
                r = errno ? -errno : -EIO;
        else if (fsync(fd) < 0)
                r = -errno;
        sodium_memzero(hex, sizeof(hex));
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0) {
                snprintf(why, whysize, "cannot write: %s", strerror(-r));
                unlink(path);
        }
        return r;
}

void su_fleet_key_check(const uint8_t key[SU_FLEET_KEY_LEN], uint8_t out[SU_FLEET_CHECK_LEN])
{
        crypto_generichash(out, SU_FLEET_CHECK_LEN, (const uint8_t *)check_text,
                           sizeof(check_text) - 1, key, SU_FLEET_KEY_LEN);
}

void su_fleet_user_tag(const uint8_t key[SU_FLEET_KEY_LEN], const char *user,
                       uint8_t out[SU_FLEET_USER_TAG_LEN])
{
        static const char context[] = "stepup fleet user tag v1";
        crypto_generichash_state st;
        crypto_generichash_init(&st, key, SU_FLEET_KEY_LEN, SU_FLEET_USER_TAG_LEN);
        /* the context and its NUL first: a tag is never another hash of this key */
        crypto_generichash_update(&st, (const uint8_t *)context, sizeof(context));
        crypto_generichash_update(&st, (const uint8_t *)user, strlen(user));
        crypto_generichash_final(&st, out, SU_FLEET_USER_TAG_LEN);
        sodium_memzero(&st, sizeof(st));
}

int su_fleet_seal(const uint8_t key[SU_FLEET_KEY_LEN], const char *user, const uint8_t *plain,
                  size_t len, uint8_t nonce[SU_FLEET_NONCE_LEN], uint8_t *ct, size_t ct_size,
                  size_t *ct_len)
{
        if (ct_size < len + SU_FLEET_TAG_LEN)
                return -ENOBUFS;
        randombytes_buf(nonce, SU_FLEET_NONCE_LEN);
        unsigned long long n = 0;
        if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &n, plain, len, (const uint8_t *)user,
                                                       strlen(user), NULL, nonce, key) != 0)
                return -EIO;
        *ct_len = (size_t)n;
        return 0;
}

int su_fleet_unseal(const uint8_t key[SU_FLEET_KEY_LEN], const char *user,
                    const uint8_t nonce[SU_FLEET_NONCE_LEN], const uint8_t *ct, size_t ct_len,
                    uint8_t *plain, size_t plain_size, size_t *plain_len)
{
        if (ct_len < SU_FLEET_TAG_LEN || ct_len - SU_FLEET_TAG_LEN > plain_size)
                return -EBADMSG;
        unsigned long long n = 0;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &n, NULL, ct, ct_len,
                                                       (const uint8_t *)user, strlen(user), nonce,
                                                       key) != 0) {
                sodium_memzero(plain, plain_size);
                return -EBADMSG;
        }
        *plain_len = (size_t)n;
        return 0;
}
