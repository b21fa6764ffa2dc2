/* One handler per request type.  Every path ends in exactly one reply. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "audit.h"
#include "manager.h"
#include "names.h"
#include "request.h"
#include "scope.h"
#include "secret.h"
#include "totp.h"

#define PROMPT_TOTP "Verification code: "

static void reply_simple(struct su_conn *c, uint8_t type, const char *text)
{
        struct su_msg rep;
        su_msg_init(&rep, type);
        if (text)
                su_msg_put_str(&rep, SU_T_MESSAGE, text);
        su_conn_reply(c, &rep);
}

static void reply_error(struct su_conn *c, int err, const char *text)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_ERROR);
        su_msg_put_u32(&rep, SU_T_ERRNO, (uint32_t)err);
        su_msg_put_str(&rep, SU_T_MESSAGE, text);
        su_conn_reply(c, &rep);
}

static void reply_deny(struct su_conn *c, const char *reason, const char *rule, uint32_t wait)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_DENY);
        su_msg_put_str(&rep, SU_T_MESSAGE, reason);
        if (rule)
                su_msg_put_str(&rep, SU_T_RULE, rule);
        if (wait)
                su_msg_put_u32(&rep, SU_T_WAIT, wait);
        su_conn_reply(c, &rep);
}

static void rule_name(const struct su_decision *d, char *out, size_t size)
{
        if (d->matched)
                snprintf(out, size, "%s:%u", d->file, d->line);
        else
                snprintf(out, size, "(no rule matched)");
}

/* The user a non-root caller may talk about: itself, by the kernel's uid. */
static int caller_user(struct su_conn *c, const struct su_msg *req, char *out, size_t size)
{
        const char *asked = su_msg_str(req, SU_T_USER);
        if (c->uid == 0 && asked) {
                if (!su_valid_user(asked))
                        return -EINVAL;
                snprintf(out, size, "%s", asked);
                return 0;
        }
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        if (getpwuid_r(c->uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        if (asked && strcmp(asked, pw.pw_name) != 0)
                return -EPERM;
        if (!su_valid_user(pw.pw_name) || strlen(pw.pw_name) >= size)
                return -EINVAL;
        snprintf(out, size, "%s", pw.pw_name);
        return 0;
}

static bool is_root_pam(const struct su_conn *c)
{
        return c->kind == SU_SOCK_PAM && c->uid == 0;
}

/* Lockout and rate limit: seconds to wait, 0 when the user may try now. */
static int64_t wait_needed(struct su_manager *m, const char *user, const char **why)
{
        struct su_failures f;
        int64_t now = su_now_wall();
        if (su_store_failures_get(m->store, user, &f) < 0) {
                *why = "cannot read the failure count";
                return -1;
        }
        if (f.consecutive >= m->cfg.lockout_failures) {
                int64_t until = f.last_failure_at + m->cfg.lockout_duration;
                /* A failure stamped in the future (clock set back) keeps the lock on. */
                if (now < until || f.last_failure_at > now) {
                        *why = "locked";
                        return f.last_failure_at > now ? m->cfg.lockout_duration : until - now;
                }
        }
        if (f.window_count >= m->cfg.rate_attempts) {
                int64_t until = f.window_start + m->cfg.rate_window;
                if (now < until || f.window_start > now) {
                        *why = "rate";
                        return f.window_start > now ? m->cfg.rate_window : until - now;
                }
        }
        return 0;
}

static bool deny_if_locked(struct su_conn *c, const char *user, const char *rule)
{
        const char *why = NULL;
        int64_t w = wait_needed(c->m, user, &why);
        if (w == 0)
                return false;
        char text[256];
        if (w < 0)
                snprintf(text, sizeof(text), "step-up unavailable: %s", why);
        else if (strcmp(why, "locked") == 0)
                snprintf(text, sizeof(text),
                         "too many failed verification codes: locked for %lld more seconds "
                         "(an admin can run 'stepupctl unlock --user %s')",
                         (long long)w, user);
        else
                snprintf(text, sizeof(text),
                         "too many attempts: wait %lld seconds before trying again",
                         (long long)w);
        su_audit(SU_EV_LOCKOUT, LOG_WARNING, text, "STEPUP_USER", user, "STEPUP_RULE", rule,
                 "STEPUP_DECISION", "deny", "STEPUP_OUTCOME", "locked", NULL);
        reply_deny(c, text, rule, w > 0 ? (uint32_t)w : 0);
        return true;
}

static bool factors_satisfy(const struct su_decision *d, uint32_t have)
{
        for (size_t i = 0; i < d->nfactor_sets; i++)
                if ((d->factor_sets[i] & have) == d->factor_sets[i])
                        return true;
        return false;
}

static void new_challenge_id(char out[33])
{
        uint8_t raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                abort(); /* no randomness: refuse to continue rather than issue guessable ids */
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static void handle_decide(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        if (!is_root_pam(c)) {
                reply_error(c, EPERM, "decisions are only for root on the PAM socket");
                return;
        }
        struct su_request_ctx ctx;
        const char *what = "request";
        int r = su_request_build(&ctx, req, &what);
        if (r < 0) {
                char text[128];
                snprintf(text, sizeof(text), "invalid %s: %s", what, strerror(-r));
                su_request_done(&ctx);
                reply_deny(c, text, NULL, 0);
                return;
        }
        const struct su_request *q = &ctx.req;
        struct su_decision d;
        char rule[300];
        if (su_policy_eval(m->policy, q, &d, NULL) < 0) {
                su_request_done(&ctx);
                reply_deny(c, "policy evaluation failed", NULL, 0);
                return;
        }
        rule_name(&d, rule, sizeof(rule));

        if (d.action == SU_ACTION_ALLOW) {
                su_audit(SU_EV_DECISION, LOG_INFO, "allowed by policy", "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command,
                         "STEPUP_RULE", rule, "STEPUP_DECISION", "allow", NULL);
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_ALLOW);
                su_msg_put_str(&rep, SU_T_RULE, rule);
                su_conn_reply(c, &rep);
                goto out;
        }
        if (d.action != SU_ACTION_REQUIRE) {
                const char *reason = d.reason ? d.reason
                                     : d.matched ? "denied by policy"
                                                 : "no policy rule matched (denied)";
                su_audit(SU_EV_DECISION, LOG_NOTICE, reason, "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command,
                         "STEPUP_RULE", rule, "STEPUP_DECISION", "deny", NULL);
                reply_deny(c, reason, rule, 0);
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
                reply_deny(c, "cannot identify the caller's session", rule, 0);
                goto out;
        }
        int64_t now = su_now_wall(), boot = su_now_boot();
        struct su_assurance a;
        if (d.within_s > 0 && su_store_assurance_get(m->store, q->user, key, &a) == 0) {
                int64_t age = su_assurance_age(&a, m->boot_id, now, boot);
                int64_t idle = su_assurance_idle(&a, m->boot_id, now, boot);
                bool fresh = age >= 0 && (uint64_t)age <= d.within_s &&
                             (d.idle_s == 0 || (idle >= 0 && (uint64_t)idle <= d.idle_s)) &&
                             factors_satisfy(&d, a.factors);
                if (fresh) {
                        su_store_assurance_touch(m->store, q->user, key, now, boot);
                        char agebuf[32];
                        snprintf(agebuf, sizeof(agebuf), "%lld", (long long)age);
                        su_audit(SU_EV_DECISION, LOG_INFO, "allowed: fresh step-up",
                                 "STEPUP_USER", q->user, "STEPUP_SERVICE", q->service,
                                 "STEPUP_COMMAND", q->command, "STEPUP_RULE", rule,
                                 "STEPUP_DECISION", "allow", "STEPUP_ASSURANCE_AGE", agebuf,
                                 NULL);
                        struct su_msg rep;
                        su_msg_init(&rep, SU_REP_ALLOW);
                        su_msg_put_str(&rep, SU_T_RULE, rule);
                        su_conn_reply(c, &rep);
                        goto out;
                }
        }
        struct su_totp_row t;
        bool have_totp = su_store_totp_get(m->store, q->user, &t) == 0 && t.active;
        explicit_bzero(&t, sizeof(t));
        if (!have_totp || !factors_satisfy(&d, SU_FACTOR_TOTP)) {
                const char *why = have_totp ? "this action needs a factor you have not enrolled"
                                            : "step-up needed but no TOTP factor is enrolled: "
                                              "run 'stepupctl enroll totp'";
                su_audit(SU_EV_DECISION, LOG_NOTICE, why, "STEPUP_USER", q->user,
                         "STEPUP_SERVICE", q->service, "STEPUP_RULE", rule, "STEPUP_DECISION",
                         "deny", "STEPUP_REASON", "not-enrolled", NULL);
                reply_deny(c, why, rule, 0);
                goto out;
        }
        if (deny_if_locked(c, q->user, rule))
                goto out;

        su_conn_void_challenge(c, "replaced by a new request");
        struct su_challenge *ch = calloc(1, sizeof(*ch));
        if (!ch) {
                reply_deny(c, "out of memory", rule, 0);
                goto out;
        }
        new_challenge_id(ch->id);
        snprintf(ch->user, sizeof(ch->user), "%s", q->user);
        snprintf(ch->service, sizeof(ch->service), "%s", q->service);
        snprintf(ch->rule, sizeof(ch->rule), "%s", rule);
        snprintf(ch->scope_key, sizeof(ch->scope_key), "%s", key);
        ch->factors = SU_FACTOR_TOTP;
        ch->expires_boot = boot + m->cfg.challenge_timeout;
        c->pending = ch;

        su_audit(SU_EV_CHALLENGE, LOG_INFO, "step-up challenge", "STEPUP_USER", q->user,
                 "STEPUP_SERVICE", q->service, "STEPUP_COMMAND", q->command, "STEPUP_RULE",
                 rule, "STEPUP_DECISION", "challenge", "STEPUP_FACTOR", "totp", NULL);
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_CHALLENGE);
        su_msg_put_str(&rep, SU_T_CHALLENGE, ch->id);
        su_msg_put_str(&rep, SU_T_PROMPT, PROMPT_TOTP);
        su_msg_put_str(&rep, SU_T_FACTOR, "totp");
        su_msg_put_str(&rep, SU_T_RULE, rule);
        if (d.message)
                su_msg_put_str(&rep, SU_T_MESSAGE, d.message);
        su_conn_reply(c, &rep);
out:
        su_request_done(&ctx);
}

/* Counts a failed code; returns the message for the user. */
static void count_failure(struct su_conn *c, const char *user, const char *rule,
                          const char *reason, char *text, size_t size)
{
        struct su_manager *m = c->m;
        struct su_failures f;
        int r = su_store_note_failure(m->store, user, su_now_wall(), &f);
        su_audit(SU_EV_VERIFY_FAIL, LOG_NOTICE, reason, "STEPUP_USER", user, "STEPUP_RULE", rule,
                 "STEPUP_FACTOR", "totp", "STEPUP_OUTCOME", "failure", "STEPUP_REASON", reason,
                 NULL);
        if (r < 0) {
                snprintf(text, size, "%s", reason);
                return;
        }
        if (f.consecutive >= m->cfg.lockout_failures) {
                if (f.consecutive == m->cfg.lockout_failures)
                        su_audit(SU_EV_LOCKOUT, LOG_WARNING, "user locked out", "STEPUP_USER",
                                 user, "STEPUP_OUTCOME", "locked", NULL);
                snprintf(text, size, "%s; too many failures: locked for %u seconds", reason,
                         m->cfg.lockout_duration);
        } else {
                snprintf(text, size, "%s (%lld of %u failures before lockout)", reason,
                         (long long)f.consecutive, m->cfg.lockout_failures);
        }
}

static void handle_verify(struct su_conn *c, struct su_msg *req)
{
        struct su_manager *m = c->m;
        if (!is_root_pam(c)) {
                reply_error(c, EPERM, "verifications are only for root on the PAM socket");
                return;
        }
        const char *id = su_msg_str(req, SU_T_CHALLENGE);
        const char *answer = su_msg_str(req, SU_T_ANSWER);
        struct su_challenge *ch = c->pending;
        /* The challenge is spent by this answer whatever happens next. */
        c->pending = NULL;
        if (!ch || !id || !answer || !su_ct_equal(id, strlen(id), ch->id, strlen(ch->id))) {
                reply_deny(c, "no such challenge on this connection", NULL, 0);
                goto out;
        }
        if (su_now_boot() > ch->expires_boot) {
                su_audit(SU_EV_ABANDON, LOG_NOTICE, "answer after the challenge expired",
                         "STEPUP_USER", ch->user, "STEPUP_OUTCOME", "abandoned", NULL);
                reply_deny(c, "the challenge expired", ch->rule, 0);
                goto out;
        }
        if (deny_if_locked(c, ch->user, ch->rule))
                goto out;
        struct su_failures f;
        int64_t now = su_now_wall(), boot = su_now_boot();
        if (su_store_note_attempt(m->store, ch->user, now, m->cfg.rate_window, &f) < 0) {
                reply_deny(c, "step-up unavailable: cannot record the attempt", ch->rule, 0);
                goto out;
        }
        struct su_totp_row t;
        if (su_store_totp_get(m->store, ch->user, &t) < 0 || !t.active) {
                reply_deny(c, "no TOTP factor enrolled", ch->rule, 0);
                goto out;
        }
        int64_t step;
        int r = su_totp_verify(t.secret, t.secret_len, &t.params, now, answer, t.last_step,
                               &step);
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
                         "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule,
                         "STEPUP_FACTOR", "totp", "STEPUP_OUTCOME", "success",
                         "STEPUP_DECISION", "allow", NULL);
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_ALLOW);
                su_msg_put_str(&rep, SU_T_RULE, ch->rule);
                su_conn_reply(c, &rep);
                goto out;
        }
        if (r == -EALREADY)
                count_failure(c, ch->user, ch->rule, "verification code already used", text,
                              sizeof(text));
        else if (r == -EACCES || r == -EINVAL)
                count_failure(c, ch->user, ch->rule, "wrong verification code", text,
                              sizeof(text));
        else
                snprintf(text, sizeof(text), "step-up unavailable: %s", strerror(-r));
        reply_deny(c, text, ch->rule, 0);
