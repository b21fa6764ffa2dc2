/* STATUS, REVOKE, ENROLL_BEGIN/CONFIRM: about the caller itself (root: anyone). */
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

void su_handle_status(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        int r = su_caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                su_reply_error(c, -r,
                               r == -EPERM ? "you may only ask about yourself"
                                           : "unknown or invalid user");
                return;
        }
        char body[4096] = "";
        struct su_totp_row t;
        r = su_store_totp_get(m->store, user, &t);
        su_body_add(body, sizeof(body), "user=%s\n", user);
        if (r == 0) {
                su_body_add(body, sizeof(body),
                            "totp=%s\ntotp_algorithm=%s\ntotp_digits=%u\n"
                            "totp_period=%u\n",
                            t.active ? "active" : "pending", su_totp_algo_name(t.params.algo),
                            t.params.digits, t.params.period);
        } else {
                su_body_add(body, sizeof(body), "totp=none\n");
        }
        if (su_store_totp_pending_get(m->store, user, &t) == 0)
                su_body_add(body, sizeof(body), "totp_pending=yes\n");
        explicit_bzero(&t, sizeof(t));
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        int nq = su_store_questions_get(m->store, user, rows, SU_QUESTIONS_PER_USER_MAX);
        explicit_bzero(rows, sizeof(rows));
        su_body_add(body, sizeof(body), "questions=%d\n", nq < 0 ? 0 : nq);
        int nr = su_store_recovery_unused(m->store, user);
        su_body_add(body, sizeof(body), "recovery_codes_unused=%d\n", nr < 0 ? 0 : nr);
        struct su_failures f;
        if (su_store_failures_get(m->store, user, &f) == 0)
                su_body_add(body, sizeof(body), "consecutive_failures=%lld\n",
                            (long long)f.consecutive);
        const char *why = NULL;
        int64_t w = su_wait_needed(m, user, &why);
        su_body_add(body, sizeof(body), "locked_seconds=%lld\n",
                    (long long)(w > 0 && why && strcmp(why, "locked") == 0 ? w : 0));
        int n = su_store_assurance_count(m->store, user);
        su_body_add(body, sizeof(body), "assurance_records=%d\n", n < 0 ? 0 : n);

        /* The caller's own current scope, when it asks from a session. */
        struct su_peer_proc proc;
        char key[128];
        struct su_assurance a;
        if (su_peer_proc_read("/proc", c->pid, &proc) == 0 &&
            su_scope_key(SU_SCOPE_KEY_TTY, &proc, key, sizeof(key)) == 0 &&
            su_store_assurance_get(m->store, user, key, &a) == 0) {
                int64_t age = su_assurance_age(&a, m->boot_id, su_now_wall(), su_now_boot());
                su_body_add(body, sizeof(body), "this_tty_assurance_age=%lld\n", (long long)age);
        }
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_BODY, body);
        su_conn_reply(c, &rep);
}

void su_handle_revoke(struct su_conn *c, const struct su_msg *req)
{
        char user[257];
        int r = su_caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                su_reply_error(c, -r, "you may only revoke your own assurance");
                return;
        }
        r = su_store_assurance_revoke(c->m->store, user, NULL);
        if (r < 0) {
                su_reply_error(c, -r, "cannot revoke");
                return;
        }
        char n[32];
        snprintf(n, sizeof(n), "%d", r);
        su_audit(SU_EV_REVOKE, LOG_INFO, "assurance revoked", "STEPUP_USER", user, "STEPUP_RECORDS",
                 n, NULL);
        char text[64];
        snprintf(text, sizeof(text), "%d assurance record(s) removed", r);
        su_reply_simple(c, SU_REP_OK, text);
}

int su_put_enrolment(struct su_conn *c, const char *user, const uint8_t *key, size_t len,
                     const struct su_totp_params *p, bool active)
{
        struct su_totp_row t = {
            .params = *p, .last_step = -1, .active = active, .created_at = su_now_wall()};
        memcpy(t.secret, key, len);
        t.secret_len = len;
        int r = su_store_totp_put(c->m->store, user, &t);
        explicit_bzero(&t, sizeof(t));
        return r;
}

