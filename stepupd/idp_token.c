#include "idp_token.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>
#include <rhonabwy.h>

/* Asymmetric signatures only: never none, never a MAC keyed with something we share. */
static bool signing_alg(jwa_alg a)
{
        switch (a) {
        case R_JWA_ALG_RS256:
        case R_JWA_ALG_RS384:
        case R_JWA_ALG_RS512:
        case R_JWA_ALG_PS256:
        case R_JWA_ALG_PS384:
        case R_JWA_ALG_PS512:
        case R_JWA_ALG_ES256:
        case R_JWA_ALG_ES384:
        case R_JWA_ALG_ES512:
        case R_JWA_ALG_EDDSA:
                return true;
        default:
                return false;
        }
}

/* The key type an algorithm needs (RFC 7518). */
static const char *kty_of(const char *alg)
{
        if (strncmp(alg, "RS", 2) == 0 || strncmp(alg, "PS", 2) == 0)
                return "RSA";
        if (strncmp(alg, "ES", 2) == 0)
                return "EC";
        return strcmp(alg, "EdDSA") == 0 ? "OKP" : "";
}

/* The JWKS entry to check with: the signing key with this kid, or without a kid the only
 * signing key of the algorithm's type.  NULL when there is none (*unknown: a kid the set
 * does not have). */
static json_t *pick_key(json_t *set, const char *kid, const char *alg, bool *unknown)
{
        json_t *keys = json_object_get(set, "keys"), *found = NULL, *k;
        size_t i, nsig = 0;
        *unknown = false;
        if (!json_is_array(keys))
                return NULL;
        json_array_foreach(keys, i, k)
        {
                const char *use = json_string_value(json_object_get(k, "use"));
                const char *kalg = json_string_value(json_object_get(k, "alg"));
                const char *kkid = json_string_value(json_object_get(k, "kid"));
                const char *kty = json_string_value(json_object_get(k, "kty"));
                if (!json_is_object(k) || (use && strcmp(use, "sig") != 0) ||
                    (kalg && strcmp(kalg, alg) != 0) || !kty || strcmp(kty, kty_of(alg)) != 0)
                        continue;
                nsig++;
                if (kid ? (kkid && strcmp(kkid, kid) == 0) : true)
                        found = k;
        }
        if (!kid && nsig != 1)
                return NULL; /* several keys and no kid: which one is not ours to guess */
        *unknown = kid && !found;
        return found;
}

/* The signature, with the issuer's key (a copy without x5u, so nothing is fetched). */
static int check_signature(jwt_t *jwt, const char *jwks, const char **reason)
{
        json_error_t jerr;
        json_t *set = json_loads(jwks, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(set)) {
                json_decref(set);
                return -EINVAL;
        }
        const char *kid = r_jwt_get_header_str_value(jwt, "kid");
        const char *alg = r_jwa_alg_to_str(r_jwt_get_sign_alg(jwt));
        bool unknown;
        json_t *entry = pick_key(set, kid, alg ? alg : "", &unknown);
        int r;
        if (!entry) {
                json_decref(set);
                *reason = "no key of the identity provider matches the ID token's key id";
                return unknown ? -ENOKEY : -EACCES;
        }
        json_t *copy = json_deep_copy(entry);
        json_decref(set);
        jwk_t *key = NULL;
        if (!copy || r_jwk_init(&key) != RHN_OK) {
                json_decref(copy);
                return -ENOMEM;
        }
        json_object_del(copy, "x5u");
        if (r_jwk_import_from_json_t(key, copy) != RHN_OK) {
                *reason = "the identity provider's key cannot be used";
                r = -EACCES;
        } else if (r_jwt_verify_signature(jwt, key, 0) != RHN_OK) {
                *reason = "the ID token's signature does not verify with the identity provider's "
                          "key";
                r = -EACCES;
        } else {
                r = 0;
        }
        r_jwk_free(key);
        json_decref(copy);
        return r;
}

/* A NumericDate claim as whole seconds; false when absent or not a sane number. */
static bool date_claim(json_t *claims, const char *name, int64_t *ret)
{
        json_t *v = json_object_get(claims, name);
        if (!json_is_number(v))
                return false;
        double d = json_number_value(v);
        if (!isfinite(d) || d < 0 || d > 253402300799.0) /* year 9999 */
                return false;
        *ret = (int64_t)d;
        return true;
}

static bool in_string_array(json_t *arr, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
                        return true;
        }
        return false;
}

