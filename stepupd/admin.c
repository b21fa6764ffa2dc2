/* Root-only verbs: ENROLL_SET, UNLOCK, RELOAD. */
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

void su_handle_enroll_set(struct su_conn *c, const struct su_msg *req)
{
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "setting a secret is for root only");
                return;
        }
        const char *user = su_msg_str(req, SU_T_USER);
        const char *b32 = su_msg_str(req, SU_T_SECRET);
        struct su_totp_params p;
        uint8_t key[SU_TOTP_SECRET_MAX];
        size_t len;
        if (!su_valid_user(user) || !b32) {
                su_reply_error(c, EINVAL, "a valid user and secret are needed");
                return;
        }
        if (su_params_from(req, &p) < 0) {
                su_reply_error(c, EINVAL, "unsupported TOTP parameters");
                return;
        }
        int r = su_base32_decode(b32, key, sizeof(key), &len);
        if (r < 0 || len < 10) {
                explicit_bzero(key, sizeof(key));
                su_reply_error(c, EINVAL, "the secret must be base32 of at least 80 bits");
                return;
        }
        r = su_put_enrolment(c, user, key, len, &p, true);
        explicit_bzero(key, sizeof(key));
        if (r < 0) {
                su_reply_error(c, -r, "cannot store the secret");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "TOTP factor set by root", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "totp", "STEPUP_STATE", "active", NULL);
        su_reply_simple(c, SU_REP_OK, "TOTP factor active");
}

void su_handle_unlock(struct su_conn *c, const struct su_msg *req)
{
        const char *user = su_msg_str(req, SU_T_USER);
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "unlock is for root only");
                return;
        }
        if (!su_valid_user(user) || su_store_failures_reset(c->m->store, user) < 0) {
                su_reply_error(c, EINVAL, "cannot unlock that user");
                return;
        }
        su_audit(SU_EV_LOCKOUT, LOG_NOTICE, "user unlocked by root", "STEPUP_USER", user,
                 "STEPUP_OUTCOME", "unlocked", NULL);
        su_reply_simple(c, SU_REP_OK, "unlocked");
}

void su_handle_reload(struct su_conn *c)
{
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "reload is for root only");
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
