/* The daemon's shared state, owned by the Manager and handed to every request: settings,
 * the rules in force (policy and question catalogue), and the services every thread uses.
 * Nothing of the daemon lives in static variables. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "audit.h"
#include "caps.h"
#include "idp_client.h"
#include "local.h"
#include "metrics.h"
#include "policy.h"
#include "questions.h"
#include "remote.h"
#include "settings.h"
#include "store.h"

/* The policy and the catalogue of one (re)load, shared by the requests that use them; a
 * reload swaps in a new one while older requests finish with theirs. */
struct su_rules {
        struct su_policy *policy;
        struct su_catalogue *questions;
        struct su_idp *idp; /* idp.conf and its provider's cache; NULL without the file */
        unsigned refs;      /* under su_ctx.rules_lock */
};

struct su_ctx {
        struct su_config cfg; /* read-only once the daemon serves */
        struct su_store_config store_cfg;
        char boot_id[SU_BOOT_ID_LEN + 1];
        char host[256]; /* this host's name, for the factor-change log */
        pthread_mutex_t rules_lock;
        pthread_mutex_t reload_lock; /* held by su_ctx_reload from read to install */
        struct su_rules *rules;
        struct su_metrics metrics;
        struct su_store_stats store_stats; /* the shared store's health */
        struct su_audit audit;
        struct su_remote remote;
        struct su_limits limits;
        struct su_group_cache *groups; /* gid -> name (policy.h), shared by the threads */
};

/* Sets up every service from cfg (taken over).  Loads nothing yet. */
int su_ctx_init(struct su_ctx *x, struct su_config *cfg);
void su_ctx_done(struct su_ctx *x);

/* Loads the policy, the question catalogue and idp.conf and puts them in force.  On error the old
 * rules stay, and diagnostics (file:line:column) go to body when given and to stderr. */
int su_ctx_reload(struct su_ctx *x, const struct su_audit_req *rq, char *body, size_t size);

/* The rules in force, held until su_rules_put(). */
struct su_rules *su_rules_get(struct su_ctx *x);
void su_rules_put(struct su_ctx *x, struct su_rules *r);

/* The limits that gate verification attempts. */
struct su_store_limits su_ctx_store_limits(const struct su_ctx *x);
