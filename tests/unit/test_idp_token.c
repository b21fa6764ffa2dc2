/* stepupd/idp_token.c: ID tokens made and signed here with rhonabwy (the same library), so
 * that every check can be met or broken on purpose: the key (kid, another key, a key carried
 * in the token's own header, HMAC, alg none, crit), and every claim.  The same checks run
 * against Glewlwyd's real tokens in tests/idp. */
#include "idp_token.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <rhonabwy.h>

#include "check.h"

#define ISS "https://idp.test/realms/staff"
#define CLIENT "stepup"

static jwk_t *rsa_priv, *rsa_pub, *other_priv, *other_pub, *ec_priv, *ec_pub;
static int64_t now;

static void keys(void)
{
        r_jwk_init(&rsa_priv);
        r_jwk_init(&rsa_pub);
        r_jwk_init(&other_priv);
        r_jwk_init(&other_pub);
        r_jwk_init(&ec_priv);
        r_jwk_init(&ec_pub);
        CHECK(r_jwk_generate_key_pair(rsa_priv, rsa_pub, R_KEY_TYPE_RSA, 2048, "rsa1") == 0);
        CHECK(r_jwk_generate_key_pair(other_priv, other_pub, R_KEY_TYPE_RSA, 2048, "rsa1") == 0);
        CHECK(r_jwk_generate_key_pair(ec_priv, ec_pub, R_KEY_TYPE_EC, 256, "ec1") == 0);
}

/* {"keys": [...]} of the given public keys. */
static char *jwks_of(jwk_t *a, jwk_t *b)
{
        json_t *set = json_object(), *arr = json_array();
        json_array_append_new(arr, r_jwk_export_to_json_t(a));
        if (b)
                json_array_append_new(arr, r_jwk_export_to_json_t(b));
        json_object_set_new(set, "keys", arr);
        char *s = json_dumps(set, JSON_COMPACT);
        json_decref(set);
        return s;
}

static json_t *claims(void)
{
        return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:[s,s], s:s, s:s}", "iss", ISS,
                         "aud", CLIENT, "azp", CLIENT, "exp", (json_int_t)(now + 600), "iat",
                         (json_int_t)now, "auth_time", (json_int_t)now, "preferred_username",
                         "alice", "amr", "pwd", "otp", "acr", "gold", "sub", "0f3a9c");
}

/* A signed token of c (taken) with key, alg and kid (NULL: none); header extras. */
static char *mint(json_t *c, jwk_t *key, jwa_alg alg, const char *kid, const char *hname,
                  json_t *hval)
{
        jwt_t *jwt;
        r_jwt_init(&jwt);
        r_jwt_set_full_claims_json_t(jwt, c);
        json_decref(c);
        r_jwt_set_sign_alg(jwt, alg);
        if (kid)
                r_jwt_set_header_str_value(jwt, "kid", kid);
        if (hname) {
                r_jwt_set_header_json_t_value(jwt, hname, hval);
                json_decref(hval);
        }
        char *t = alg == R_JWA_ALG_NONE ? r_jwt_serialize_signed_unsecure(jwt, NULL, 0)
                                        : r_jwt_serialize_signed(jwt, key, 0);
        r_jwt_free(jwt);
        return t;
}

static struct su_id_token_expect expect(void)
{
        static char *acr[] = {"gold", "platinum"}, *amr[] = {"otp"};
        return (struct su_id_token_expect){.issuer = ISS,
                                           .client_id = CLIENT,
                                           .user_claim = "preferred_username",
                                           .now = now,
                                           .began = now - 5,
                                           .max_age = 0,
                                           .skew = 10,
                                           .acr = acr,
                                           .nacr = 2,
                                           .amr = amr,
                                           .namr = 1};
}

