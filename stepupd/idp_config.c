#include "idp_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin_file.h"
#include "http.h"
#include "names.h"
#include "safe_read.h"

#define CONF_MAX (64 * 1024)
#define MAP_FILE_MAX (16 * 1024 * 1024)
#define VALUE_MAX 2048

/* Printable ASCII without spaces (identifiers, claim names, URLs, paths). */
static bool word(const char *s, size_t max)
{
        size_t n = strlen(s);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if (*s <= 0x20 || *s >= 0x7f)
                        return false;
        return true;
}

/* RFC 6749 scope-token characters and single spaces between tokens. */
static bool scope_list(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 1024 || s[0] == ' ' || s[n - 1] == ' ')
                return false;
        for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                if (ch == ' ' ? p[1] == ' ' : (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\'))
                        return false;
        }
        return true;
}

static bool has_token(const char *list, const char *tok)
{
        size_t n = strlen(tok);
        for (const char *p = list; *p;) {
                size_t w = strcspn(p, " ");
                if (w == n && strncmp(p, tok, n) == 0)
                        return true;
                p += w;
                while (*p == ' ')
                        p++;
        }
        return false;
}

/* Splits a space-separated list into at most SU_IDP_LIST_MAX strdup'd words. */
static int split_list(const char *v, char **out, size_t *n)
{
        char *copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        int r = 0;
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (*n >= SU_IDP_LIST_MAX || !word(w, 256)) {
                        r = -EINVAL;
                        break;
                }
                if (!(out[(*n)++] = strdup(w))) {
                        r = -ENOMEM;
                        break;
                }
        }
        free(copy);
        return r;
}

static int unsigned_value(const char *v, unsigned lo, unsigned hi, unsigned *ret)
{
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-' || n < lo || n > hi)
                return -EINVAL;
        *ret = (unsigned)n;
        return 0;
}

static int set_str(char **dst, const char *v)
{
        char *c = strdup(v);
        if (!c)
                return -ENOMEM;
        free(*dst);
        *dst = c;
        return 0;
}

static int cmp_entry(const void *a, const void *b)
{
        return strcmp(((const struct su_idp_map_entry *)a)->claim,
                      ((const struct su_idp_map_entry *)b)->claim);
}

/* One line of the user map: "CLAIM_VALUE USER". */
static int one_mapping(char *line, void *data, char *why, size_t whysize)
{
        struct su_idp_config *c = data;
        char *sep = line + strcspn(line, " \t");
        char *user = *sep ? su_trim(sep + 1) : sep;
        *sep = 0;
        if (!word(line, SU_IDP_CLAIM_VALUE_MAX) || !su_valid_user(user) || strlen(user) > 256) {
                snprintf(why, whysize,
                         "expected 'CLAIM_VALUE USER' (a value without spaces, then a valid user "
                         "name)");
                return -EINVAL;
        }
        if (c->nmap >= SU_IDP_MAP_MAX) {
                snprintf(why, whysize, "more than %d entries", SU_IDP_MAP_MAX);
                return -E2BIG;
        }
        if (c->nmap == c->map_cap) {
                size_t ncap = c->map_cap ? 2 * c->map_cap : 64;
                struct su_idp_map_entry *m = realloc(c->map, ncap * sizeof(*m));
                if (!m) {
                        snprintf(why, whysize, "out of memory");
                        return -ENOMEM;
                }
                c->map = m;
                c->map_cap = ncap;
        }
        struct su_idp_map_entry *e = &c->map[c->nmap];
        e->claim = strdup(line);
        e->user = strdup(user);
        c->nmap++;
        if (e->claim && e->user)
                return 0;
        snprintf(why, whysize, "out of memory");
        return -ENOMEM;
}

