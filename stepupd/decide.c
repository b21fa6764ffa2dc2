#include "decide.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "challenge.h"
#include "clocks.h"
#include "lockout.h"

void su_rule_name(const struct su_decision *d, char *out, size_t size)
{
        if (d->matched)
                snprintf(out, size, "%s:%u", d->file, d->line);
        else
                snprintf(out, size, "(no rule matched)");
}

static const char *phase_name(uint32_t phase)
{
        return phase == SU_PHASE_AUTH      ? "auth"
               : phase == SU_PHASE_ACCOUNT ? "account"
               : phase == SU_PHASE_CLI     ? "cli"
                                           : NULL;
}

/* When a step-up is needed but cannot be carried out (its backend is unreachable), the
 * rule's failmode decides: secure (the default) refuses, safe allows and says so loudly. */
static int unavailable(struct su_call *c, const struct su_request *q, const struct su_decision *d,
                       const char *rule, int err, struct su_reply *rep)
{
        char why[160];
        snprintf(why, sizeof(why), "step-up service unavailable: %s",
                 su_challenge_unavailable_text(err));
        /* A store that answers with a factor it cannot open (a secret sealed for another user,
         * or with another key) is no outage: refused whatever the failmode. */
        if (err == -EBADMSG) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_ERR,
                         "stored factor does not verify: refused", "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule, "STEPUP_DECISION",
                         "deny", "STEPUP_REASON", "bad-factor", NULL);
                su_reply_deny(rep, "step-up refused: the stored factor cannot be read", rule, 0);
                return 0;
        }
        if (d->failmode == SU_FAILMODE_SAFE && su_challenge_failmode_applies(err)) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_CRIT,
                         "step-up unavailable: allowed by the rule's failmode safe", "STEPUP_USER",
                         q->user, "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule,
                         "STEPUP_DECISION", "allow", "STEPUP_REASON", why, NULL);
                su_reply_allow(rep, rule);
                snprintf(rep->message, sizeof(rep->message), "%s (allowed: failmode safe)", why);
                return 0;
        }
        su_audit(&c->audit, SU_EV_DECISION, LOG_ERR, why, "STEPUP_USER", q->user, "STEPUP_SERVICE",
                 q->service, "STEPUP_RULE", rule, "STEPUP_DECISION", "deny", "STEPUP_REASON",
                 "unavailable", NULL);
        su_reply_deny(rep, why, rule, 0);
        return 0;
}

