/* DECIDE: the PAM module asks whether this action, by this user, now, needs a step-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "decide.h"
#include "handlers.h"
#include "policy_request.h"
#include "remote.h"

int su_h_decide(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const struct su_rq_decide *d = &rq->decide;
        struct su_request_ctx ctx;
        const char *what = "request";
        c->phase = d->phase;
        int r = su_request_build(&ctx, d, c->ctx->groups, &what);
        if (r < 0) {
                char text[128];
                snprintf(text, sizeof(text), "invalid %s: %s", what, strerror(-r));
                su_request_done(&ctx);
                su_audit(&c->audit, SU_EV_DECISION, LOG_WARNING, text, "STEPUP_USER", d->user,
                         "STEPUP_SERVICE", d->service, "STEPUP_DECISION", "deny", "STEPUP_REASON",
                         "invalid-request", NULL);
                su_reply_deny(rep, text, NULL, 0);
                return 0;
        }
        /* Only root's sshd on the PAM socket is believed about where a connection is from. */
        if (!c->peer.remote_known) {
                if (d->rhost && strcmp(d->service, "sshd") == 0)
                        (void)su_remote_note(&c->ctx->remote, &c->peer, d->rhost);
                su_remote_detect(&c->ctx->remote, &c->peer);
        }
        ctx.req.remote = c->peer.remote.remote;
        if (!ctx.req.rhost && c->peer.remote.rhost[0])
                ctx.req.rhost = c->peer.remote.rhost;
        r = su_decide(c, &ctx.req, NULL, rep);
        su_request_done(&ctx);
        return r;
}
