/* otpauth:// URIs for authenticator apps (Google Authenticator "Key Uri Format", also read
 * by FreeOTP and Aegis).  Never logs; negative errno on failure. */
#pragma once

#include <stddef.h>

/* Writes into out (size bytes, NUL-terminated)
 *   otpauth://totp/ISSUER:ACCOUNT?secret=SECRET&issuer=ISSUER
 * followed by &algorithm=SHA256|SHA512 unless algo is SHA1, &digits=8 unless digits is 6, and
 * &period=N unless period is 30.  Issuer and account are percent-encoded (RFC 3986: only
 * unreserved characters A-Z a-z 0-9 - . _ ~ are kept, so ':' '@' and space become %3A %40 %20).
 * secret_b32 must be upper-case RFC 4648 base32 without padding (as su_base32_encode makes);
 * algo is "SHA1", "SHA256" or "SHA512" (any case); digits 6 or 8; period > 0.
 * Returns 0; -EINVAL for a NULL or empty field or an invalid value; -ENOBUFS when out is too
 * small (out then holds an empty string when size > 0). */
int su_otpauth_uri(const char *issuer, const char *account, const char *secret_b32,
                   const char *algo, unsigned digits, unsigned period, char *out, size_t size);
