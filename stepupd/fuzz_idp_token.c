/* libFuzzer target for the idp factor's ID token checks (idp_token.c).  The first byte picks
 * what the rest is: 0, a token as the provider would send it (any bytes); otherwise the
 * claims, as JSON, of a token signed here with the key of the fixed JWKS, so that the claim
 * checks see every shape of JSON, not only what fails the signature.  Built with -Dfuzz=true
 * (tests/adversarial/run-fuzz.sh). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rhonabwy.h>

#include "idp_token.h"

static jwk_t *priv;
static char *jwks;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        jwk_t *pub;
        r_global_init();
        r_jwk_init(&priv);
        r_jwk_init(&pub);
        if (r_jwk_generate_key_pair(priv, pub, R_KEY_TYPE_EC, 256, "fz1") != RHN_OK)
                abort();
        json_t *set = json_pack("{s:[o]}", "keys", r_jwk_export_to_json_t(pub));
        jwks = json_dumps(set, JSON_COMPACT);
        json_decref(set);
        r_jwk_free(pub);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char *const acr[] = {"gold"}, *const amr[] = {"otp"};
        const struct su_id_token_expect e = {.issuer = "https://idp.test",
                                             .client_id = "stepup",
                                             .user_claim = "preferred_username",
                                             .now = 1700000000,
                                             .began = 1699999990,
                                             .max_age = 60,
                                             .skew = 10,
                                             .acr = acr,
                                             .nacr = size % 2,
                                             .amr = amr,
                                             .namr = size % 3 == 0};
        char value[64];
        const char *why;
        if (size < 1 || size > 2 * SU_ID_TOKEN_MAX)
                return 0;
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = 0;
        char *token = NULL;
        if (data[0] == 0) {
                token = text;
                text = NULL;
        } else {
                json_t *claims = json_loads(text, 0, NULL);
                jwt_t *jwt = NULL;
                if (json_is_object(claims) && r_jwt_init(&jwt) == RHN_OK) {
                        r_jwt_set_full_claims_json_t(jwt, claims);
                        r_jwt_set_sign_alg(jwt, R_JWA_ALG_ES256);
                        r_jwt_set_header_str_value(jwt, "kid", "fz1");
                        char *t = r_jwt_serialize_signed(jwt, priv, 0);
                        token = t ? strdup(t) : NULL;
                        r_free(t);
                }
                r_jwt_free(jwt);
                json_decref(claims);
        }
        if (token)
                (void)su_id_token_check(token, jwks, &e, value, sizeof(value), &why);
        free(token);
        free(text);
        return 0;
}
