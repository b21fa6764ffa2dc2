/* /etc/stepup/idp.conf: the organisation's OpenID Connect provider for the idp factor
 * ("key = value" lines, '#' comments; every key in idp.conf(5)).  Read with the one safe
 * reader (root-owned, not group/world-writable); the client secret lives in its own file
 * with no group/other permissions at all, owned by root or by the daemon's user (a systemd
 * credential), and the optional user map in another root-owned file.  Never logs: errors are
 * "file:line: message". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SU_IDP_LIST_MAX 16     /* values in require_acr / require_amr */
#define SU_IDP_MAP_MAX 100000  /* lines in a user map */
#define SU_IDP_SECRET_MAX 1024 /* bytes of a client secret */
#define SU_IDP_CLAIM_VALUE_MAX 256

enum su_idp_client_auth {
        SU_IDP_AUTH_BASIC = 0, /* client_secret_basic (RFC 6749 2.3.1) */
        SU_IDP_AUTH_POST = 1,  /* client_secret_post */
        SU_IDP_AUTH_NONE = 2,  /* a public client: client_id in the form, no secret */
};

struct su_idp_map_entry {
        char *claim; /* the IdP's value */
        char *user;  /* the Unix user */
};

struct su_idp_config {
        char *issuer;        /* exactly as the discovery document must say it */
        char *discovery_url; /* issuer + /.well-known/openid-configuration */
        char *client_id;
        char *client_secret; /* from client_secret_file; NULL for a public client; wiped */
        enum su_idp_client_auth client_auth;
        char *scopes;     /* space-separated, must hold "openid" */
        char *acr_values; /* sent with the device request, or NULL */
        unsigned max_age; /* s: auth_time, when given, no older than the step-up plus this */
        char *user_claim; /* the claim holding the user's name */
        char *user_map_path;
        struct su_idp_map_entry *map; /* sorted by claim; NULL without a user map */
        size_t nmap, map_cap;
        char *ca_file;                      /* NULL: the system's CA store */
        char *proxy;                        /* NULL: none */
        char *require_acr[SU_IDP_LIST_MAX]; /* acr must be one of these (none: not checked) */
        size_t nrequire_acr;
        char *require_amr[SU_IDP_LIST_MAX]; /* amr must hold every one of these */
        size_t nrequire_amr;
        unsigned timeout_ms;    /* one request to stepupd talks to the IdP at most this long */
        unsigned clock_skew;    /* s allowed between the IdP's clock and ours */
        unsigned cache_seconds; /* discovery and keys are fetched again after this */
};

/* Reads path.  1 and *ret filled; 0 when the file does not exist (no idp factor); negative
 * errno with err = "file:line: message" (or "file: reason") otherwise.  owner: the uid that
 * must own it and the files it names (root; tests pass their own). */
int su_idp_config_load(const char *path, uid_t owner, struct su_idp_config *ret, char *err,
                       size_t errsize);
void su_idp_config_free(struct su_idp_config *c);

/* The Unix user the IdP's claim value names: the value itself without a user map, else the
 * map's entry (NULL when the map has none). */
const char *su_idp_config_user(const struct su_idp_config *c, const char *claim_value);
/* Whether user can be vouched for: always without a map, else when the map names them. */
bool su_idp_config_knows(const struct su_idp_config *c, const char *user);