out:
        if (ch) {
                explicit_bzero(ch, sizeof(*ch));
                free(ch);
        }
}

static void body_add(char *body, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void body_add(char *body, size_t size, const char *fmt, ...)
{
        size_t n = strlen(body);
        if (n + 1 >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(body + n, size - n, fmt, ap);
        va_end(ap);
}

static void handle_status(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        int r = caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                reply_error(c, -r, r == -EPERM ? "you may only ask about yourself"
                                               : "unknown or invalid user");
                return;
        }
        char body[4096] = "";
        struct su_totp_row t;
        r = su_store_totp_get(m->store, user, &t);
        body_add(body, sizeof(body), "user=%s\n", user);
        if (r == 0) {
                body_add(body, sizeof(body), "totp=%s\ntotp_algorithm=%s\ntotp_digits=%u\n"
                                             "totp_period=%u\n",
                         t.active ? "active" : "pending", su_totp_algo_name(t.params.algo),
                         t.params.digits, t.params.period);
        } else {
                body_add(body, sizeof(body), "totp=none\n");
        }
        explicit_bzero(&t, sizeof(t));
        struct su_failures f;
        if (su_store_failures_get(m->store, user, &f) == 0)
                body_add(body, sizeof(body), "consecutive_failures=%lld\n",
                         (long long)f.consecutive);
        const char *why = NULL;
        int64_t w = wait_needed(m, user, &why);
        body_add(body, sizeof(body), "locked_seconds=%lld\n",
                 (long long)(w > 0 && why && strcmp(why, "locked") == 0 ? w : 0));
        int n = su_store_assurance_count(m->store, user);
        body_add(body, sizeof(body), "assurance_records=%d\n", n < 0 ? 0 : n);

        /* The caller's own current scope, when it asks from a session. */
        struct su_peer_proc proc;
        char key[128];
        struct su_assurance a;
        if (su_peer_proc_read("/proc", c->pid, &proc) == 0 &&
            su_scope_key(SU_SCOPE_KEY_TTY, &proc, key, sizeof(key)) == 0 &&
            su_store_assurance_get(m->store, user, key, &a) == 0) {
                int64_t age = su_assurance_age(&a, m->boot_id, su_now_wall(), su_now_boot());
                body_add(body, sizeof(body), "this_tty_assurance_age=%lld\n", (long long)age);
        }
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_BODY, body);
        su_conn_reply(c, &rep);
}