/* Checks token (freed) against jwks; returns the result, *why the reason. */
static int run(char *token, const char *jwks, const struct su_id_token_expect *e, const char **why)
{
        char value[64] = "";
        *why = "";
        int r = su_id_token_check(token, jwks, e, value, sizeof(value), why);
        if (r == 0)
                CHECK_STREQ(value, "alice");
        r_free(token);
        return r;
}

/* A token with one claim changed (val NULL: removed) must be refused, saying want. */
static void refused(const char *jwks, const char *name, json_t *val, const char *want)
{
        json_t *c = claims();
        if (val)
                json_object_set_new(c, name, val);
        else
                json_object_del(c, name);
        const char *why;
        struct su_id_token_expect e = expect();
        int r = run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why);
        if (r != -EACCES || !strstr(why, want))
                fprintf(stderr, "claim %s: %d '%s' (want '%s')\n", name, r, why, want);
        CHECK(r == -EACCES && strstr(why, want));
}

int main(void)
{
        const char *why;
        now = (int64_t)time(NULL);
        CHECK(r_global_init() == 0);
        keys();
        char *jwks = jwks_of(rsa_pub, ec_pub);
        struct su_id_token_expect e = expect();

        /* good: RS256 with the kid, ES256 with its kid */
        CHECK(run(mint(claims(), rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) ==
              0);
        CHECK(run(mint(claims(), rsa_priv, R_JWA_ALG_PS256, "rsa1", NULL, NULL), jwks, &e, &why) ==
              0);
        CHECK(run(mint(claims(), ec_priv, R_JWA_ALG_ES256, "ec1", NULL, NULL), jwks, &e, &why) ==
              0);

        /* a kid the set does not have: -ENOKEY (the keys are fetched again) */
        CHECK(run(mint(claims(), rsa_priv, R_JWA_ALG_RS256, "rsa2", NULL, NULL), jwks, &e, &why) ==
              -ENOKEY);
        /* no kid: only with a single key */
        char *one = jwks_of(rsa_pub, NULL);
        CHECK(run(mint(claims(), rsa_priv, R_JWA_ALG_RS256, NULL, NULL, NULL), one, &e, &why) == 0);
        char *two = jwks_of(rsa_pub, other_pub);
        CHECK(run(mint(claims(), rsa_priv, R_JWA_ALG_RS256, NULL, NULL, NULL), two, &e, &why) ==
              -EACCES);
        free(two);
        /* another key under the same kid */
        CHECK(run(mint(claims(), other_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e,
                  &why) == -EACCES &&
              strstr(why, "signature"));
        /* the attacker's key carried in the token's own header is never used */
        CHECK(run(mint(claims(), other_priv, R_JWA_ALG_RS256, "rsa1", "jwk",
                       r_jwk_export_to_json_t(other_pub)),
                  jwks, &e, &why) == -EACCES);
        /* alg none; HMAC keyed with anything; an EC token claiming the RSA kid */
        CHECK(run(mint(claims(), NULL, R_JWA_ALG_NONE, "rsa1", NULL, NULL), jwks, &e, &why) ==
              -EACCES);
        jwk_t *hmac;
        r_jwk_init(&hmac);
        r_jwk_import_from_symmetric_key(
            hmac, (const unsigned char *)"0123456789abcdef0123456789abcdef", 32);
        CHECK(run(mint(claims(), hmac, R_JWA_ALG_HS256, "rsa1", NULL, NULL), jwks, &e, &why) ==
                  -EACCES &&
              strstr(why, "algorithm"));
        r_jwk_free(hmac);
        /* an EC token under the RSA key's kid: no key of its type has that kid (refused after
         * the keys are fetched again, idp_client.c) */
        CHECK(run(mint(claims(), ec_priv, R_JWA_ALG_ES256, "rsa1", NULL, NULL), jwks, &e, &why) ==
              -ENOKEY);
        /* crit: extensions we do not know */
        CHECK(
            run(mint(claims(), rsa_priv, R_JWA_ALG_RS256, "rsa1", "crit", json_pack("[s]", "exp")),
                jwks, &e, &why) == -EACCES &&
            strstr(why, "crit"));
        /* not a JWT at all, or far too long */
        CHECK(su_id_token_check("a.b", jwks, &e, (char[8]){0}, 8, &why) == -EACCES);
        char *big = malloc(SU_ID_TOKEN_MAX + 10);
        memset(big, 'a', SU_ID_TOKEN_MAX + 9);
        big[10] = big[20] = '.';
        big[SU_ID_TOKEN_MAX + 9] = 0;
        CHECK(su_id_token_check(big, jwks, &e, (char[8]){0}, 8, &why) == -EACCES);
        free(big);
        /* an unusable key set */
        char *tok = mint(claims(), rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL);
        CHECK(su_id_token_check(tok, "[]", &e, (char[8]){0}, 8, &why) == -EINVAL);
        r_free(tok);

        /* the claims, one at a time */
        refused(jwks, "iss", json_string(ISS "/"), "another issuer");
        refused(jwks, "iss", NULL, "another issuer");
        refused(jwks, "aud", json_string("stepup-other"), "(aud)");
        refused(jwks, "aud", json_pack("[s]", "stepup-other"), "(aud)");
        refused(jwks, "azp", json_string("stepup-other"), "(azp)");
        refused(jwks, "exp", json_integer(now - 30), "expired");
        refused(jwks, "exp", NULL, "expired");
        refused(jwks, "iat", json_integer(now + 60), "issue time");
        refused(jwks, "iat", json_integer(now - 60), "before the step-up began");
        refused(jwks, "nbf", json_integer(now + 60), "not valid yet");
        refused(jwks, "auth_time", json_integer(now - 60), "older than the step-up allows");
        refused(jwks, "acr", json_string("bronze"), "(acr)");
        refused(jwks, "acr", NULL, "(acr)");
        refused(jwks, "amr", json_pack("[s]", "pwd"), "(amr)");
        refused(jwks, "amr", NULL, "(amr)");
        refused(jwks, "preferred_username", NULL, "user claim");
        refused(jwks, "preferred_username", json_integer(7), "user claim");

        /* aud as a list: with several audiences azp must name us */
        json_t *c = claims();
        json_object_set_new(c, "aud", json_pack("[s,s]", "api", CLIENT));
        CHECK(run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) == 0);
        c = claims();
        json_object_set_new(c, "aud", json_pack("[s,s]", "api", CLIENT));
        json_object_del(c, "azp");
        CHECK(run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) ==
              -EACCES);
        /* the skew: an IdP clock a few seconds off is fine */
        c = claims();
        json_object_set_new(c, "iat", json_integer(now + 5));
        json_object_set_new(c, "auth_time", json_integer(now - 12));
        CHECK(run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) == 0);
        /* max_age: an older sign-in passes when the admin allows it */
        c = claims();
        json_object_set_new(c, "auth_time", json_integer(now - 300));
        e.max_age = 600;
        CHECK(run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) == 0);
        e = expect();
        /* nothing required: no acr, no amr */
        e.nacr = e.namr = 0;
        c = claims();
        json_object_del(c, "acr");
        json_object_del(c, "amr");
        CHECK(run(mint(c, rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL), jwks, &e, &why) == 0);
        /* the value does not fit the caller's buffer: refused, not cut */
        tok = mint(claims(), rsa_priv, R_JWA_ALG_RS256, "rsa1", NULL, NULL);
        CHECK(su_id_token_check(tok, jwks, &e, (char[4]){0}, 4, &why) == -EACCES);
        r_free(tok);

        free(jwks);
        free(one);
        r_jwk_free(rsa_priv);
        r_jwk_free(rsa_pub);
        r_jwk_free(other_priv);
        r_jwk_free(other_pub);
        r_jwk_free(ec_priv);
        r_jwk_free(ec_pub);
        r_global_close();
        return check_done();
}
