/* TOTP enrolment: ENROLL_BEGIN (a new secret, pending until confirmed), ENROLL_CONFIRM (the
 * first code activates it) and root's ENROLL_SET (an imported or admin-made secret). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "base32.h"
#include "clocks.h"
#include "fresh_proof.h"
#include "handlers.h"
#include "lockout.h"

static void log_change(struct su_call *c, const char *change)
{
        (void)c->db->store->ops->log_change(c->db->store, c->user, "totp", change, c->peer.uid,
                                            c->ctx->host);
}

int su_h_enroll_begin(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const struct su_totp_params *p = &rq->enroll.params;
        /* Replacing a factor needs a fresh proof with an existing one (or root). */
        int r = su_fresh_proof(c, rep);
        if (r <= 0)
                return r;
        struct su_totp_row t = {.params = *p,
                                .last_step = -1,
                                .created_at = su_now_wall(),
                                .secret_len = SU_TOTP_SECRET_MIN};
        char b32[128];
        r = su_totp_new_secret(t.secret, t.secret_len);
        if (r == 0)
                r = su_base32_encode(t.secret, t.secret_len, b32, sizeof(b32));
        if (r == 0)
                r = c->db->store->ops->totp_pending_put(c->db->store, c->user, &t);
        explicit_bzero(&t, sizeof(t));
        if (r < 0) {
                explicit_bzero(b32, sizeof(b32));
                return su_reply_error(rep, EIO, "cannot store the new secret");
        }
        log_change(c, "pending");
        su_audit(&c->audit, SU_EV_ENROLL, LOG_INFO, "TOTP enrolment started", "STEPUP_USER",
                 c->user, "STEPUP_FACTOR", "totp", "STEPUP_STATE", "pending", NULL);
        rep->type = SU_REP_OK;
        rep->has_totp = true;
        snprintf(rep->secret, sizeof(rep->secret), "%s", b32);
        snprintf(rep->user, sizeof(rep->user), "%s", c->user);
        rep->digits = p->digits;
        rep->period = p->period;
        snprintf(rep->algo, sizeof(rep->algo), "%s", su_totp_algo_name(p->algo));
        explicit_bzero(b32, sizeof(b32));
        return 0;
}

int su_h_enroll_confirm(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        struct su_store *s = c->db->store;
        struct su_totp_row t;
        if (s->ops->totp_pending_get(s, c->user, &t) < 0)
                return su_reply_error(rep, ENOENT,
                                      "no pending TOTP enrolment: run 'stepupctl enroll totp'");
        struct su_reply deny = {0};
        int r = su_lockout_admit(c, c->user, "(enrolment)", &deny);
        su_reply_clear(&deny);
        if (r != 0) {
                explicit_bzero(&t, sizeof(t));
                return r < 0 ? r
                             : su_reply_error(rep, EBUSY, "too many attempts: wait and try again");
        }
        int64_t step;
        r = su_totp_verify(t.secret, t.secret_len, &t.params, su_now_wall(), rq->enroll.answer, -1,
                           &step);
        explicit_bzero(&t, sizeof(t));
        if (r == 0)
                r = s->ops->totp_activate(s, c->user, step);
        if (r < 0) {
                char text[400];
                su_lockout_failure(c, c->user, "(enrolment)", "totp", "wrong confirmation code",
                                   text, sizeof(text));
                return su_reply_error(rep, EACCES, text);
        }
        log_change(c, "active");
        su_audit(&c->audit, SU_EV_ENROLL, LOG_INFO, "TOTP factor active", "STEPUP_USER", c->user,
                 "STEPUP_FACTOR", "totp", "STEPUP_STATE", "active", NULL);
        return su_reply_ok(rep, "TOTP factor active");
}

int su_h_enroll_set(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        uint8_t key[SU_TOTP_SECRET_MAX];
        size_t len;
        int r = su_base32_decode(rq->enroll.secret, key, sizeof(key), &len);
        if (r < 0 || len < 10) {
                explicit_bzero(key, sizeof(key));
                return su_reply_error(rep, EINVAL, "the secret must be base32 of at least 80 bits");
        }
        struct su_totp_row t = {.params = rq->enroll.params,
                                .last_step = -1,
                                .active = true,
                                .created_at = su_now_wall()};
        memcpy(t.secret, key, len);
        t.secret_len = len;
        explicit_bzero(key, sizeof(key));
        r = c->db->store->ops->totp_put(c->db->store, c->user, &t);
        explicit_bzero(&t, sizeof(t));
        if (r < 0)
                return su_reply_error(rep, -r, "cannot store the secret");
        log_change(c, "set by root");
        su_audit(&c->audit, SU_EV_ENROLL, LOG_INFO, "TOTP factor set by root", "STEPUP_USER",
                 c->user, "STEPUP_FACTOR", "totp", "STEPUP_STATE", "active", NULL);
        return su_reply_ok(rep, "TOTP factor active");
}
