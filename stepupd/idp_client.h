/* The organisation's OpenID Connect provider as the idp factor talks to it: discovery
 * (OpenID Connect Discovery 1.0), the device authorization request and the token polls of the
 * OAuth 2.0 Device Authorization Grant (RFC 8628), and the ID token checked against the
 * provider's keys (idp_token.c).  One su_idp per loaded idp.conf, shared by every thread: the
 * discovery document and the keys are cached (cfg.cache_seconds), fetched again when a token
 * names a key the cache does not have.  HTTP through http.c (libcurl), JSON through jansson;
 * every call runs on the caller's thread (the pool) and ends by the deadline it is given.
 * Device codes, tokens and the client secret never leave this file except to the provider;
 * errors say what happened in words that hold none of them. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "idp_config.h"
#include "idp_token.h"

#define SU_IDP_DEVICE_CODE_MAX 1024
#define SU_IDP_USER_CODE_MAX 64
#define SU_IDP_URI_MAX 1024

struct su_idp {
        struct su_idp_config cfg;
        pthread_mutex_t lock; /* the cache below */
        char *device_endpoint, *token_endpoint, *jwks_uri;
        int64_t meta_boot; /* CLOCK_BOOTTIME s when discovered; 0: not yet */
        char *jwks;        /* the key set's JSON */
        int64_t jwks_boot;
        char last_error[200]; /* the last failure talking to the provider, for STATUS */
        int64_t last_error_wall;
};

/* What the device authorization request answered. */
struct su_idp_device {
        char device_code[SU_IDP_DEVICE_CODE_MAX + 1];
        char user_code[SU_IDP_USER_CODE_MAX + 1];
        char verification_uri[SU_IDP_URI_MAX + 1];
        char verification_uri_complete[SU_IDP_URI_MAX + 1]; /* "" when not given */
        unsigned expires_in;                                /* s */
        unsigned interval;                                  /* s between polls */
};

enum su_idp_poll {
        SU_IDP_PENDING,   /* authorization_pending */
        SU_IDP_SLOW_DOWN, /* slow_down: poll 5 s less often from now on */
        SU_IDP_DENIED,    /* access_denied */
        SU_IDP_EXPIRED,   /* expired_token */
        SU_IDP_TOKEN,     /* approved: an ID token */
};

/* Once, before threads: libcurl and rhonabwy's global set-up. */
int su_idp_global_init(void);

/* Takes cfg over (also on failure). */
int su_idp_new(struct su_idp **ret, struct su_idp_config *cfg);
void su_idp_free(struct su_idp *idp);

/* Asks the provider for a device code (discovery first when not cached).  deadline_us is
 * CLOCK_MONOTONIC (clocks.h su_now_us).  0, or a negative errno with why set. */
int su_idp_device_start(struct su_idp *idp, uint64_t deadline_us, struct su_idp_device *d,
                        char *why, size_t whysize);

/* One poll of the token endpoint.  0 with *res (and for SU_IDP_TOKEN a malloc'd *id_token the
 * caller wipes and frees), or a negative errno with why set. */
int su_idp_poll(struct su_idp *idp, const char *device_code, uint64_t deadline_us,
                enum su_idp_poll *res, char **id_token, char *why, size_t whysize);

/* Checks an ID token with the provider's keys (fetched when not cached, and once more when the
 * token names a key the cache does not have).  e's issuer and client_id are filled in here.
 * As su_id_token_check; other negative errnos (the keys could not be fetched) with why set. */
int su_idp_check_token(struct su_idp *idp, const char *id_token, uint64_t deadline_us,
                       struct su_id_token_expect *e, char *value, size_t size, const char **reason,
                       char *why, size_t whysize);

/* STATUS's view, without any network: whether discovery has succeeded, the last error. */
void su_idp_snapshot(struct su_idp *idp, bool *discovered, char *last_error, size_t size,
                     int64_t *last_error_wall);
