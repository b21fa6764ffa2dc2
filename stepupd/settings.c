#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_read.h"
#include "config.h"

void su_config_defaults(struct su_config *c)
{
        *c = (struct su_config){
            .policy_owner = 0,
            .max_connections = 512,
            .idle_timeout = 10,
            .challenge_timeout = 120,
            .rate_attempts = 3,
            .rate_window = 30,
            .lockout_failures = 10,
            .lockout_duration = 900,
            .questions_enrol = 3,
            .questions_ask = 1,
        };
        c->pam_socket = strdup(STEPUP_PAM_SOCKET);
        c->user_socket = strdup(STEPUP_USER_SOCKET);
        c->db_path = strdup(STEPUP_DB_PATH);
        c->policy_path = strdup(STEPUP_POLICY_PATH);
        c->config_path = strdup(STEPUP_CONFIG_PATH);
        c->questions_path = strdup(STEPUP_QUESTIONS_PATH);
}

void su_config_free(struct su_config *c)
{
        free(c->pam_socket);
        free(c->user_socket);
        free(c->db_path);
        free(c->policy_path);
        free(c->config_path);
        free(c->questions_path);
}

struct key {
        const char *name;
        size_t offset;
        unsigned min, max;
};

#define K(n, field, lo, hi)                                                                        \
        {                                                                                          \
                n, offsetof(struct su_config, field), lo, hi                                       \
        }
static const struct key keys[] = {
    K("max_connections", max_connections, 1, 65536),
    K("idle_timeout", idle_timeout, 1, 3600),
    K("challenge_timeout", challenge_timeout, 5, 3600),
    K("rate_limit_attempts", rate_attempts, 1, 1000),
    K("rate_limit_window", rate_window, 1, 86400),
    K("lockout_failures", lockout_failures, 1, 100), /* NIST SP 800-63B: at most 100 */
    K("lockout_duration", lockout_duration, 1, 31 * 86400),
    K("questions_enrol", questions_enrol, 1, 16),
    K("questions_ask", questions_ask, 1, 8),
};

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = 0;
        return s;
}

int su_config_load(struct su_config *c, const char *path, char *err, size_t errsize)
{
        char *text;
        size_t len;
        char why[160];
        int r = su_safe_read(path, c->policy_owner, 64 * 1024, 0, &text, &len, why, sizeof(why));
        if (r == -ENOENT)
                return 0; /* no file: the defaults */
        if (r < 0) {
                snprintf(err, errsize, "%s: %s", path, why);
                return r;
        }
        unsigned lineno = 0;
        char *p = text;
        while (p && *p) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                lineno++;
                char *line = trim(p);
                p = nl ? nl + 1 : NULL;
                if (!*line || *line == '#')
                        continue;
                char *eq = strchr(line, '=');
                if (!eq) {
                        snprintf(err, errsize, "%s:%u: expected 'key = value'", path, lineno);
                        r = -EINVAL;
                        break;
                }
                *eq = 0;
                char *k = trim(line), *v = trim(eq + 1);
                const struct key *found = NULL;
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        if (strcmp(keys[i].name, k) == 0)
                                found = &keys[i];
                if (!found) {
                        snprintf(err, errsize, "%s:%u: unknown key '%s'", path, lineno, k);
                        r = -EINVAL;
                        break;
                }
                char *end;
                errno = 0;
                unsigned long n = strtoul(v, &end, 10);
                if (errno || end == v || *end || v[0] == '-' || n < found->min || n > found->max) {
                        snprintf(err, errsize, "%s:%u: %s must be a number from %u to %u", path,
                                 lineno, k, found->min, found->max);
                        r = -EINVAL;
                        break;
                }
                *(unsigned *)((char *)c + found->offset) = (unsigned)n;
        }
        free(text);
        return r;
}
