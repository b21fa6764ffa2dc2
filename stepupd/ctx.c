#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clocks.h"

/* A group renamed shows in decisions this late; who is in it is always asked afresh. */
#define GROUP_NAMES_TTL_S 30

int su_ctx_init(struct su_ctx *x, struct su_config *cfg)
{
        memset(x, 0, sizeof(*x));
        x->cfg = *cfg;
        memset(cfg, 0, sizeof(*cfg));
        pthread_mutex_init(&x->rules_lock, NULL);
        pthread_mutex_init(&x->reload_lock, NULL);
        su_metrics_init(&x->metrics);
        bool network = x->cfg.store_kind == SU_STORE_POSTGRESQL;
        su_store_stats_init(&x->store_stats, network ? "postgresql" : "sqlite", network);
        su_audit_init(&x->audit, x->cfg.journal, &x->metrics, x->cfg.audit_per_uid,
                      x->cfg.audit_window);
        su_remote_init(&x->remote, "/proc", x->cfg.use_logind);
        su_limits_init(&x->limits, x->cfg.max_connections, x->cfg.user_connections,
                       x->cfg.user_connections_per_uid, x->cfg.challenges_per_user,
                       x->cfg.hash_burst, x->cfg.hash_per_minute);
        /* One pool thread always stays free of network waits (TOTP, writes, hashing). */
        su_limits_network_init(&x->limits, x->cfg.pool_threads > 1 ? x->cfg.pool_threads - 1 : 1);
        x->store_cfg = (struct su_store_config){
            .kind = x->cfg.store_kind,
            .conninfo = x->cfg.store_conninfo,
            .fleet_key = x->cfg.fleet_key,
            .timeout_ms = x->cfg.store_timeout_ms,
            .host = x->host,
            .stats = &x->store_stats,
        };
        x->groups = su_group_cache_new(GROUP_NAMES_TTL_S);
        if (!x->groups)
                return -ENOMEM;
        if (gethostname(x->host, sizeof(x->host) - 1) < 0)
                snprintf(x->host, sizeof(x->host), "unknown");
        int r = su_boot_id(x->boot_id);
        if (r < 0)
                fprintf(stderr, "stepupd: cannot read the boot id: %s\n", strerror(-r));
        return r;
}

static void rules_free(struct su_rules *r)
{
        if (!r)
                return;
        su_policy_free(r->policy);
        free(r->questions);
        su_idp_free(r->idp);
        free(r);
}

void su_ctx_done(struct su_ctx *x)
{
        rules_free(x->rules);
        x->rules = NULL;
        su_limits_done(&x->limits);
        x->groups = su_group_cache_free(x->groups);
        su_remote_done(&x->remote);
        su_audit_done(&x->audit);
        pthread_mutex_destroy(&x->metrics.lock);
        su_store_stats_done(&x->store_stats);
        pthread_mutex_destroy(&x->rules_lock);
        pthread_mutex_destroy(&x->reload_lock);
        su_config_free(&x->cfg);
}

struct su_rules *su_rules_get(struct su_ctx *x)
{
        pthread_mutex_lock(&x->rules_lock);
        struct su_rules *r = x->rules;
        if (r)
                r->refs++;
        pthread_mutex_unlock(&x->rules_lock);
        return r;
}

void su_rules_put(struct su_ctx *x, struct su_rules *r)
{
        if (!r)
                return;
        pthread_mutex_lock(&x->rules_lock);
        bool last = --r->refs == 0;
        pthread_mutex_unlock(&x->rules_lock);
        if (last)
                rules_free(r);
}

static void diags_out(const struct su_diags *d, char *body, size_t size)
{
        size_t used = body && size ? strlen(body) : 0;
        for (size_t i = 0; i < d->n; i++) {
                char one[1024];
                su_diag_format(&d->v[i], one, sizeof(one));
                const char *nl = one[0] && one[strlen(one) - 1] == '\n' ? "" : "\n";
                fprintf(stderr, "stepupd: %s%s", one, nl);
                if (body && used + 1 < size) {
                        int n = snprintf(body + used, size - used, "%s%s", one, nl);
                        if (n > 0)
                                used = (size_t)n >= size - used ? size - 1 : used + (size_t)n;
                }
        }
}

