#include "lockout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "clocks.h"

static void deny_wait(struct su_call *c, const char *user, const char *rule, int64_t w,
                      enum su_wait_reason why, struct su_reply *rep)
{
        char text[320];
        if (why == SU_WAIT_LOCKED)
                snprintf(text, sizeof(text),
                         "too many failed verification codes: locked for %lld more seconds "
                         "(an admin can run 'stepupctl unlock --user %s')",
                         (long long)w, user);
        else
                snprintf(text, sizeof(text),
                         "too many attempts: wait %lld seconds before trying again", (long long)w);
        su_audit(&c->audit, SU_EV_LOCKOUT, LOG_WARNING, text, "STEPUP_USER", user, "STEPUP_RULE",
                 rule, "STEPUP_DECISION", "deny", "STEPUP_OUTCOME", "locked", NULL);
        su_reply_deny(rep, text, rule, w > 0 ? (uint32_t)w : 0);
}

int su_lockout_check(struct su_call *c, const char *user, const char *rule, struct su_reply *rep)
{
        struct su_failures f;
        struct su_store_limits l = su_ctx_store_limits(c->ctx);
        int r = c->db->store->ops->failures_get(c->db->store, user, &f);
        if (r < 0)
                return r;
        enum su_wait_reason why;
        int64_t w = su_failures_wait(&f, &l, su_now_wall(), &why);
        if (w <= 0)
                return 0;
        deny_wait(c, user, rule, w, why, rep);
        return 1;
}

int su_lockout_admit(struct su_call *c, const char *user, const char *rule, struct su_reply *rep)
{
        struct su_failures f;
        struct su_store_limits l = su_ctx_store_limits(c->ctx);
        int64_t now = su_now_wall();
        int r = c->db->store->ops->attempt(c->db->store, user, now, &l, &f);
        if (r == -EAGAIN) {
                enum su_wait_reason why;
                int64_t w = su_failures_wait(&f, &l, now, &why);
                deny_wait(c, user, rule, w, why, rep);
                return 1;
        }
        return r;
}

void su_lockout_failure(struct su_call *c, const char *user, const char *rule, const char *factor,
                        const char *reason, char *text, size_t size)
{
        const struct su_config *cfg = &c->ctx->cfg;
        struct su_failures f;
        int r = c->db->store->ops->note_failure(c->db->store, user, su_now_wall(), &f);
        su_audit(&c->audit, SU_EV_VERIFY_FAIL, LOG_NOTICE, reason, "STEPUP_USER", user,
                 "STEPUP_RULE", rule, "STEPUP_FACTOR", factor, "STEPUP_OUTCOME", "failure",
                 "STEPUP_REASON", reason, NULL);
        if (r < 0) {
                snprintf(text, size, "%s", reason);
                return;
        }
        if (f.consecutive >= cfg->lockout_failures) {
                if (f.consecutive == cfg->lockout_failures)
                        su_audit(&c->audit, SU_EV_LOCKOUT, LOG_WARNING, "user locked out",
                                 "STEPUP_USER", user, "STEPUP_OUTCOME", "locked", NULL);
                snprintf(text, size, "%s; too many failures: locked for %u seconds", reason,
                         cfg->lockout_duration);
        } else {
                snprintf(text, size, "%s (%lld of %u failures before lockout)", reason,
                         (long long)f.consecutive, cfg->lockout_failures);
        }
}

int64_t su_lockout_seconds(struct su_call *c, const struct su_failures *f)
{
        struct su_store_limits l = su_ctx_store_limits(c->ctx);
        enum su_wait_reason why;
        int64_t w = su_failures_wait(f, &l, su_now_wall(), &why);
        return why == SU_WAIT_LOCKED ? w : 0;
}
