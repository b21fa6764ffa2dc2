/* One bounded HTTP exchange with libcurl, for the idp factor (idp_client.c): a GET, or a POST
 * of form fields with optional HTTP Basic client credentials.  Every request has one time
 * limit for everything (resolving, connecting, TLS, the answer), a cap on the answer's size,
 * no redirects, no proxy from the environment, https only (http only to a loopback address,
 * for a provider on this host and for tests), the system's CA store or the admin's CA file.
 * Runs on the calling thread (stepupd's pool): never on an event loop.  Never logs; a failure
 * is a negative errno and a short reason that holds no request body (device codes, client
 * secrets) and no answer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct su_http_opts {
        const char *ca_file; /* NULL: the system's CA store */
        const char *proxy;   /* NULL: none (a proxy in the environment is ignored) */
        long timeout_ms;     /* the whole exchange; at least 1 */
        size_t max_body;     /* the largest answer accepted */
};

struct su_http_resp {
        long status;   /* HTTP status */
        char *body;    /* NUL-terminated, malloc'd (su_http_resp_free wipes it) */
        size_t len;    /* bytes in body */
        char why[200]; /* on failure: what went wrong, for a log */
};

/* Once, before any thread starts: libcurl's global set-up. */
int su_http_global_init(void);

/* 0 when url may be asked: https://, or http:// to 127.0.0.0/8, ::1 or localhost; a URL with
 * user information or a fragment is refused.  -EINVAL otherwise, with why set. */
int su_http_url_check(const char *url, char *why, size_t whysize);

/* GET url (Accept: application/json).  0 with r filled whatever the HTTP status, or:
 * -ETIMEDOUT (the time limit), -ECONNREFUSED, -EHOSTUNREACH (name or route), -EFBIG (answer
 * too large), -EPROTO (TLS, certificate, or HTTP protocol), -EINVAL (a URL refused), -ENOMEM,
 * -EIO; r->why says more.  Free r with su_http_resp_free in every case. */
int su_http_get(const struct su_http_opts *o, const char *url, struct su_http_resp *r);

/* POST the form fields (name, value pairs, NULL-terminated; each form-urlencoded by libcurl)
 * to url.  With user, HTTP Basic authentication as RFC 6749 section 2.3.1 says (user and
 * password form-urlencoded first).  The body is wiped after the exchange.  As su_http_get. */
int su_http_post_form(const struct su_http_opts *o, const char *url, const char *const *form,
                      const char *user, const char *password, struct su_http_resp *r);

/* Wipes and frees the body; r may be reused. */
void su_http_resp_free(struct su_http_resp *r);