/* The user map: "CLAIM_VALUE USER" a line, '#' comments; each value once. */
static int load_map(struct su_idp_config *c, uid_t owner, char *err, size_t errsize)
{
        const char *path = c->user_map_path;
        struct stat st;
        if (lstat(path, &st) < 0) {
                snprintf(err, errsize, "%s: %s", path, strerror(errno));
                return -errno;
        }
        int r = su_admin_file_lines(path, owner, MAP_FILE_MAX, one_mapping, c, err, errsize);
        if (r < 0)
                return r;
        if (c->nmap > 0)
                qsort(c->map, c->nmap, sizeof(c->map[0]), cmp_entry);
        for (size_t i = 1; i < c->nmap; i++)
                if (strcmp(c->map[i - 1].claim, c->map[i].claim) == 0) {
                        snprintf(err, errsize, "%s: the value '%s' is mapped twice", path,
                                 c->map[i].claim);
                        return -EEXIST;
                }
        return 0;
}

/* The client secret: owned by root or by the daemon's own user (a systemd credential,
 * LoadCredential=, is copied for the service's user), readable by its owner only. */
static int load_secret(struct su_idp_config *c, const char *path, char *err, size_t errsize)
{
        char *text, why[160];
        size_t len;
        int r = su_safe_read(path, geteuid(), SU_IDP_SECRET_MAX + 2,
                             SU_SAFE_ROOT_TOO | SU_SAFE_SECRET, &text, &len, why, sizeof(why));
        if (r < 0) {
                snprintf(err, errsize, "%s: %s", path, why);
                return r;
        }
        /* One line; a final newline is not part of it. */
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
                text[--len] = 0;
        bool ok = len > 0 && len <= SU_IDP_SECRET_MAX;
        for (size_t i = 0; ok && i < len; i++)
                ok = (unsigned char)text[i] >= 0x20 && text[i] != 0x7f;
        if (!ok) {
                explicit_bzero(text, len);
                free(text);
                snprintf(err, errsize,
                         "%s: the client secret must be one line of 1-%d printable bytes", path,
                         SU_IDP_SECRET_MAX);
                return -EINVAL;
        }
        c->client_secret = text;
        return 0;
}

enum key_kind { K_URL, K_PROXY, K_WORD, K_SCOPES, K_PATH, K_NUM, K_LIST, K_AUTH };

struct key {
        const char *name;
        enum key_kind kind;
        unsigned lo, hi; /* K_NUM */
};

