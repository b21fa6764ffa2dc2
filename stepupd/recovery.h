/* Recovery codes: "tttt-ssss-ssss-ssss" in base32 lower case (a-z, 2-7).  The first group is
 * a public lookup tag (20 random bits, stored in clear) so a check costs one hash; the other
 * twelve characters (60 bits) are the secret, stored only as a yescrypt hash.
 * Imported google-authenticator scratch codes (8 digits) are kept with tags "s000".."s015"
 * and their whole code hashed. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define SU_RECOVERY_CODE_LEN 19 /* with dashes */
#define SU_RECOVERY_SECRET_LEN 12

/* Makes one code: out gets the display form, row the tag and hash. */
int su_recovery_new(char out[static SU_RECOVERY_CODE_LEN + 1], struct su_recovery_row *row);
/* Parses typed input (dashes, spaces and case ignored) into tag and secret.
 * Returns 0, or -EINVAL when it is not a recovery code. */
int su_recovery_parse(const char *in, char tag[static SU_RECOVERY_TAG_LEN + 1],
                      char secret[static SU_RECOVERY_SECRET_LEN + 1]);
/* True for 8 ASCII digits (a google-authenticator scratch code). */
bool su_recovery_is_scratch(const char *in);