int su_params_from(const struct su_msg *req, struct su_totp_params *p)
{
        uint32_t v;
        su_totp_params_default(p);
        if (su_msg_u32(req, SU_T_DIGITS, &v))
                p->digits = v;
        if (su_msg_u32(req, SU_T_PERIOD, &v))
                p->period = v;
        if (su_msg_u32(req, SU_T_WINDOW, &v))
                p->window = v;
        const char *algo = su_msg_str(req, SU_T_ALGO);
        if (algo) {
                int a = su_totp_algo_from_name(algo);
                if (a < 0)
                        return a;
                p->algo = (enum su_totp_algo)a;
        }
        return su_totp_params_check(p);
}

void su_handle_enroll_begin(struct su_conn *c, const struct su_msg *req)
{
        char user[257];
        int r = su_caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                su_reply_error(c, -r, "you may only enrol yourself");
                return;
        }
        struct su_totp_params p;
        if (su_params_from(req, &p) < 0) {
                su_reply_error(c, EINVAL, "unsupported TOTP parameters");
                return;
        }
        /* Replacing a factor needs a fresh proof with an existing one (or root). */
        if (!su_gate_fresh_proof(c, user))
                return;
        struct su_totp_row t = {.params = p, .last_step = -1, .created_at = su_now_wall(),
                                .secret_len = SU_TOTP_SECRET_MIN};
        char b32[128];
        if (su_totp_new_secret(t.secret, t.secret_len) < 0 ||
            su_base32_encode(t.secret, t.secret_len, b32, sizeof(b32)) < 0 ||
            su_store_totp_pending_put(c->m->store, user, &t) < 0) {
                explicit_bzero(&t, sizeof(t));
                su_reply_error(c, EIO, "cannot store the new secret");
                return;
        }
        explicit_bzero(&t, sizeof(t));
        su_audit(SU_EV_ENROLL, LOG_INFO, "TOTP enrolment started", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "totp", "STEPUP_STATE", "pending", NULL);
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_SECRET, b32);
        su_msg_put_str(&rep, SU_T_USER, user);
        su_msg_put_u32(&rep, SU_T_DIGITS, p.digits);
        su_msg_put_u32(&rep, SU_T_PERIOD, p.period);
        su_msg_put_str(&rep, SU_T_ALGO, su_totp_algo_name(p.algo));
        su_conn_reply(c, &rep);
        explicit_bzero(b32, sizeof(b32));
        su_msg_wipe(&rep);
}

void su_handle_enroll_confirm(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        int r = su_caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                su_reply_error(c, -r, "you may only enrol yourself");
                return;
        }
        const char *code = su_msg_str(req, SU_T_ANSWER);
        struct su_totp_row t;
        if (!code || su_store_totp_pending_get(m->store, user, &t) < 0) {
                su_reply_error(c, ENOENT, "no pending TOTP enrolment: run 'stepupctl enroll totp'");
                return;
        }
        const char *why = NULL;
        if (su_wait_needed(m, user, &why) != 0) {
                explicit_bzero(&t, sizeof(t));
                su_reply_error(c, EBUSY, "too many attempts: wait and try again");
                return;
        }
        struct su_failures f;
        int64_t now = su_now_wall(), step;
        su_store_note_attempt(m->store, user, now, m->cfg.rate_window, &f);
        r = su_totp_verify(t.secret, t.secret_len, &t.params, now, code, -1, &step);
        explicit_bzero(&t, sizeof(t));
        if (r == 0)
                r = su_store_totp_activate(m->store, user, step);
        if (r < 0) {
                char text[300];
                su_count_failure(c, user, "(enrolment)", "totp", "wrong confirmation code", text,
                                 sizeof(text));
                su_reply_error(c, EACCES, text);
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "TOTP factor active", "STEPUP_USER", user, "STEPUP_FACTOR",
                 "totp", "STEPUP_STATE", "active", NULL);
        su_reply_simple(c, SU_REP_OK, "TOTP factor active");
}