static void handle_revoke(struct su_conn *c, const struct su_msg *req)
{
        char user[257];
        int r = caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                reply_error(c, -r, "you may only revoke your own assurance");
                return;
        }
        r = su_store_assurance_revoke(c->m->store, user, NULL);
        if (r < 0) {
                reply_error(c, -r, "cannot revoke");
                return;
        }
        char n[32];
        snprintf(n, sizeof(n), "%d", r);
        su_audit(SU_EV_REVOKE, LOG_INFO, "assurance revoked", "STEPUP_USER", user,
                 "STEPUP_RECORDS", n, NULL);
        char text[64];
        snprintf(text, sizeof(text), "%d assurance record(s) removed", r);
        reply_simple(c, SU_REP_OK, text);
}

static int put_enrolment(struct su_conn *c, const char *user, const uint8_t *key, size_t len,
                         const struct su_totp_params *p, bool active)
{
        struct su_totp_row t = {.params = *p, .last_step = -1, .active = active,
                                .created_at = su_now_wall()};
        memcpy(t.secret, key, len);
        t.secret_len = len;
        int r = su_store_totp_put(c->m->store, user, &t);
        explicit_bzero(&t, sizeof(t));
        return r;
}

static int params_from(const struct su_msg *req, struct su_totp_params *p)
{
        uint32_t v;
        su_totp_params_default(p);
        if (su_msg_u32(req, SU_T_DIGITS, &v))
                p->digits = v;
        if (su_msg_u32(req, SU_T_PERIOD, &v))
                p->period = v;
        const char *algo = su_msg_str(req, SU_T_ALGO);
        if (algo) {
                int a = su_totp_algo_from_name(algo);
                if (a < 0)
                        return a;
                p->algo = (enum su_totp_algo)a;
        }
        return su_totp_params_check(p);
}

