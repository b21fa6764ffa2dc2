/* DECIDE: policy, assurance lookup, challenge. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "audit.h"
#include "challenge.h"
#include "gate.h"
#include "handlers.h"
#include "manager.h"
#include "names.h"
#include "remote.h"
#include "request.h"
#include "scope.h"
#include "secret.h"
#include "totp.h"


void su_handle_decide(struct su_conn *c, const struct su_msg *req)
{
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "decisions are only for root on the PAM socket");
                return;
        }
        struct su_request_ctx ctx;
        const char *what = "request";
        int r = su_request_build(&ctx, req, &what);
        if (r < 0) {
                char text[128];
                snprintf(text, sizeof(text), "invalid %s: %s", what, strerror(-r));
                su_request_done(&ctx);
                su_audit(SU_EV_DECISION, LOG_WARNING, text, "STEPUP_USER",
                         su_msg_str(req, SU_T_USER), "STEPUP_SERVICE",
                         su_msg_str(req, SU_T_SERVICE), "STEPUP_DECISION", "deny", "STEPUP_REASON",
                         "invalid-request", NULL);
                su_reply_deny(c, text, NULL, 0);
                return;
        }
        /* Whether the caller's session is remote, and from where (remote.c, docs/ssh.md). */
        struct su_remote_info remote;
        su_remote_apply(c, &ctx.req, &remote);
        su_decide_reply(c, &ctx.req, NULL);
        su_request_done(&ctx);
}

/* Policy, assurance, lockout, challenge for a built request: DECIDE and GATE (gate.c).
 * The decision events also say whether the session is remote (and from where) and, for
 * GATE, the ssh command as the user typed it. */
void su_decide_reply(struct su_conn *c, const struct su_request *q, const char *ssh_command)
{
        const char *remote = q->remote ? "yes" : NULL;
        struct su_manager *m = c->m;
        struct su_decision d;
        char rule[300];
        int r;
        if (su_policy_eval(m->policy, q, &d, NULL) < 0) {
                su_audit(SU_EV_DECISION, LOG_ERR, "policy evaluation failed", "STEPUP_USER",
                         q->user, "STEPUP_SERVICE", q->service, "STEPUP_DECISION", "deny",
                         "STEPUP_REASON", "policy-error", NULL);
                su_reply_deny(c, "policy evaluation failed", NULL, 0);
                return;
        }
        su_rule_name(&d, rule, sizeof(rule));

        if (d.action == SU_ACTION_ALLOW) {
                su_audit(SU_EV_DECISION, LOG_INFO, "allowed by policy", "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command, "STEPUP_RULE",
                         rule, "STEPUP_DECISION", "allow", "STEPUP_REMOTE", remote,
                         "STEPUP_RHOST", q->rhost, "STEPUP_SSH_COMMAND", ssh_command, NULL);
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_ALLOW);
                su_msg_put_str(&rep, SU_T_RULE, rule);
                su_conn_reply(c, &rep);
                goto out;
        }
        if (d.action != SU_ACTION_REQUIRE) {
                const char *reason = d.reason    ? d.reason
                                     : d.matched ? "denied by policy"
                                                 : "no policy rule matched (denied)";
                su_audit(SU_EV_DECISION, LOG_NOTICE, reason, "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command, "STEPUP_RULE",
                         rule, "STEPUP_DECISION", "deny", "STEPUP_REMOTE", remote,
                         "STEPUP_RHOST", q->rhost, "STEPUP_SSH_COMMAND", ssh_command, NULL);
                su_reply_deny(c, reason, rule, 0);
                goto out;
        }

        /* REQUIRE: fresh enough assurance for this scope, or a challenge. */
        struct su_peer_proc proc;
        char key[128];
        r = su_peer_proc_read("/proc", c->pid, &proc);
        if (r >= 0)
                r = su_scope_key((enum su_scope_kind)d.scope, &proc, key, sizeof(key));
        if (r < 0) {
                su_audit(SU_EV_DECISION, LOG_WARNING, "caller's session unknown", "STEPUP_USER",
                         q->user, "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule,
                         "STEPUP_DECISION", "deny", NULL);
                su_reply_deny(c, "cannot identify the caller's session", rule, 0);
                goto out;
        }
        int64_t now = su_now_wall(), boot = su_now_boot();
        struct su_assurance a;
        if (d.within_s > 0 && su_store_assurance_get(m->store, q->user, key, &a) == 0) {
                int64_t age = su_assurance_age(&a, m->boot_id, now, boot);
                int64_t idle = su_assurance_idle(&a, m->boot_id, now, boot);
                bool fresh = age >= 0 && (uint64_t)age <= d.within_s &&
                             (d.idle_s == 0 || (idle >= 0 && (uint64_t)idle <= d.idle_s)) &&
                             su_factor_sets_satisfied(d.factor_sets, d.nfactor_sets, a.factors);
                if (fresh) {
                        su_store_assurance_touch(m->store, q->user, key, now, boot);
                        char agebuf[32];
                        snprintf(agebuf, sizeof(agebuf), "%lld", (long long)age);
                        su_audit(SU_EV_DECISION, LOG_INFO, "allowed: fresh step-up", "STEPUP_USER",
                                 q->user, "STEPUP_SERVICE", q->service, "STEPUP_COMMAND",
                                 q->command, "STEPUP_RULE", rule, "STEPUP_DECISION", "allow",
                                 "STEPUP_ASSURANCE_AGE", agebuf, "STEPUP_REMOTE", remote,
                                 "STEPUP_RHOST", q->rhost, "STEPUP_SSH_COMMAND", ssh_command,
                                 NULL);
                        struct su_msg rep;
                        su_msg_init(&rep, SU_REP_ALLOW);
                        su_msg_put_str(&rep, SU_T_RULE, rule);
                        su_conn_reply(c, &rep);
                        goto out;
                }
        }
        if (su_deny_if_locked(c, q->user, rule))
                goto out;
        struct su_challenge_spec spec = {.user = q->user,
                                         .service = q->service,
                                         .rule = rule,
                                         .scope_key = key,
                                         .sets = d.factor_sets,
                                         .nsets = d.nfactor_sets,
                                         .message = d.message,
                                         .command = q->command};
        r = su_challenge_begin(c, &spec);
        if (r < 0) {
                const char *why = r == -ENOKEY ? "step-up needed but no enrolled factor satisfies "
                                                 "this rule: enrol with 'stepupctl enroll totp'"
                                               : "out of memory";
                su_audit(SU_EV_DECISION, LOG_NOTICE, why, "STEPUP_USER", q->user, "STEPUP_SERVICE",
                         q->service, "STEPUP_RULE", rule, "STEPUP_DECISION", "deny",
                         "STEPUP_REASON", "not-enrolled", NULL);
                su_reply_deny(c, why, rule, 0);
        }
out:
        return;
}

/* Counts a failed code; returns the message for the user. */
