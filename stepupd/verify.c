/* VERIFY: the answer to this connection's challenge; durable commit before ALLOW. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "audit.h"
#include "handlers.h"
#include "manager.h"
#include "names.h"
#include "request.h"
#include "scope.h"
#include "secret.h"
#include "totp.h"

void su_handle_verify(struct su_conn *c, struct su_msg *req)
{
        struct su_manager *m = c->m;
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "verifications are only for root on the PAM socket");
                return;
        }
        const char *id = su_msg_str(req, SU_T_CHALLENGE);
        const char *answer = su_msg_str(req, SU_T_ANSWER);
        struct su_challenge *ch = c->pending;
        /* The challenge is spent by this answer whatever happens next. */
        c->pending = NULL;
        if (!ch || !id || !answer || !su_ct_equal(id, strlen(id), ch->id, strlen(ch->id))) {
                su_reply_deny(c, "no such challenge on this connection", NULL, 0);
                goto out;
        }
        if (su_now_boot() > ch->expires_boot) {
                su_audit(SU_EV_ABANDON, LOG_NOTICE, "answer after the challenge expired",
                         "STEPUP_USER", ch->user, "STEPUP_OUTCOME", "abandoned", NULL);
                su_reply_deny(c, "the challenge expired", ch->rule, 0);
                goto out;
        }
        if (su_deny_if_locked(c, ch->user, ch->rule))
                goto out;
        struct su_failures f;
        int64_t now = su_now_wall(), boot = su_now_boot();
        if (su_store_note_attempt(m->store, ch->user, now, m->cfg.rate_window, &f) < 0) {
                su_reply_deny(c, "step-up unavailable: cannot record the attempt", ch->rule, 0);
                goto out;
        }
        struct su_totp_row t;
        if (su_store_totp_get(m->store, ch->user, &t) < 0 || !t.active) {
                su_reply_deny(c, "no TOTP factor enrolled", ch->rule, 0);
                goto out;
        }
        int64_t step;
        int r = su_totp_verify(t.secret, t.secret_len, &t.params, now, answer, t.last_step, &step);
        explicit_bzero(&t, sizeof(t));
        char text[300];
        if (r == 0) {
                struct su_assurance a = {.factors = ch->factors,
                                         .verified_at = now,
                                         .verified_boot = boot,
                                         .last_seen_at = now,
                                         .last_seen_boot = boot};
                memcpy(a.boot_id, m->boot_id, sizeof(a.boot_id));
                /* Durable before the answer goes out: a crash after this keeps the step used. */
                r = su_store_commit_totp(m->store, ch->user, step, ch->scope_key, &a);
        }
        if (r == 0) {
                su_audit(SU_EV_VERIFY_OK, LOG_INFO, "step-up verified", "STEPUP_USER", ch->user,
                         "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_FACTOR",
                         "totp", "STEPUP_OUTCOME", "success", "STEPUP_DECISION", "allow", NULL);
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_ALLOW);
                su_msg_put_str(&rep, SU_T_RULE, ch->rule);
                su_conn_reply(c, &rep);
                goto out;
        }
        if (r == -EALREADY)
                su_count_failure(c, ch->user, ch->rule, "totp", "verification code already used",
                                 text, sizeof(text));
        else if (r == -EACCES || r == -EINVAL)
                su_count_failure(c, ch->user, ch->rule, "totp", "wrong verification code", text,
                                 sizeof(text));
        else
                snprintf(text, sizeof(text), "step-up unavailable: %s", strerror(-r));
        su_reply_deny(c, text, ch->rule, 0);
out:
        if (ch) {
                explicit_bzero(ch, sizeof(*ch));
                free(ch);
        }
}
