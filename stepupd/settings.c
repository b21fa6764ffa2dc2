#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_file.h"
#include "config.h"

void su_config_defaults(struct su_config *c)
{
        *c = (struct su_config){
            .policy_owner = 0,
            .max_connections = 512,
            .user_connections = 256,
            .user_connections_per_uid = 8,
            .challenges_per_user = 8,
            .hash_burst = 12,
            .hash_per_minute = 12,
            .audit_per_uid = 30,
            .audit_window = 10,
            .user_totp_max_window = 1,
            .user_totp_max_period = 30,
            .threads = 0,
            .pool_threads = 4,
            .store_timeout_ms = 3000,
            .fleet_revoke_interval = 5,
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
        c->idp_config_path = strdup(STEPUP_IDP_CONFIG_PATH);
        c->fleet_key = strdup(STEPUP_FLEET_KEY_PATH);
}

void su_config_free(struct su_config *c)
{
        free(c->pam_socket);
        free(c->user_socket);
        free(c->db_path);
        free(c->policy_path);
        free(c->config_path);
        free(c->questions_path);
        free(c->idp_config_path);
        free(c->store_conninfo);
        free(c->fleet_key);
        memset(c, 0, sizeof(*c));
}

struct key {
        const char *name;
        size_t offset;
        unsigned min, max;
        unsigned scale; /* stored value = written value * scale (seconds -> ms) */
};

#define K(n, field, lo, hi)                                                                        \
        {                                                                                          \
                n, offsetof(struct su_config, field), lo, hi, 1                                    \
        }
static const struct key keys[] = {
    K("max_connections", max_connections, 1, 65536),
    K("user_connections", user_connections, 1, 65536),
    K("user_connections_per_uid", user_connections_per_uid, 1, 65536),
    K("challenges_per_user", challenges_per_user, 1, 64),
    K("hash_burst", hash_burst, 1, 1000),
    K("hash_per_minute", hash_per_minute, 1, 6000),
    K("audit_per_uid", audit_per_uid, 0, 100000),
    K("audit_window", audit_window, 1, 3600),
    K("user_totp_max_window", user_totp_max_window, 0, 10),
    K("user_totp_max_period", user_totp_max_period, 30, 300),
    K("threads", threads, 0, 64),
    K("pool_threads", pool_threads, 1, SU_POOL_THREADS_MAX),
    {"store_timeout", offsetof(struct su_config, store_timeout_ms), 1, 60, 1000},
    K("fleet_revoke_interval", fleet_revoke_interval, 1, 3600),
    K("idle_timeout", idle_timeout, 1, 3600),
    K("challenge_timeout", challenge_timeout, 5, 3600),
    K("rate_limit_attempts", rate_attempts, 1, 1000),
    K("rate_limit_window", rate_window, 1, 86400),
    K("lockout_failures", lockout_failures, 1, 100), /* NIST SP 800-63B: at most 100 */
    K("lockout_duration", lockout_duration, 1, 31 * 86400),
    K("questions_enrol", questions_enrol, 1, 16),
    K("questions_ask", questions_ask, 1, 8),
};

/* store = sqlite:PATH | postgresql:CONNINFO;  fleet_key = PATH;  idp_config = PATH */
static int set_string(struct su_config *c, const char *k, const char *v, char *why, size_t whysize)
{
        char **dst;
        const char *val = v;
        if (strcmp(k, "idp_config") == 0) {
                if (v[0] != '/') {
                        snprintf(why, whysize, "idp_config must be an absolute path");
                        return -EINVAL;
                }
                if (c->idp_config_given)
                        return 0; /* --idp-config wins */
                dst = &c->idp_config_path;
        } else if (strcmp(k, "fleet_key") == 0) {
                if (v[0] != '/') {
                        snprintf(why, whysize, "fleet_key must be an absolute path");
                        return -EINVAL;
                }
                dst = &c->fleet_key;
        } else if (strncmp(v, "sqlite:", 7) == 0) {
                val = v + 7;
                if (val[0] != '/') {
                        snprintf(why, whysize, "store = sqlite:PATH needs an absolute path");
                        return -EINVAL;
                }
                c->store_kind = 0;
                dst = &c->db_path;
        } else if (strncmp(v, "postgresql:", 11) == 0) {
                val = v + 11;
                if (!*val) {
                        snprintf(why, whysize, "store = postgresql: needs a connection string");
                        return -EINVAL;
                }
                c->store_kind = 1;
                dst = &c->store_conninfo;
        } else {
                snprintf(why, whysize, "store must be sqlite:PATH or postgresql:CONNINFO");
                return -EINVAL;
        }
        char *copy = strdup(val);
        if (!copy)
                return -ENOMEM;
        free(*dst);
        *dst = copy;
        return 0;
}

static int one_setting(char *line, void *data, char *why, size_t whysize)
{
        struct su_config *c = data;
        char *eq = strchr(line, '=');
        if (!eq) {
                snprintf(why, whysize, "expected 'key = value'");
                return -EINVAL;
        }
        *eq = 0;
        char *k = su_trim(line), *v = su_trim(eq + 1);
        if (strcmp(k, "store") == 0 || strcmp(k, "fleet_key") == 0 || strcmp(k, "idp_config") == 0)
                return set_string(c, k, v, why, whysize);
        const struct key *found = NULL;
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (strcmp(keys[i].name, k) == 0)
                        found = &keys[i];
        if (!found) {
                snprintf(why, whysize, "unknown key '%s'", k);
                return -EINVAL;
        }
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-' || n < found->min || n > found->max) {
                snprintf(why, whysize, "%s must be a number from %u to %u", k, found->min,
                         found->max);
                return -EINVAL;
        }
        *(unsigned *)((char *)c + found->offset) = (unsigned)n * found->scale;
        return 0;
}

int su_config_load(struct su_config *c, const char *path, char *err, size_t errsize)
{
        /* A missing file gives no lines: the defaults. */
        return su_admin_file_lines(path, c->policy_owner, 64 * 1024, one_setting, c, err, errsize);
}