int su_decide(struct su_call *c, const struct su_request *q, const char *ssh_command,
              struct su_reply *rep)
{
        const char *remote = q->remote ? "yes" : NULL;
        const char *phase = phase_name(c->audit.type == SU_REQ_DECIDE ? c->phase : 0);
        struct su_decision d;
        char rule[300];
        int r;
        if (su_policy_eval(c->rules->policy, q, &d, NULL) < 0) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_ERR, "policy evaluation failed",
                         "STEPUP_USER", q->user, "STEPUP_SERVICE", q->service, "STEPUP_DECISION",
                         "deny", "STEPUP_REASON", "policy-error", NULL);
                su_reply_deny(rep, "policy evaluation failed", NULL, 0);
                return 0;
        }
        su_rule_name(&d, rule, sizeof(rule));

        if (d.action == SU_ACTION_ALLOW) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_INFO, "allowed by policy", "STEPUP_USER",
                         q->user, "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command,
                         "STEPUP_RULE", rule, "STEPUP_DECISION", "allow", "STEPUP_REMOTE", remote,
                         "STEPUP_RHOST", q->rhost, "STEPUP_SSH_COMMAND", ssh_command,
                         "STEPUP_PHASE", phase, NULL);
                su_reply_allow(rep, rule);
                return 0;
        }
        if (d.action != SU_ACTION_REQUIRE) {
                const char *reason = d.reason    ? d.reason
                                     : d.matched ? "denied by policy"
                                                 : "no policy rule matched (denied)";
                su_audit(&c->audit, SU_EV_DECISION, LOG_NOTICE, reason, "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command, "STEPUP_RULE",
                         rule, "STEPUP_DECISION", "deny", "STEPUP_REMOTE", remote, "STEPUP_RHOST",
                         q->rhost, "STEPUP_SSH_COMMAND", ssh_command, "STEPUP_PHASE", phase, NULL);
                su_reply_deny(rep, reason, rule, 0);
                return 0;
        }

        /* REQUIRE: fresh enough assurance for this scope (this host's database), or a
         * challenge. */
        char key[128];
        r = su_scope_key((enum su_scope_kind)d.scope, &c->peer, key, sizeof(key));
        if (r < 0) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_WARNING, "caller's session unknown",
                         "STEPUP_USER", q->user, "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule,
                         "STEPUP_DECISION", "deny", NULL);
                su_reply_deny(rep, "cannot identify the caller's session", rule, 0);
                return 0;
        }
        int64_t now = su_now_wall(), boot = su_now_boot();
        struct su_assurance a;
        if (d.within_s > 0 && su_local_assurance_get(c->db->local, q->user, key, &a) == 0) {
                int64_t age = su_assurance_age(&a, c->ctx->boot_id, now, boot);
                int64_t idle = su_assurance_idle(&a, c->ctx->boot_id, now, boot);
                bool fresh = age >= 0 && (uint64_t)age <= d.within_s &&
                             (d.idle_s == 0 || (idle >= 0 && (uint64_t)idle <= d.idle_s)) &&
                             su_factor_sets_satisfied(d.factor_sets, d.nfactor_sets, a.factors);
                if (fresh) {
                        su_local_assurance_touch(c->db->local, q->user, key, &a, now, boot);
                        char agebuf[32];
                        snprintf(agebuf, sizeof(agebuf), "%lld", (long long)age);
                        su_audit(&c->audit, SU_EV_DECISION, LOG_INFO, "allowed: fresh step-up",
                                 "STEPUP_USER", q->user, "STEPUP_SERVICE", q->service,
                                 "STEPUP_COMMAND", q->command, "STEPUP_RULE", rule,
                                 "STEPUP_DECISION", "allow", "STEPUP_ASSURANCE_AGE", agebuf,
                                 "STEPUP_REMOTE", remote, "STEPUP_RHOST", q->rhost,
                                 "STEPUP_SSH_COMMAND", ssh_command, "STEPUP_PHASE", phase, NULL);
                        su_reply_allow(rep, rule);
                        return 0;
                }
        }
        /* From here the shared store is needed: a network one only on the pool. */
        if (su_call_must_defer(c))
                return -EWOULDBLOCK;
        r = su_lockout_check(c, q->user, rule, rep);
        if (r > 0)
                return 0;
        if (r < 0)
                return unavailable(c, q, &d, rule, r, rep);
        struct su_challenge_spec spec = {.user = q->user,
                                         .service = q->service,
                                         .rule = rule,
                                         .scope_key = key,
                                         .sets = d.factor_sets,
                                         .nsets = d.nfactor_sets,
                                         .message = d.message,
                                         .failmode = d.failmode};
        r = su_challenge_begin(c, &spec, rep);
        if (r == 0 || r == -EWOULDBLOCK)
                return r;
        if (r == -ENOKEY || r == -EBUSY) {
                const char *why =
                    r == -ENOKEY ? "step-up needed but no enrolled factor satisfies this rule: "
                                   "enrol with 'stepupctl enroll totp'"
                                 : "too many step-ups open for this user: finish or cancel one";
                su_audit(&c->audit, SU_EV_DECISION, LOG_NOTICE, why, "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule, "STEPUP_DECISION",
                         "deny", "STEPUP_REASON", r == -ENOKEY ? "not-enrolled" : "busy", NULL);
                su_reply_deny(rep, why, rule, 0);
                return 0;
        }
        return unavailable(c, q, &d, rule, r, rep);
}