static void handle_enroll_begin(struct su_conn *c, const struct su_msg *req)
{
        char user[257];
        int r = caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                reply_error(c, -r, "you may only enrol yourself");
                return;
        }
        struct su_totp_params p;
        if (params_from(req, &p) < 0) {
                reply_error(c, EINVAL, "unsupported TOTP parameters");
                return;
        }
        struct su_totp_row t;
        if (su_store_totp_get(c->m->store, user, &t) == 0 && t.active && c->uid != 0) {
                explicit_bzero(&t, sizeof(t));
                reply_error(c, EEXIST, "a TOTP factor is already active; an admin can reset it "
                                       "with 'stepupctl reset --user NAME'");
                return;
        }
        explicit_bzero(&t, sizeof(t));
        uint8_t key[SU_TOTP_SECRET_MIN];
        char b32[128];
        if (su_totp_new_secret(key, sizeof(key)) < 0 ||
            su_base32_encode(key, sizeof(key), b32, sizeof(b32)) < 0 ||
            put_enrolment(c, user, key, sizeof(key), &p, false) < 0) {
                explicit_bzero(key, sizeof(key));
                reply_error(c, EIO, "cannot store the new secret");
                return;
        }
        explicit_bzero(key, sizeof(key));
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

static void handle_enroll_confirm(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        int r = caller_user(c, req, user, sizeof(user));
        if (r < 0) {
                reply_error(c, -r, "you may only enrol yourself");
                return;
        }
        const char *code = su_msg_str(req, SU_T_ANSWER);
        struct su_totp_row t;
        if (!code || su_store_totp_get(m->store, user, &t) < 0 || t.active) {
                reply_error(c, ENOENT, "no pending TOTP enrolment: run 'stepupctl enroll totp'");
                return;
        }
        const char *why = NULL;
        if (wait_needed(m, user, &why) != 0) {
                explicit_bzero(&t, sizeof(t));
                reply_error(c, EBUSY, "too many attempts: wait and try again");
                return;
        }
        struct su_failures f;
        int64_t now = su_now_wall(), step;
        su_store_note_attempt(m->store, user, now, m->cfg.rate_window, &f);
        r = su_totp_verify(t.secret, t.secret_len, &t.params, now, code, t.last_step, &step);
        explicit_bzero(&t, sizeof(t));
        if (r == 0)
                r = su_store_commit_totp(m->store, user, step, NULL, NULL);
        if (r < 0) {
                char text[300];
                count_failure(c, user, "(enrolment)", "wrong confirmation code", text,
                              sizeof(text));
                reply_error(c, EACCES, text);
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "TOTP factor active", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "totp", "STEPUP_STATE", "active", NULL);
        reply_simple(c, SU_REP_OK, "TOTP factor active");
}