static int reload(struct su_ctx *x, const struct su_audit_req *rq, char *body, size_t size)
{
        struct su_diags d = {0};
        struct su_rules *nr = calloc(1, sizeof(*nr));
        char n[32], err[512];
        if (!nr)
                return -ENOMEM;
        if (body && size)
                body[0] = 0;
        int r = su_policy_load(x->cfg.policy_path, x->cfg.policy_owner, &nr->policy, &d);
        diags_out(&d, body, size);
        if (r < 0) {
                snprintf(n, sizeof(n), "%zu", d.errors);
                su_audit(rq, SU_EV_RELOAD, LOG_ERR, "policy reload failed: the old policy stays",
                         "STEPUP_POLICY", x->cfg.policy_path, "STEPUP_ERRORS", n, "STEPUP_OUTCOME",
                         "error", NULL);
                su_diags_free(&d);
                free(nr);
                return r;
        }
        su_diags_free(&d);
        /* The question catalogue reloads with the policy; a broken one keeps both old. */
        nr->questions = calloc(1, sizeof(*nr->questions));
        r = nr->questions ? su_catalogue_load(x->cfg.questions_path, x->cfg.policy_owner,
                                              nr->questions, err, sizeof(err))
                          : -ENOMEM;
        if (r < 0) {
                if (!nr->questions)
                        snprintf(err, sizeof(err), "out of memory");
                fprintf(stderr, "stepupd: %s\n", err);
                if (body && size)
                        snprintf(body + strlen(body), size - strlen(body), "%s\n", err);
                su_audit(rq, SU_EV_RELOAD, LOG_ERR, "question catalogue not loaded",
                         "STEPUP_QUESTIONS", x->cfg.questions_path, "STEPUP_REASON", err,
                         "STEPUP_OUTCOME", "error", NULL);
                rules_free(nr);
                return r;
        }
        /* idp.conf reloads with them too: a broken one keeps all three old. */
        struct su_idp_config ic;
        r = su_idp_config_load(x->cfg.idp_config_path, x->cfg.policy_owner, &ic, err, sizeof(err));
        if (r > 0)
                r = su_idp_new(&nr->idp, &ic);
        if (r < 0) {
                if (r == -ENOMEM && !*err)
                        snprintf(err, sizeof(err), "out of memory");
                fprintf(stderr, "stepupd: %s\n", err);
                if (body && size)
                        snprintf(body + strlen(body), size - strlen(body), "%s\n", err);
                su_audit(rq, SU_EV_RELOAD, LOG_ERR, "idp.conf not loaded", "STEPUP_IDP_CONFIG",
                         x->cfg.idp_config_path, "STEPUP_REASON", err, "STEPUP_OUTCOME", "error",
                         NULL);
                rules_free(nr);
                return r;
        }
        nr->refs = 1;
        pthread_mutex_lock(&x->rules_lock);
        struct su_rules *old = x->rules;
        x->rules = nr;
        pthread_mutex_unlock(&x->rules_lock);
        su_rules_put(x, old);
        snprintf(n, sizeof(n), "%zu", su_policy_rule_count(nr->policy));
        su_audit(rq, SU_EV_RELOAD, LOG_INFO, "policy loaded", "STEPUP_POLICY", x->cfg.policy_path,
                 "STEPUP_RULES", n, "STEPUP_OUTCOME", "success", NULL);
        return 0;
}

/* One reload at a time, from read to install: SIGHUP runs on the first loop and RELOAD on a pool
 * thread, and two overlapping loads would let the one that read the file first install last,
 * putting back a policy the admin had just replaced. */
int su_ctx_reload(struct su_ctx *x, const struct su_audit_req *rq, char *body, size_t size)
{
        pthread_mutex_lock(&x->reload_lock);
        int r = reload(x, rq, body, size);
        pthread_mutex_unlock(&x->reload_lock);
        return r;
}

struct su_store_limits su_ctx_store_limits(const struct su_ctx *x)
{
        return (struct su_store_limits){
            .rate_attempts = x->cfg.rate_attempts,
            .rate_window = x->cfg.rate_window,
            .lockout_failures = x->cfg.lockout_failures,
            .lockout_duration = x->cfg.lockout_duration,
        };
}
