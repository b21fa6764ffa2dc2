/* RFC 4648 base32 without padding, upper case, for otpauth URIs and admin input. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes; 0, -EINVAL, -ENOBUFS when out is too small. */
int su_base32_encode(const uint8_t *in, size_t len, char *out, size_t outsize);
/* Decodes, tolerating lower case, spaces and '=' padding; -EINVAL for other characters or a
 * length that cannot come from whole bytes, -ENOBUFS when out is too small. */
int su_base32_decode(const char *in, uint8_t *out, size_t outsize, size_t *ret_len);