static void handle_enroll_set(struct su_conn *c, const struct su_msg *req)
{
        if (!is_root_pam(c)) {
                reply_error(c, EPERM, "setting a secret is for root only");
                return;
        }
        const char *user = su_msg_str(req, SU_T_USER);
        const char *b32 = su_msg_str(req, SU_T_SECRET);
        struct su_totp_params p;
        uint8_t key[SU_TOTP_SECRET_MAX];
        size_t len;
        if (!su_valid_user(user) || !b32) {
                reply_error(c, EINVAL, "a valid user and secret are needed");
                return;
        }
        if (params_from(req, &p) < 0) {
                reply_error(c, EINVAL, "unsupported TOTP parameters");
                return;
        }
        int r = su_base32_decode(b32, key, sizeof(key), &len);
        if (r < 0 || len < 10) {
                explicit_bzero(key, sizeof(key));
                reply_error(c, EINVAL, "the secret must be base32 of at least 80 bits");
                return;
        }
        r = put_enrolment(c, user, key, len, &p, true);
        explicit_bzero(key, sizeof(key));
        if (r < 0) {
                reply_error(c, -r, "cannot store the secret");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "TOTP factor set by root", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "totp", "STEPUP_STATE", "active", NULL);
        reply_simple(c, SU_REP_OK, "TOTP factor active");
}

