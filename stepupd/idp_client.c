#include "idp_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rhonabwy.h>

#include "clocks.h"
#include "http.h"

#define DOC_MAX (256 * 1024) /* discovery, keys and token answers */
#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"

int su_idp_global_init(void)
{
        int r = su_http_global_init();
        if (r < 0)
                return r;
        return r_global_init() == RHN_OK ? 0 : -EIO;
}

int su_idp_new(struct su_idp **ret, struct su_idp_config *cfg)
{
        struct su_idp *idp = calloc(1, sizeof(*idp));
        if (!idp) {
                su_idp_config_free(cfg);
                return -ENOMEM;
        }
        idp->cfg = *cfg;
        memset(cfg, 0, sizeof(*cfg));
        pthread_mutex_init(&idp->lock, NULL);
        *ret = idp;
        return 0;
}

void su_idp_free(struct su_idp *idp)
{
        if (!idp)
                return;
        su_idp_config_free(&idp->cfg);
        free(idp->device_endpoint);
        free(idp->token_endpoint);
        free(idp->jwks_uri);
        free(idp->jwks);
        pthread_mutex_destroy(&idp->lock);
        free(idp);
}

/* Records why the provider could not be used (for STATUS) and passes r on. */
static int failed(struct su_idp *idp, int r, const char *why)
{
        pthread_mutex_lock(&idp->lock);
        snprintf(idp->last_error, sizeof(idp->last_error), "%s", why);
        idp->last_error_wall = su_now_wall();
        pthread_mutex_unlock(&idp->lock);
        return r;
}

static struct su_http_opts opts(const struct su_idp *idp, uint64_t deadline_us)
{
        uint64_t now = su_now_us();
        long ms = deadline_us > now ? (long)((deadline_us - now + 999) / 1000) : 0;
        return (struct su_http_opts){.ca_file = idp->cfg.ca_file,
                                     .proxy = idp->cfg.proxy,
                                     .timeout_ms = ms,
                                     .max_body = DOC_MAX};
}

static bool time_left(uint64_t deadline_us, char *why, size_t whysize)
{
        if (su_now_us() < deadline_us)
                return true;
        snprintf(why, whysize, "no time left to ask the identity provider");
        return false;
}

/* The answer's JSON object, or NULL with why set (the body is wiped by the caller). */
static json_t *json_of(const struct su_http_resp *resp, const char *what, char *why, size_t whysize)
{
        json_error_t jerr;
        json_t *j = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(j)) {
                json_decref(j);
                snprintf(why, whysize, "%s: HTTP %ld, not a JSON object", what, resp->status);
                return NULL;
        }
        return j;
}

