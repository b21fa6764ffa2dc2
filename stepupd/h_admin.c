/* Root's verbs: RESET, FORGET, UNLOCK, RELOAD, STATS; and REVOKE (anyone, about itself). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "factors.h"
#include "handlers.h"
#include "store_open.h"

int su_h_reset(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const char *name = rq->factor.name ? rq->factor.name : "all";
        /* A reset also ends the user's grants on this host, in the same transaction: an admin
         * resetting a stolen phone cuts off the session that already stepped up with it. */
        int r = c->db->store->ops->reset(c->db->store, c->user, su_factors_tables(rq->factor.mask));
        if (r < 0) { /* root only: the store's reason helps and reveals nothing */
                char why[sizeof(rep->message)];
                snprintf(why, sizeof(why), "cannot reset: %s", su_store_errmsg(c->db->store));
                return su_reply_error(rep, EIO, why);
        }
        (void)c->db->store->ops->log_change(c->db->store, c->user, name, "reset by root",
                                            c->peer.uid, c->ctx->host);
        su_audit(&c->audit, SU_EV_ENROLL, LOG_NOTICE, "factors reset by root", "STEPUP_USER",
                 c->user, "STEPUP_FACTOR", name, "STEPUP_STATE", "none", NULL);
        return su_reply_ok(rep, "reset");
}

int su_h_forget(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        int r = c->db->store->ops->forget(c->db->store, c->user);
        if (r < 0)
                return su_reply_error(rep, EIO, "cannot erase the user's data");
        int local = su_local_assurance_revoke(c->db->local, c->user, NULL);
        if (local > 0 && c->db->store->local != c->db->local)
                r += local;
        char n[32], text[64];
        snprintf(n, sizeof(n), "%d", r);
        snprintf(text, sizeof(text), "%d row(s) erased", r);
        /* The audit event keeps the fact of the erasure, as data-protection law expects. */
        su_audit(&c->audit, SU_EV_ENROLL, LOG_NOTICE, "every record of the user erased",
                 "STEPUP_USER", c->user, "STEPUP_RECORDS", n, "STEPUP_STATE", "forgotten", NULL);
        return su_reply_ok(rep, text);
}

int su_h_unlock(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        if (c->db->store->ops->failures_reset(c->db->store, c->user) < 0)
                return su_reply_error(rep, EINVAL, "cannot unlock that user");
        su_audit(&c->audit, SU_EV_LOCKOUT, LOG_NOTICE, "user unlocked by root", "STEPUP_USER",
                 c->user, "STEPUP_OUTCOME", "unlocked", NULL);
        return su_reply_ok(rep, "unlocked");
}

int su_h_revoke(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        int r = su_local_assurance_revoke(c->db->local, c->user, NULL);
        if (r < 0)
                return su_reply_error(rep, -r, "cannot revoke");
        char n[32], text[64];
        snprintf(n, sizeof(n), "%d", r);
        su_audit(&c->audit, SU_EV_REVOKE, LOG_INFO, "assurance revoked", "STEPUP_USER", c->user,
                 "STEPUP_RECORDS", n, NULL);
        snprintf(text, sizeof(text), "%d assurance record(s) removed", r);
        return su_reply_ok(rep, text);
}

int su_h_reload(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        size_t size = 8000;
        char *body = calloc(1, size);
        if (!body)
                return -ENOMEM;
        int r = su_ctx_reload(c->ctx, &c->audit, body, size);
        if (r < 0)
                su_reply_error(rep, -r, "policy not reloaded; the old one stays");
        else
                su_reply_ok(rep, NULL);
        if (*body)
                rep->body = body;
        else
                free(body);
        return 0;
}

int su_h_stats(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        json_t *o = su_metrics_json(&c->ctx->metrics);
        if (!o)
                return -ENOMEM;
        unsigned pam, user;
        su_limits_counts(&c->ctx->limits, &pam, &user);
        json_t *conn = json_object();
        json_object_set_new(conn, "pam", json_integer(pam));
        json_object_set_new(conn, "user", json_integer(user));
        json_object_set_new(o, "connections", conn);
        json_object_set_new(o, "store", json_string(c->db->store->ops->name));
        json_object_set_new(o, "store_health", su_metrics_store_json(&c->ctx->store_stats, true));
        return su_reply_ok_data(rep, o);
}
