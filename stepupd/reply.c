/* Replies, caller identity, lockout checks: shared by every handler. */
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

void su_reply_simple(struct su_conn *c, uint8_t type, const char *text)
{
        struct su_msg rep;
        su_msg_init(&rep, type);
        if (text)
                su_msg_put_str(&rep, SU_T_MESSAGE, text);
        su_conn_reply(c, &rep);
}

void su_reply_error(struct su_conn *c, int err, const char *text)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_ERROR);
        su_msg_put_u32(&rep, SU_T_ERRNO, (uint32_t)err);
        su_msg_put_str(&rep, SU_T_MESSAGE, text);
        su_conn_reply(c, &rep);
}

void su_reply_deny(struct su_conn *c, const char *reason, const char *rule, uint32_t wait)
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

void su_rule_name(const struct su_decision *d, char *out, size_t size)
{
        if (d->matched)
                snprintf(out, size, "%s:%u", d->file, d->line);
        else
                snprintf(out, size, "(no rule matched)");
}

/* The user a non-root caller may talk about: itself, by the kernel's uid. */

/* The user a non-root caller may talk about: itself, by the kernel's uid. */
int su_caller_user(struct su_conn *c, const struct su_msg *req, char *out, size_t size)
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

bool su_is_root_pam(const struct su_conn *c)
{
        return c->kind == SU_SOCK_PAM && c->uid == 0;
}

/* Lockout and rate limit: seconds to wait, 0 when the user may try now. */

/* Lockout and rate limit: seconds to wait, 0 when the user may try now. */
int64_t su_wait_needed(struct su_manager *m, const char *user, const char **why)
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

bool su_deny_if_locked(struct su_conn *c, const char *user, const char *rule)
{
        const char *why = NULL;
        int64_t w = su_wait_needed(c->m, user, &why);
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
                         "too many attempts: wait %lld seconds before trying again", (long long)w);
        su_audit(SU_EV_LOCKOUT, LOG_WARNING, text, "STEPUP_USER", user, "STEPUP_RULE", rule,
                 "STEPUP_DECISION", "deny", "STEPUP_OUTCOME", "locked", NULL);
        su_reply_deny(c, text, rule, w > 0 ? (uint32_t)w : 0);
        return true;
}

/* Counts a failed code; returns the message for the user. */
void su_count_failure(struct su_conn *c, const char *user, const char *rule, const char *factor,
                      const char *reason, char *text, size_t size)
{
        struct su_manager *m = c->m;
        struct su_failures f;
        int r = su_store_note_failure(m->store, user, su_now_wall(), &f);
        su_audit(SU_EV_VERIFY_FAIL, LOG_NOTICE, reason, "STEPUP_USER", user, "STEPUP_RULE", rule,
                 "STEPUP_FACTOR", factor, "STEPUP_OUTCOME", "failure", "STEPUP_REASON", reason,
                 NULL);
        if (r < 0) {
                snprintf(text, size, "%s", reason);
                return;
        }
        if (f.consecutive >= m->cfg.lockout_failures) {
                if (f.consecutive == m->cfg.lockout_failures)
                        su_audit(SU_EV_LOCKOUT, LOG_WARNING, "user locked out", "STEPUP_USER", user,
                                 "STEPUP_OUTCOME", "locked", NULL);
                snprintf(text, size, "%s; too many failures: locked for %u seconds", reason,
                         m->cfg.lockout_duration);
        } else {
                snprintf(text, size, "%s (%lld of %u failures before lockout)", reason,
                         (long long)f.consecutive, m->cfg.lockout_failures);
        }
}

void su_body_add(char *body, size_t size, const char *fmt, ...)
{
        size_t n = strlen(body);
        if (n + 1 >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(body + n, size - n, fmt, ap);
        va_end(ap);
}