static const struct key keys[] = {
    {"issuer", K_URL, 0, 0},
    {"client_id", K_WORD, 0, 0},
    {"client_secret_file", K_PATH, 0, 0},
    {"client_auth", K_AUTH, 0, 0},
    {"scopes", K_SCOPES, 0, 0},
    {"acr_values", K_SCOPES, 0, 0},
    {"max_age", K_NUM, 0, 366 * 86400},
    {"user_claim", K_WORD, 0, 0},
    {"user_map", K_PATH, 0, 0},
    {"ca_file", K_PATH, 0, 0},
    {"proxy", K_PROXY, 0, 0},
    {"require_acr", K_LIST, 0, 0},
    {"require_amr", K_LIST, 0, 0},
    {"timeout", K_NUM, 1, 60},
    {"clock_skew", K_NUM, 0, 300},
    {"cache", K_NUM, 0, 86400},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *kind_text(const struct key *k, char *buf, size_t size)
{
        switch (k->kind) {
        case K_URL:
                return "an https:// URL (http:// only to a loopback address)";
        case K_PROXY:
                return "a proxy URL (http://HOST:PORT, socks5h://HOST:PORT)";
        case K_WORD:
                return "one word of printable characters";
        case K_SCOPES:
                return "space-separated values (RFC 6749 scope characters)";
        case K_PATH:
                return "an absolute path";
        case K_NUM:
                snprintf(buf, size, "a number from %u to %u", k->lo, k->hi);
                return buf;
        case K_LIST:
                return "up to 16 space-separated words";
        case K_AUTH:
                return "client_secret_basic, client_secret_post or none";
        }
        return "?";
}

/* One "key = value" line into c. */
static int set_key(struct su_idp_config *c, const struct key *k, const char *v, char **secret_file)
{
        char why[200];
        unsigned n;
        if (strlen(v) > VALUE_MAX)
                return -EINVAL;
        switch (k->kind) {
        case K_URL:
                if (su_http_url_check(v, why, sizeof(why)) < 0)
                        return -EINVAL;
                return set_str(&c->issuer, v);
        case K_PROXY:
                if (!word(v, 1024) || !strstr(v, "://"))
                        return -EINVAL;
                return set_str(&c->proxy, v);
        case K_WORD:
                if (!word(v, 256))
                        return -EINVAL;
                return set_str(strcmp(k->name, "client_id") == 0 ? &c->client_id : &c->user_claim,
                               v);
        case K_SCOPES:
                if (!scope_list(v))
                        return -EINVAL;
                return set_str(strcmp(k->name, "scopes") == 0 ? &c->scopes : &c->acr_values, v);
        case K_PATH:
                if (v[0] != '/' || !word(v, 1024))
                        return -EINVAL;
                if (strcmp(k->name, "client_secret_file") == 0)
                        return set_str(secret_file, v);
                return set_str(strcmp(k->name, "user_map") == 0 ? &c->user_map_path : &c->ca_file,
                               v);
        case K_NUM:
                if (unsigned_value(v, k->lo, k->hi, &n) < 0)
                        return -EINVAL;
                if (strcmp(k->name, "max_age") == 0)
                        c->max_age = n;
                else if (strcmp(k->name, "timeout") == 0)
                        c->timeout_ms = n * 1000;
                else if (strcmp(k->name, "clock_skew") == 0)
                        c->clock_skew = n;
                else
                        c->cache_seconds = n;
                return 0;
        case K_LIST:
                if (strcmp(k->name, "require_acr") == 0)
                        return split_list(v, c->require_acr, &c->nrequire_acr);
                return split_list(v, c->require_amr, &c->nrequire_amr);
        case K_AUTH:
                if (strcmp(v, "client_secret_basic") == 0)
                        c->client_auth = SU_IDP_AUTH_BASIC;
                else if (strcmp(v, "client_secret_post") == 0)
                        c->client_auth = SU_IDP_AUTH_POST;
                else if (strcmp(v, "none") == 0)
                        c->client_auth = SU_IDP_AUTH_NONE;
                else
                        return -EINVAL;
                return 0;
        }
        return -EINVAL;
}

/* Defaults, then what the whole file must say together. */
static int finish(struct su_idp_config *c, const char *path, const char *secret_file, uid_t owner,
                  char *err, size_t errsize)
{
        if (!c->issuer || !c->client_id) {
                snprintf(err, errsize, "%s: issuer and client_id are required", path);
                return -EINVAL;
        }
        if (c->client_auth == SU_IDP_AUTH_NONE && secret_file) {
                snprintf(err, errsize, "%s: client_secret_file with client_auth = none", path);
                return -EINVAL;
        }
        if (c->client_auth != SU_IDP_AUTH_NONE && !secret_file) {
                snprintf(err, errsize,
                         "%s: client_secret_file is required (or client_auth = none for a "
                         "public client)",
                         path);
                return -EINVAL;
        }
        if (!c->scopes && set_str(&c->scopes, "openid profile") < 0)
                return -ENOMEM;
        if (!has_token(c->scopes, "openid")) {
                snprintf(err, errsize, "%s: scopes must include openid", path);
                return -EINVAL;
        }
        if (!c->user_claim && set_str(&c->user_claim, "preferred_username") < 0)
                return -ENOMEM;
        /* OpenID Connect Discovery 1.0, section 4: the issuer without a final '/', then the
         * well-known path. */
        size_t n = strlen(c->issuer);
        while (n > 0 && c->issuer[n - 1] == '/')
                n--;
        if (asprintf(&c->discovery_url, "%.*s/.well-known/openid-configuration", (int)n,
                     c->issuer) < 0) {
                c->discovery_url = NULL;
                return -ENOMEM;
        }
        struct stat st;
        if (c->ca_file && stat(c->ca_file, &st) < 0) {
                snprintf(err, errsize, "%s: ca_file %s: %s", path, c->ca_file, strerror(errno));
                return -errno;
        }
        if (secret_file) {
                int r = load_secret(c, secret_file, err, errsize);
                if (r < 0)
                        return r;
        }
        if (c->user_map_path)
                return load_map(c, owner, err, errsize);
        return 0;
}

struct parse {
        struct su_idp_config *c;
        bool seen[NKEYS];
        char *secret_file;
};

/* One "key = value" line of idp.conf. */
static int one_key(char *line, void *data, char *why, size_t whysize)
{
        struct parse *ps = data;
        char *eq = strchr(line, '=');
        if (!eq) {
                snprintf(why, whysize, "expected 'key = value'");
                return -EINVAL;
        }
        *eq = 0;
        char *k = su_trim(line), *v = su_trim(eq + 1);
        size_t i = 0;
        while (i < NKEYS && strcmp(keys[i].name, k) != 0)
                i++;
        if (i == NKEYS) {
                snprintf(why, whysize, "unknown key '%s'", k);
                return -EINVAL;
        }
        if (ps->seen[i]) {
                snprintf(why, whysize, "%s given twice", k);
                return -EINVAL;
        }
        ps->seen[i] = true;
        int r = set_key(ps->c, &keys[i], v, &ps->secret_file);
        if (r < 0) {
                char buf[64];
                snprintf(why, whysize, "%s must be %s", k,
                         r == -ENOMEM ? "(out of memory)" : kind_text(&keys[i], buf, sizeof(buf)));
        }
        return r;
}

int su_idp_config_load(const char *path, uid_t owner, struct su_idp_config *ret, char *err,
                       size_t errsize)
{
        struct su_idp_config c = {.timeout_ms = 4000, .clock_skew = 10, .cache_seconds = 3600};
        struct parse ps = {.c = &c};
        struct stat st;
        memset(ret, 0, sizeof(*ret));
        if (lstat(path, &st) < 0 && errno == ENOENT)
                return 0; /* no idp.conf: no idp factor */
        int r = su_admin_file_lines(path, owner, CONF_MAX, one_key, &ps, err, errsize);
        if (r >= 0)
                r = finish(&c, path, ps.secret_file, owner, err, errsize);
        free(ps.secret_file);
        if (r < 0) {
                su_idp_config_free(&c);
                return r;
        }
        *ret = c;
        return 1;
}

void su_idp_config_free(struct su_idp_config *c)
{
        if (!c)
                return;
        free(c->issuer);
        free(c->discovery_url);
        free(c->client_id);
        if (c->client_secret) {
                explicit_bzero(c->client_secret, strlen(c->client_secret));
                free(c->client_secret);
        }
        free(c->scopes);
        free(c->acr_values);
        free(c->user_claim);
        free(c->user_map_path);
        for (size_t i = 0; i < c->nmap; i++) {
                free(c->map[i].claim);
                free(c->map[i].user);
        }
        free(c->map);
        free(c->ca_file);
        free(c->proxy);
        for (size_t i = 0; i < c->nrequire_acr; i++)
                free(c->require_acr[i]);
        for (size_t i = 0; i < c->nrequire_amr; i++)
                free(c->require_amr[i]);
        memset(c, 0, sizeof(*c));
}

const char *su_idp_config_user(const struct su_idp_config *c, const char *claim_value)
{
        if (!c->user_map_path)
                return claim_value;
        struct su_idp_map_entry key = {.claim = (char *)claim_value};
        const struct su_idp_map_entry *e =
            c->nmap ? bsearch(&key, c->map, c->nmap, sizeof(c->map[0]), cmp_entry) : NULL;
        return e ? e->user : NULL;
}

bool su_idp_config_knows(const struct su_idp_config *c, const char *user)
{
        if (!c->user_map_path)
                return true;
        for (size_t i = 0; i < c->nmap; i++)
                if (strcmp(c->map[i].user, user) == 0)
                        return true;
        return false;
}
