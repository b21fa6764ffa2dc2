/* The fleet key: 32 random bytes that seal the TOTP secrets a fleet keeps in PostgreSQL, with
 * libsodium's XChaCha20-Poly1305 (IETF AEAD): a random 24-byte nonce stored beside each
 * ciphertext, and the user name as associated data, so a sealed secret copied onto another
 * user's row does not open.  A database dump without the key holds no secret.
 *
 * The key file is 32 raw bytes, or 64 hexadecimal digits and an optional newline (what
 * `stepupctl fleet keygen` writes), owned by root (or by owner), with no permission bits for
 * group or others.  Used by stepupd (store_pg.c) and stepupctl (fleet verbs).  Never logs:
 * negative errno and a reason in why. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SU_FLEET_KEY_LEN 32
#define SU_FLEET_NONCE_LEN 24
#define SU_FLEET_TAG_LEN 16
/* A fingerprint of the key (a keyed BLAKE2b of a fixed text), kept in the database so that a
 * host with another key is refused before it reads anything. */
#define SU_FLEET_CHECK_LEN 16

/* libsodium's start-up; safe to call more than once and from several threads. */
int su_fleet_crypto_init(void);

/* Reads the key file into key.  owner: the uid that may own it besides root.  On failure why
 * gets the reason (without the path) and key is wiped. */
int su_fleet_key_read(const char *path, uid_t owner, uint8_t key[SU_FLEET_KEY_LEN], char *why,
                      size_t whysize);
/* Makes a new key file at path: 64 hex digits and a newline, created 0600 (O_EXCL, never
 * through a symbolic link).  -EEXIST when path exists. */
int su_fleet_key_new(const char *path, char *why, size_t whysize);
void su_fleet_key_check(const uint8_t key[SU_FLEET_KEY_LEN], uint8_t out[SU_FLEET_CHECK_LEN]);

/* A user's pseudonym in the fleet's revocation list (a keyed BLAKE2b of the name): every host
 * with the key can tell whether a revocation is about one of its users, a database dump
 * alone cannot tell whom it is about, and a forgotten user's name is not kept. */
#define SU_FLEET_USER_TAG_LEN 16
void su_fleet_user_tag(const uint8_t key[SU_FLEET_KEY_LEN], const char *user,
                       uint8_t out[SU_FLEET_USER_TAG_LEN]);

/* Seals plain (len bytes) for user: a fresh random nonce, and len + SU_FLEET_TAG_LEN bytes of
 * ciphertext in ct (ct_size at least that). */
int su_fleet_seal(const uint8_t key[SU_FLEET_KEY_LEN], const char *user, const uint8_t *plain,
                  size_t len, uint8_t nonce[SU_FLEET_NONCE_LEN], uint8_t *ct, size_t ct_size,
                  size_t *ct_len);
/* Opens a sealed secret of user into plain (plain_size bytes at most).  -EBADMSG when the
 * ciphertext, nonce, key or user do not match; nothing is left in plain then. */
int su_fleet_unseal(const uint8_t key[SU_FLEET_KEY_LEN], const char *user,
                    const uint8_t nonce[SU_FLEET_NONCE_LEN], const uint8_t *ct, size_t ct_len,
                    uint8_t *plain, size_t plain_size, size_t *plain_len);