/* Overwrites a string the answer holds (a code or a token) before jansson frees it. */
static void wipe_member(json_t *o, const char *name)
{
        json_t *v = json_object_get(o, name);
        if (json_is_string(v))
                explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

/* An OAuth error code, safe to log: [a-z_] only. */
static const char *error_code(json_t *o)
{
        const char *e = json_string_value(json_object_get(o, "error"));
        if (!e || !*e || strlen(e) > 64)
                return NULL;
        for (const char *p = e; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
                        return NULL;
        return e;
}

static int url_member(json_t *doc, const char *name, char **ret, char *why, size_t whysize)
{
        const char *v = json_string_value(json_object_get(doc, name));
        char w[160];
        if (!v) {
                snprintf(why, whysize, "discovery: no %s", name);
                return -EPROTO;
        }
        if (su_http_url_check(v, w, sizeof(w)) < 0) {
                snprintf(why, whysize, "discovery: %s: %s", name, w);
                return -EPROTO;
        }
        *ret = strdup(v);
        return *ret ? 0 : -ENOMEM;
}

/* GET url and its JSON body (HTTP 200 only); why names what (discovery, keys) on failure. */
static int get_json(struct su_idp *idp, uint64_t deadline_us, const char *url, const char *what,
                    json_t **ret, char *why, size_t whysize)
{
        struct su_http_opts o = opts(idp, deadline_us);
        struct su_http_resp resp;
        int r = su_http_get(&o, url, &resp);
        if (r < 0) {
                snprintf(why, whysize, "%s: %s", what, resp.why);
                return r;
        }
        json_t *j = resp.status == 200 ? json_of(&resp, what, why, whysize) : NULL;
        if (resp.status != 200)
                snprintf(why, whysize, "%s: HTTP %ld", what, resp.status);
        su_http_resp_free(&resp);
        *ret = j;
        return j ? 0 : -EPROTO;
}

/* The discovery document, unless cached and fresh; the issuer must be ours exactly. */
static int discover(struct su_idp *idp, uint64_t deadline_us, char *why, size_t whysize)
{
        int64_t now = su_now_boot();
        pthread_mutex_lock(&idp->lock);
        bool fresh = idp->meta_boot && now - idp->meta_boot < (int64_t)idp->cfg.cache_seconds;
        pthread_mutex_unlock(&idp->lock);
        if (fresh)
                return 0;
        if (!time_left(deadline_us, why, whysize))
                return -ETIMEDOUT;
        json_t *doc = NULL;
        int r = get_json(idp, deadline_us, idp->cfg.discovery_url, "discovery", &doc, why, whysize);
        if (r < 0)
                return r;
        char *dev = NULL, *tok = NULL, *jwks = NULL;
        const char *iss = json_string_value(json_object_get(doc, "issuer"));
        json_t *grants = json_object_get(doc, "grant_types_supported");
        r = 0;
        if (!iss || strcmp(iss, idp->cfg.issuer) != 0) {
                snprintf(why, whysize, "discovery: the document's issuer is not %s",
                         idp->cfg.issuer);
                r = -EPROTO;
        } else if (json_is_array(grants)) {
                bool device = false;
                for (size_t i = 0; i < json_array_size(grants); i++) {
                        const char *g = json_string_value(json_array_get(grants, i));
                        device |= g && strcmp(g, DEVICE_GRANT) == 0;
                }
                if (!device) {
                        snprintf(why, whysize, "discovery: the device grant is not offered");
                        r = -EPROTO;
                }
        }
        if (r == 0)
                r = url_member(doc, "device_authorization_endpoint", &dev, why, whysize);
        if (r == 0)
                r = url_member(doc, "token_endpoint", &tok, why, whysize);
        if (r == 0)
                r = url_member(doc, "jwks_uri", &jwks, why, whysize);
        json_decref(doc);
        if (r < 0) {
                free(dev);
                free(tok);
                free(jwks);
                return r;
        }
        pthread_mutex_lock(&idp->lock);
        free(idp->device_endpoint);
        free(idp->token_endpoint);
        free(idp->jwks_uri);
        idp->device_endpoint = dev;
        idp->token_endpoint = tok;
        idp->jwks_uri = jwks;
        idp->meta_boot = su_now_boot();
        pthread_mutex_unlock(&idp->lock);
        return 0;
}

/* A copy of a cached string (NULL when not there). */
static char *cached(struct su_idp *idp, char *const *field)
{
        pthread_mutex_lock(&idp->lock);
        char *v = *field ? strdup(*field) : NULL;
        pthread_mutex_unlock(&idp->lock);
        return v;
}

/* The client's credentials on a form and for HTTP Basic, as cfg.client_auth says. */
static size_t add_client(const struct su_idp *idp, const char **form, size_t n, const char **user,
                         const char **pass)
{
        const struct su_idp_config *c = &idp->cfg;
        *user = *pass = NULL;
        if (c->client_auth == SU_IDP_AUTH_BASIC) {
                *user = c->client_id;
                *pass = c->client_secret;
                return n;
        }
        form[n++] = "client_id";
        form[n++] = c->client_id;
        if (c->client_auth == SU_IDP_AUTH_POST) {
                form[n++] = "client_secret";
                form[n++] = c->client_secret;
        }
        return n;
}

static int copy_text(json_t *o, const char *name, char *out, size_t size, bool printable)
{
        const char *v = json_string_value(json_object_get(o, name));
        size_t n = v ? strlen(v) : 0;
        if (n == 0 || n >= size)
                return -EPROTO;
        for (size_t i = 0; printable && i < n; i++)
                if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7e)
                        return -EPROTO;
        memcpy(out, v, n + 1);
        return 0;
}

static int device_answer(json_t *j, struct su_idp_device *d, char *why, size_t whysize)
{
        char w[160];
        json_t *exp = json_object_get(j, "expires_in"), *iv = json_object_get(j, "interval");
        if (copy_text(j, "device_code", d->device_code, sizeof(d->device_code), true) < 0 ||
            copy_text(j, "user_code", d->user_code, sizeof(d->user_code), true) < 0 ||
            copy_text(j, "verification_uri", d->verification_uri, sizeof(d->verification_uri),
                      true) < 0) {
                snprintf(why, whysize,
                         "device authorization: no usable device_code, user_code "
                         "or verification_uri");
                return -EPROTO;
        }
        if (su_http_url_check(d->verification_uri, w, sizeof(w)) < 0) {
                snprintf(why, whysize, "device authorization: verification_uri: %s", w);
                return -EPROTO;
        }
        if (json_object_get(j, "verification_uri_complete") &&
            (copy_text(j, "verification_uri_complete", d->verification_uri_complete,
                       sizeof(d->verification_uri_complete), true) < 0 ||
             su_http_url_check(d->verification_uri_complete, w, sizeof(w)) < 0))
                d->verification_uri_complete[0] = 0; /* not usable: the URI and code suffice */
        if (!json_is_integer(exp) || json_integer_value(exp) <= 0) {
                snprintf(why, whysize, "device authorization: no valid expires_in");
                return -EPROTO;
        }
        d->expires_in = json_integer_value(exp) > 3600 ? 3600 : (unsigned)json_integer_value(exp);
        /* RFC 8628 3.2: 5 s when absent; kept between 1 and 60 s. */
        long long i = json_is_integer(iv) ? json_integer_value(iv) : 5;
        d->interval = i < 1 ? 1 : i > 60 ? 60 : (unsigned)i;
        return 0;
}

/* POSTs the form, the client's credentials added (form must have room for 4 more entries and
 * the NULL), and parses the JSON answer; frees url.  NULL with *err set, the failure recorded,
 * when no JSON answer came. */
static json_t *post_form(struct su_idp *idp, char *url, const char **form, size_t n,
                         const char *what, uint64_t deadline_us, long *status, int *err, char *why,
                         size_t whysize)
{
        const char *user, *pass;
        n = add_client(idp, form, n, &user, &pass);
        form[n] = NULL;
        struct su_http_resp resp = {0};
        json_t *j = NULL;
        if (!time_left(deadline_us, why, whysize)) {
                *err = failed(idp, -ETIMEDOUT, why);
        } else {
                struct su_http_opts o = opts(idp, deadline_us);
                int r = su_http_post_form(&o, url, form, user, pass, &resp);
                if (r < 0) {
                        snprintf(why, whysize, "%s: %s", what, resp.why);
                        *err = failed(idp, r, why);
                } else if (!(j = json_of(&resp, what, why, whysize))) {
                        *err = failed(idp, -EPROTO, why);
                }
                *status = resp.status;
        }
        free(url);
        su_http_resp_free(&resp);
        return j;
}

int su_idp_device_start(struct su_idp *idp, uint64_t deadline_us, struct su_idp_device *d,
                        char *why, size_t whysize)
{
        memset(d, 0, sizeof(*d));
        int r = discover(idp, deadline_us, why, whysize);
        if (r < 0)
                return failed(idp, r, why);
        char *url = cached(idp, &idp->device_endpoint);
        if (!url)
                return -ENOMEM;
        char max_age[16];
        snprintf(max_age, sizeof(max_age), "%u", idp->cfg.max_age);
        const char *form[16];
        size_t n = 0;
        form[n++] = "scope";
        form[n++] = idp->cfg.scopes;
        form[n++] = "max_age";
        form[n++] = max_age;
        if (idp->cfg.acr_values) {
                form[n++] = "acr_values";
                form[n++] = idp->cfg.acr_values;
        }
        long status = 0;
        json_t *j = post_form(idp, url, form, n, "device authorization", deadline_us, &status, &r,
                              why, whysize);
        if (!j)
                return r;
        if (status != 200) {
                const char *e = error_code(j);
                snprintf(why, whysize, "device authorization: HTTP %ld%s%s", status,
                         e ? ", error " : "", e ? e : "");
                r = -EPROTO;
        } else {
                r = device_answer(j, d, why, whysize);
        }
        wipe_member(j, "device_code");
        json_decref(j);
        if (r < 0) {
                explicit_bzero(d, sizeof(*d));
                return failed(idp, r, why);
        }
        return 0;
}

int su_idp_poll(struct su_idp *idp, const char *device_code, uint64_t deadline_us,
                enum su_idp_poll *res, char **id_token, char *why, size_t whysize)
{
        *id_token = NULL;
        int r = discover(idp, deadline_us, why, whysize);
        if (r < 0)
                return failed(idp, r, why);
        char *url = cached(idp, &idp->token_endpoint);
        if (!url)
                return -ENOMEM;
        const char *form[12];
        size_t n = 0;
        form[n++] = "grant_type";
        form[n++] = DEVICE_GRANT;
        form[n++] = "device_code";
        form[n++] = device_code;
        long status = 0;
        json_t *j = post_form(idp, url, form, n, "token", deadline_us, &status, &r, why, whysize);
        if (!j)
                return r;
        const char *e = error_code(j);
        const char *tok = json_string_value(json_object_get(j, "id_token"));
        r = 0;
        if (status == 200 && tok) {
                *res = SU_IDP_TOKEN;
                if (!(*id_token = strdup(tok)))
                        r = -ENOMEM;
        } else if (status == 200) {
                snprintf(why, whysize, "token: approved, but no ID token (is openid a scope?)");
                r = -EPROTO;
        } else if (e && strcmp(e, "authorization_pending") == 0) {
                *res = SU_IDP_PENDING;
        } else if (e && strcmp(e, "slow_down") == 0) {
                *res = SU_IDP_SLOW_DOWN;
        } else if (e && strcmp(e, "access_denied") == 0) {
                *res = SU_IDP_DENIED;
        } else if (e && strcmp(e, "expired_token") == 0) {
                *res = SU_IDP_EXPIRED;
        } else {
                snprintf(why, whysize, "token: HTTP %ld%s%s", status, e ? ", error " : "",
                         e ? e : "");
                r = -EPROTO;
        }
        wipe_member(j, "id_token");
        wipe_member(j, "access_token");
        wipe_member(j, "refresh_token");
        json_decref(j);
        return r < 0 ? failed(idp, r, why) : 0;
}

/* The key set, from the cache unless stale or refetch. */
static int keys(struct su_idp *idp, uint64_t deadline_us, bool refetch, char **ret, char *why,
                size_t whysize)
{
        int64_t now = su_now_boot();
        pthread_mutex_lock(&idp->lock);
        bool fresh = idp->jwks && now - idp->jwks_boot < (int64_t)idp->cfg.cache_seconds;
        char *have = fresh && !refetch ? strdup(idp->jwks) : NULL;
        pthread_mutex_unlock(&idp->lock);
        if (have) {
                *ret = have;
                return 0;
        }
        int r = discover(idp, deadline_us, why, whysize);
        if (r < 0)
                return r;
        char *url = cached(idp, &idp->jwks_uri);
        if (!url)
                return -ENOMEM;
        if (!time_left(deadline_us, why, whysize)) {
                free(url);
                return -ETIMEDOUT;
        }
        json_t *j = NULL;
        r = get_json(idp, deadline_us, url, "keys", &j, why, whysize);
        free(url);
        if (r < 0)
                return r;
        if (!json_is_array(json_object_get(j, "keys"))) {
                snprintf(why, whysize, "keys: no key set");
                json_decref(j);
                return -EPROTO;
        }
        char *text = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        char *copy = text ? strdup(text) : NULL;
        if (!text || !copy) {
                free(text);
                free(copy);
                return -ENOMEM;
        }
        pthread_mutex_lock(&idp->lock);
        free(idp->jwks);
        idp->jwks = text;
        idp->jwks_boot = su_now_boot();
        pthread_mutex_unlock(&idp->lock);
        *ret = copy;
        return 0;
}

int su_idp_check_token(struct su_idp *idp, const char *id_token, uint64_t deadline_us,
                       struct su_id_token_expect *e, char *value, size_t size, const char **reason,
                       char *why, size_t whysize)
{
        e->issuer = idp->cfg.issuer;
        e->client_id = idp->cfg.client_id;
        int r = -ENOKEY;
        for (int pass = 0; pass < 2 && r == -ENOKEY; pass++) {
                char *jwks = NULL;
                r = keys(idp, deadline_us, pass == 1, &jwks, why, whysize);
                if (r < 0)
                        return failed(idp, r, why);
                r = su_id_token_check(id_token, jwks, e, value, size, reason);
                free(jwks);
                if (r == -EINVAL) {
                        snprintf(why, whysize, "keys: the key set is not usable");
                        return failed(idp, -EPROTO, why);
                }
        }
        if (r == -ENOKEY) {
                *reason = "the ID token is signed with a key the identity provider does not list";
                r = -EACCES;
        }
        return r;
}

void su_idp_snapshot(struct su_idp *idp, bool *discovered, char *last_error, size_t size,
                     int64_t *last_error_wall)
{
        pthread_mutex_lock(&idp->lock);
        *discovered = idp->meta_boot != 0;
        snprintf(last_error, size, "%s", idp->last_error);
        *last_error_wall = idp->last_error_wall;
        pthread_mutex_unlock(&idp->lock);
}
