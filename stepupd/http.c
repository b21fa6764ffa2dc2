#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"

int su_http_global_init(void)
{
        return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static bool loopback_host(const char *host)
{
        struct in_addr a4;
        struct in6_addr a6;
        char h[64];
        size_t n = strlen(host);
        if (strcmp(host, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, host, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        if (n > 2 && n < sizeof(h) && host[0] == '[' && host[n - 1] == ']') {
                memcpy(h, host + 1, n - 2);
                h[n - 2] = 0;
                return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
        }
        return false;
}

/* The scheme the URL may use ("https" or "http"), or NULL with why set. */
static const char *allowed_scheme(const char *url, char *why, size_t whysize)
{
        const char *ok = NULL;
        char *scheme = NULL, *host = NULL, *user = NULL, *frag = NULL;
        CURLU *u = curl_url();
        if (!u) {
                snprintf(why, whysize, "out of memory");
                return NULL;
        }
        if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
                snprintf(why, whysize, "not a URL");
                goto out;
        }
        if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
            curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK) {
                snprintf(why, whysize, "a URL with user information or a fragment");
                goto out;
        }
        if (strcmp(scheme, "https") == 0)
                ok = "https";
        else if (strcmp(scheme, "http") == 0 && loopback_host(host))
                ok = "http";
        else
                snprintf(why, whysize, "not https (http only to a loopback address)");
out:
        curl_free(scheme);
        curl_free(host);
        curl_free(user);
        curl_free(frag);
        curl_url_cleanup(u);
        return ok;
}

int su_http_url_check(const char *url, char *why, size_t whysize)
{
        if (!url || !*url || strlen(url) > 2048) {
                snprintf(why, whysize, "no URL, or longer than 2048 bytes");
                return -EINVAL;
        }
        return allowed_scheme(url, why, whysize) ? 0 : -EINVAL;
}

struct sink {
        struct su_http_resp *r;
        size_t cap, max;
        bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
        struct sink *s = userdata;
        size_t add = size * n;
        if (add > s->max - s->r->len) {
                s->too_big = true;
                return 0; /* CURLE_WRITE_ERROR: the exchange ends here */
        }
        if (s->r->len + add + 1 > s->cap) {
                size_t cap = s->cap ? s->cap : 4096;
                while (cap < s->r->len + add + 1)
                        cap *= 2;
                char *b = malloc(cap);
                if (!b)
                        return 0;
                if (s->r->body) {
                        memcpy(b, s->r->body, s->r->len);
                        explicit_bzero(s->r->body, s->r->len);
                        free(s->r->body);
                }
                s->r->body = b;
                s->cap = cap;
        }
        memcpy(s->r->body + s->r->len, p, add);
        s->r->len += add;
        s->r->body[s->r->len] = 0;
        return add;
}

static int errno_of(CURLcode c, bool too_big)
{
        if (too_big)
                return -EFBIG;
        switch (c) {
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_FILESIZE_EXCEEDED:
                return -EFBIG;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                return -EINVAL;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_WEIRD_SERVER_REPLY:
        case CURLE_HTTP2:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_BAD_CONTENT_ENCODING:
                return -EPROTO;
        default:
                return -EIO;
        }
}

static int exchange(const struct su_http_opts *o, const char *url, const char *body,
                    const char *user, const char *password, struct su_http_resp *r)
{
        memset(r, 0, sizeof(*r));
        const char *scheme = allowed_scheme(url, r->why, sizeof(r->why));
        if (!scheme)
                return -EINVAL;
        CURL *h = curl_easy_init();
        if (!h) {
                snprintf(r->why, sizeof(r->why), "out of memory");
                return -ENOMEM;
        }
        char errbuf[CURL_ERROR_SIZE] = "";
        struct sink s = {.r = r, .max = o->max_body};
        struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
        long ms = o->timeout_ms > 0 ? o->timeout_ms : 1;
        CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
        do {                                                                                       \
                if (c == CURLE_OK)                                                                 \
                        c = curl_easy_setopt(h, opt, val);                                         \
        } while (0)
        SET(CURLOPT_URL, url);
        SET(CURLOPT_PROTOCOLS_STR, scheme);
        SET(CURLOPT_FOLLOWLOCATION, 0L);
        SET(CURLOPT_NOSIGNAL, 1L);
        SET(CURLOPT_TIMEOUT_MS, ms);
        SET(CURLOPT_CONNECTTIMEOUT_MS, ms);
        SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
        SET(CURLOPT_WRITEFUNCTION, on_data);
        SET(CURLOPT_WRITEDATA, &s);
        SET(CURLOPT_ERRORBUFFER, errbuf);
        SET(CURLOPT_PROXY, o->proxy ? o->proxy : "");
        SET(CURLOPT_USERAGENT, "stepupd/" STEPUP_VERSION);
        SET(CURLOPT_HTTPHEADER, hdrs);
        if (o->ca_file)
                SET(CURLOPT_CAINFO, o->ca_file);
        if (body) {
                SET(CURLOPT_POSTFIELDS, body);
                SET(CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        }
        if (user) {
                SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                SET(CURLOPT_USERNAME, user);
                SET(CURLOPT_PASSWORD, password ? password : "");
        }
#undef SET
        if (!hdrs)
                c = CURLE_OUT_OF_MEMORY;
        if (c == CURLE_OK)
                c = curl_easy_perform(h);
        int ret = 0;
        if (c == CURLE_OK) {
                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
                if (!r->body && !(r->body = calloc(1, 1)))
                        ret = -ENOMEM;
        } else {
                ret = errno_of(c, s.too_big);
                snprintf(r->why, sizeof(r->why), "%s",
                         s.too_big ? "the answer is too large"
                         : *errbuf ? errbuf
                                   : curl_easy_strerror(c));
                su_http_resp_free(r);
        }
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        return ret;
}

int su_http_get(const struct su_http_opts *o, const char *url, struct su_http_resp *r)
{
        return exchange(o, url, NULL, NULL, NULL, r);
}

/* name=value&... with each part form-urlencoded by libcurl; NULL on failure. */
static char *form_body(const char *const *form)
{
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                return NULL;
        bool ok = true;
        for (size_t i = 0; form && form[i] && form[i + 1] && ok; i += 2) {
                char *k = curl_easy_escape(NULL, form[i], 0);
                char *v = curl_easy_escape(NULL, form[i + 1], 0);
                ok = k && v && fprintf(f, "%s%s=%s", i ? "&" : "", k, v) > 0;
                if (v)
                        explicit_bzero(v, strlen(v));
                curl_free(k);
                curl_free(v);
        }
        if (fclose(f) != 0)
                ok = false;
        if (!ok && out) {
                explicit_bzero(out, len);
                free(out);
                out = NULL;
        }
        return out;
}

int su_http_post_form(const struct su_http_opts *o, const char *url, const char *const *form,
                      const char *user, const char *password, struct su_http_resp *r)
{
        memset(r, 0, sizeof(*r));
        char *body = form_body(form);
        char *u = user ? curl_easy_escape(NULL, user, 0) : NULL;
        char *p = user ? curl_easy_escape(NULL, password ? password : "", 0) : NULL;
        int ret;
        if (!body || (user && (!u || !p))) {
                snprintf(r->why, sizeof(r->why), "out of memory");
                ret = -ENOMEM;
        } else {
                ret = exchange(o, url, body, u, p, r);
        }
        if (body) {
                explicit_bzero(body, strlen(body));
                free(body);
        }
        if (p)
                explicit_bzero(p, strlen(p));
        curl_free(u);
        curl_free(p);
        return ret;
}

void su_http_resp_free(struct su_http_resp *r)
{
        if (r->body) {
                explicit_bzero(r->body, r->len);
                free(r->body);
        }
        r->body = NULL;
        r->len = 0;
}
