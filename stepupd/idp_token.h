/* Checking an OpenID Connect ID token (OIDC Core 1.0, 3.1.3.7) for the idp factor: rhonabwy
 * for the JWS signature, jansson for the claims.  The token is parsed without trusting
 * anything it carries about keys (no jwk, jku, x5c or x5u from its header): the key is the one
 * with the token's kid in the issuer's JWKS, fetched by idp_client.c.  Never logs; the token
 * and its claims go nowhere. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SU_ID_TOKEN_MAX 16384 /* bytes of a token accepted at all */

struct su_id_token_expect {
        const char *issuer;     /* iss, exactly */
        const char *client_id;  /* in aud; azp, when present or when aud has several */
        const char *user_claim; /* the claim whose string value names the user */
        int64_t now;            /* wall clock, s */
        int64_t began;          /* the step-up began (wall, s): iat no older */
        unsigned max_age;       /* auth_time, when given, no older than began - max_age */
        unsigned skew;          /* s allowed between the clocks */
        char *const *acr;       /* acr must be one of these (nacr 0: not checked) */
        size_t nacr;
        char *const *amr; /* amr must hold each of these */
        size_t namr;
};

/* Checks token against the keys in jwks (a JWKS document) and e.  0: valid, the user claim's
 * value in value (size bytes).  -ENOKEY: signed with a key (kid) this JWKS does not have
 * (fetch the keys again, then check again).  -EACCES: refused, *reason says why (static).
 * -EINVAL: the JWKS is not usable.  -ENOMEM. */
int su_id_token_check(const char *token, const char *jwks, const struct su_id_token_expect *e,
                      char *value, size_t size, const char **reason);