static int check_claims(json_t *c, const struct su_id_token_expect *e, char *value, size_t size,
                        const char **reason)
{
        int64_t exp, iat, t;
        const int64_t skew = e->skew;
        const char *iss = json_string_value(json_object_get(c, "iss"));
        const char *azp = json_string_value(json_object_get(c, "azp"));
        json_t *aud = json_object_get(c, "aud");
        if (!iss || strcmp(iss, e->issuer) != 0)
                return *reason = "the ID token is from another issuer", -EACCES;
        bool ours = json_is_string(aud) ? strcmp(json_string_value(aud), e->client_id) == 0
                                        : json_is_array(aud) && in_string_array(aud, e->client_id);
        if (!ours)
                return *reason = "the ID token is for another client (aud)", -EACCES;
        if ((json_is_array(aud) && json_array_size(aud) > 1 && !azp) ||
            (azp && strcmp(azp, e->client_id) != 0))
                return *reason = "the ID token was issued to another client (azp)", -EACCES;
        if (!date_claim(c, "exp", &exp) || e->now >= exp + skew)
                return *reason = "the ID token has expired", -EACCES;
        if (!date_claim(c, "iat", &iat) || iat > e->now + skew)
                return *reason = "the ID token has no valid issue time", -EACCES;
        if (iat < e->began - skew)
                return *reason = "the ID token was issued before the step-up began", -EACCES;
        if (json_object_get(c, "nbf") && (!date_claim(c, "nbf", &t) || t > e->now + skew))
                return *reason = "the ID token is not valid yet", -EACCES;
        if (json_object_get(c, "auth_time") &&
            (!date_claim(c, "auth_time", &t) || t > e->now + skew ||
             t < e->began - (int64_t)e->max_age - skew))
                return *reason = "the sign-in at the identity provider is older than the step-up "
                                 "allows (auth_time, max_age)",
                       -EACCES;
        if (e->nacr > 0) {
                const char *acr = json_string_value(json_object_get(c, "acr"));
                bool ok = false;
                for (size_t i = 0; acr && i < e->nacr && !ok; i++)
                        ok = strcmp(acr, e->acr[i]) == 0;
                if (!ok)
                        return *reason = "the identity provider reports too weak a sign-in (acr)",
                               -EACCES;
        }
        json_t *amr = json_object_get(c, "amr");
        for (size_t i = 0; i < e->namr; i++)
                if (!json_is_array(amr) || !in_string_array(amr, e->amr[i]))
                        return *reason = "the identity provider does not report the sign-in "
                                         "methods required (amr)",
                               -EACCES;
        const char *who = json_string_value(json_object_get(c, e->user_claim));
        if (!who || !*who || strlen(who) >= size)
                return *reason = "the ID token does not name the user (user claim)", -EACCES;
        memcpy(value, who, strlen(who) + 1);
        return 0;
}

int su_id_token_check(const char *token, const char *jwks, const struct su_id_token_expect *e,
                      char *value, size_t size, const char **reason)
{
        *reason = "the ID token is not a signed JWT";
        size_t n = token ? strnlen(token, SU_ID_TOKEN_MAX + 1) : 0;
        size_t dots = 0;
        for (size_t i = 0; i < n; i++)
                dots += token[i] == '.';
        if (n == 0 || n > SU_ID_TOKEN_MAX || dots != 2)
                return -EACCES;
        jwt_t *jwt = NULL;
        if (r_jwt_init(&jwt) != RHN_OK)
                return -ENOMEM;
        int r = -EACCES;
        json_t *claims = NULL, *header = NULL;
        /* R_PARSE_NONE: no key is taken from the token's own header. */
        if (r_jwt_advanced_parse(jwt, token, R_PARSE_NONE, 0) != RHN_OK ||
            r_jwt_get_type(jwt) != R_JWT_TYPE_SIGN)
                goto out;
        if (!signing_alg(r_jwt_get_sign_alg(jwt))) {
                *reason = "the ID token's signature algorithm is not accepted";
                goto out;
        }
        header = r_jwt_get_full_header_json_t(jwt);
        if (!header || json_object_get(header, "crit")) {
                *reason = "the ID token's header asks for extensions we do not know (crit)";
                goto out;
        }
        r = check_signature(jwt, jwks, reason);
        if (r < 0)
                goto out;
        claims = r_jwt_get_full_claims_json_t(jwt);
        r = json_is_object(claims) ? check_claims(claims, e, value, size, reason) : -EACCES;
out:
        json_decref(header);
        json_decref(claims);
        r_jwt_free(jwt);
        return r;
}