static void handle_unlock(struct su_conn *c, const struct su_msg *req)
{
        const char *user = su_msg_str(req, SU_T_USER);
        if (!is_root_pam(c)) {
                reply_error(c, EPERM, "unlock is for root only");
                return;
        }
        if (!su_valid_user(user) || su_store_failures_reset(c->m->store, user) < 0) {
                reply_error(c, EINVAL, "cannot unlock that user");
                return;
        }
        su_audit(SU_EV_LOCKOUT, LOG_NOTICE, "user unlocked by root", "STEPUP_USER", user,
                 "STEPUP_OUTCOME", "unlocked", NULL);
        reply_simple(c, SU_REP_OK, "unlocked");
}

static void handle_reload(struct su_conn *c)
{
        if (!is_root_pam(c)) {
                reply_error(c, EPERM, "reload is for root only");
                return;
        }
        char body[8000] = "";
        int r = su_manager_reload(c->m, body, sizeof(body));
        struct su_msg rep;
        su_msg_init(&rep, r < 0 ? SU_REP_ERROR : SU_REP_OK);
        if (r < 0) {
                su_msg_put_u32(&rep, SU_T_ERRNO, (uint32_t)-r);
                su_msg_put_str(&rep, SU_T_MESSAGE, "policy not reloaded; the old one stays");
        }
        if (*body)
                su_msg_put_str(&rep, SU_T_BODY, body);
        su_conn_reply(c, &rep);
}

void su_handle_request(struct su_conn *c, struct su_msg *req)
{
        switch (req->type) {
        case SU_REQ_DECIDE:
                handle_decide(c, req);
                break;
        case SU_REQ_VERIFY:
                handle_verify(c, req);
                break;
        case SU_REQ_STATUS:
                handle_status(c, req);
                break;
        case SU_REQ_REVOKE:
                handle_revoke(c, req);
                break;
        case SU_REQ_ENROLL_BEGIN:
                handle_enroll_begin(c, req);
                break;
        case SU_REQ_ENROLL_CONFIRM:
                handle_enroll_confirm(c, req);
                break;
        case SU_REQ_ENROLL_SET:
                handle_enroll_set(c, req);
                break;
        case SU_REQ_UNLOCK:
                handle_unlock(c, req);
                break;
        case SU_REQ_RELOAD:
                handle_reload(c);
                break;
        default:
                reply_error(c, EOPNOTSUPP, "unknown request");
                c->close_after_write = true;
                break;
        }
}
