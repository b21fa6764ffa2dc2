/* fleet/fleet_key: the key file's forms and checks, and sealing a TOTP secret for one user (a
 * ciphertext moved to another user, or opened with another key, or altered, never opens). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fleet_key.h"

static char dir[] = "/tmp/test-fleet-key.XXXXXX";
static char path[512], why[256];

static const char *at(const char *name)
{
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static void put(const char *name, const void *data, size_t len, mode_t mode)
{
        const char *p = at(name);
        unlink(p);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) < 0)
                abort();
        close(fd);
}

static int rd(const char *name, uint8_t key[SU_FLEET_KEY_LEN])
{
        why[0] = 0;
        return su_fleet_key_read(at(name), geteuid(), key, why, sizeof(why));
}

int main(void)
{
        uint8_t key[SU_FLEET_KEY_LEN], other[SU_FLEET_KEY_LEN], raw[SU_FLEET_KEY_LEN];
        if (!mkdtemp(dir) || su_fleet_crypto_init() < 0)
                return 2;
        for (size_t i = 0; i < sizeof(raw); i++)
                raw[i] = (uint8_t)(i * 7 + 1);

        /* Forms: 32 raw bytes; 64 hex digits with or without one newline. */
        put("raw", raw, sizeof(raw), 0600);
        CHECK_INT(rd("raw", key), 0);
        CHECK(memcmp(key, raw, sizeof(raw)) == 0);
        char hex[80] = "";
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        put("hex", hex, 64, 0400);
        CHECK_INT(rd("hex", key), 0);
        CHECK(memcmp(key, raw, sizeof(raw)) == 0);
        strcat(hex, "\n");
        put("hexnl", hex, 65, 0600);
        CHECK_INT(rd("hexnl", key), 0);
        CHECK(memcmp(key, raw, sizeof(raw)) == 0);

        /* Refused: the wrong length, not hex, two newlines, a mode with group or other bits,
         * a symbolic link, a missing file. */
        put("short", raw, 31, 0600);
        CHECK_INT(rd("short", key), -EINVAL);
        CHECK(strstr(why, "31 bytes") != NULL);
        put("long", hex, 33, 0600);
        CHECK_INT(rd("long", key), -EINVAL);
        hex[10] = 'g';
        put("nothex", hex, 64, 0600);
        CHECK_INT(rd("nothex", key), -EINVAL);
        put("twonl", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n", 66,
            0600);
        CHECK_INT(rd("twonl", key), -EINVAL);
        put("open", raw, sizeof(raw), 0640);
        CHECK_INT(rd("open", key), -EPERM);
        CHECK(strstr(why, "0640") != NULL);
        char target[600];
        snprintf(target, sizeof(target), "%s", at("raw"));
        CHECK(symlink(target, at("link")) == 0);
        CHECK_INT(rd("link", key), -ELOOP);
        CHECK_INT(rd("missing", key), -ENOENT);

        /* keygen: 0600, 64 hex digits and a newline, never over an existing file. */
        CHECK_INT(su_fleet_key_new(at("new"), why, sizeof(why)), 0);
        struct stat st;
        CHECK(stat(at("new"), &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 65);
        CHECK_INT(rd("new", other), 0);
        CHECK(memcmp(other, raw, sizeof(raw)) != 0);
        CHECK_INT(su_fleet_key_new(at("new"), why, sizeof(why)), -EEXIST);
        CHECK_INT(su_fleet_key_new(at("link"), why, sizeof(why)), -EEXIST);

        /* The check value tells keys apart and is not the key. */
        uint8_t c1[SU_FLEET_CHECK_LEN], c2[SU_FLEET_CHECK_LEN];
        su_fleet_key_check(raw, c1);
        su_fleet_key_check(other, c2);
        CHECK(memcmp(c1, c2, sizeof(c1)) != 0);
        CHECK(memmem(raw, sizeof(raw), c1, 8) == NULL);

        /* Sealing: the user is the associated data. */
        const uint8_t secret[20] = "12345678901234567890";
        uint8_t nonce[SU_FLEET_NONCE_LEN], nonce2[SU_FLEET_NONCE_LEN], ct[64], ct2[64], out[64];
        size_t clen = 0, clen2 = 0, olen = 0;
        CHECK_INT(su_fleet_seal(raw, "alice", secret, sizeof(secret), nonce, ct, sizeof(ct), &clen),
                  0);
        CHECK_INT(clen, sizeof(secret) + SU_FLEET_TAG_LEN);
        CHECK(memmem(ct, clen, secret, 8) == NULL);
        CHECK_INT(su_fleet_unseal(raw, "alice", nonce, ct, clen, out, sizeof(out), &olen), 0);
        CHECK(olen == sizeof(secret) && memcmp(out, secret, olen) == 0);
        CHECK_INT(
            su_fleet_seal(raw, "alice", secret, sizeof(secret), nonce2, ct2, sizeof(ct2), &clen2),
            0);
        CHECK(memcmp(nonce, nonce2, sizeof(nonce)) != 0 && memcmp(ct, ct2, clen) != 0);
        CHECK_INT(su_fleet_unseal(raw, "bob", nonce, ct, clen, out, sizeof(out), &olen), -EBADMSG);
        CHECK_INT(su_fleet_unseal(raw, "alic", nonce, ct, clen, out, sizeof(out), &olen), -EBADMSG);
        CHECK_INT(su_fleet_unseal(other, "alice", nonce, ct, clen, out, sizeof(out), &olen),
                  -EBADMSG);
        CHECK_INT(su_fleet_unseal(raw, "alice", nonce2, ct, clen, out, sizeof(out), &olen),
                  -EBADMSG);
        ct[3] ^= 1;
        CHECK_INT(su_fleet_unseal(raw, "alice", nonce, ct, clen, out, sizeof(out), &olen),
                  -EBADMSG);
        ct[3] ^= 1;
        CHECK_INT(su_fleet_unseal(raw, "alice", nonce, ct, clen - 1, out, sizeof(out), &olen),
                  -EBADMSG);
        CHECK_INT(su_fleet_unseal(raw, "alice", nonce, ct, clen, out, 19, &olen), -EBADMSG);
        CHECK_INT(su_fleet_seal(raw, "alice", secret, sizeof(secret), nonce, ct, 35, &clen),
                  -ENOBUFS);

        /* A user's tag in the revocation list: the same for every host with the key, another
         * for another user or another key, and not the name (nor a plain hash of it). */
        uint8_t t1[SU_FLEET_USER_TAG_LEN], t2[SU_FLEET_USER_TAG_LEN], t3[SU_FLEET_USER_TAG_LEN];
        su_fleet_user_tag(raw, "alice", t1);
        su_fleet_user_tag(raw, "alice", t2);
        CHECK(memcmp(t1, t2, sizeof(t1)) == 0);
        su_fleet_user_tag(raw, "alicf", t2);
        CHECK(memcmp(t1, t2, sizeof(t1)) != 0);
        su_fleet_user_tag(other, "alice", t3);
        CHECK(memcmp(t1, t3, sizeof(t1)) != 0);
        uint8_t check_value[SU_FLEET_CHECK_LEN];
        su_fleet_key_check(raw, check_value);
        CHECK(memcmp(t1, check_value, sizeof(t1)) != 0);

        const char *names[] = {"raw",    "hex",   "hexnl", "short", "long",
                               "nothex", "twonl", "open",  "link",  "new"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                unlink(at(names[i]));
        rmdir(dir);
        return check_done();
}
