/* One step-up check: gather the PAM context, ask stepupd, run the challenge. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "names.h"
#include "client.h"
#include "proto.h"
#include "stepup.h"
#include "sudo_args.h"

#define GRANT_KEY "pam_stepup_granted"
#define SU_COMMAND_TEXT_MAX 4096 /* the COMMAND field's limit (common/codec.c) */

static const char *item(pam_handle_t *pamh, int type)
{
        const void *v = NULL;
        if (pam_get_item(pamh, type, &v) != PAM_SUCCESS)
                return NULL;
        return v;
}

/* True inside the real sudo (sudoedit is a link to it) for sudo's PAM services. */
static bool in_sudo(const char *service)
{
        if (strcmp(service, "sudo") != 0 && strcmp(service, "sudo-i") != 0)
                return false;
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return false;
        exe[n] = 0;
        const char *base = strrchr(exe, '/');
        base = base ? base + 1 : exe;
        return strcmp(base, "sudo") == 0;
}

/* The command sudo resolved (SUDO_COMMAND, which getenv() answers from sudoers' own
 * environment inside sudo), with the target user and group and sudoedit's files from sudo's
 * argv (see sudo_args.h).  Anything unclear is refused, never guessed. */
static int put_sudo(pam_handle_t *pamh, struct su_msg *m, const char *user)
{
        char *buf = NULL;
        const char **argv = NULL;
        int argc = 0;
        int r = su_sudo_read_cmdline("/proc/self/cmdline", &buf, &argv, &argc);
        struct su_sudo_args sa;
        if (r >= 0)
                r = su_sudo_parse(argc, argv, &sa);
        char cwd[PATH_MAX];
        if (r >= 0 && !getcwd(cwd, sizeof(cwd)))
                r = -errno;
        struct su_sudo_env env = {
            .sudo_command = getenv("SUDO_COMMAND"), .cwd = cwd, .invoker = user};
        struct su_sudo_request q = {0};
        if (r >= 0)
                r = su_sudo_request(&sa, &env, SU_COMMAND_TEXT_MAX, &q);
        if (r >= 0 && q.command)
                r = su_msg_put_str(m, SU_T_COMMAND, q.command);
        if (r >= 0 && q.target_user)
                r = su_valid_user(q.target_user)
                        ? su_msg_put_str(m, SU_T_TARGET_USER, q.target_user)
                        : -EINVAL;
        if (r >= 0 && q.target_group)
                r = su_valid_user(q.target_group)
                        ? su_msg_put_str(m, SU_T_TARGET_GROUP, q.target_group)
                        : -EINVAL;
        if (r < 0) {
                pam_syslog(pamh, LOG_NOTICE, "cannot tell what sudo was asked to run: %s",
                           strerror(-r));
                pam_prompt(pamh, PAM_ERROR_MSG, NULL, "%s",
                           r == -E2BIG ? "step-up: the command line is too long to check"
                                       : "step-up: cannot tell what sudo was asked to run");
        }
        su_sudo_request_free(&q);
        free(argv);
        free(buf);
        return r < 0 ? -ENOEXEC : 0;
}

/* su: PAM_USER is whom the caller becomes; the decision is about the caller, the real uid of
 * the su process (set by the kernel, unlike PAM_RUSER), with PAM_USER as the target. */
static bool is_su(const char *service)
{
        return strcmp(service, "su") == 0 || strcmp(service, "su-l") == 0;
}

static int su_invoker(char *name, size_t size)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        if (snprintf(name, size, "%s", pw.pw_name) >= (int)size)
                return -ENOENT;
        return 0;
}

static void grant_cleanup(pam_handle_t *pamh, void *data, int status)
{
        free(data);
}

static void say(pam_handle_t *pamh, int flags, int style, const char *text)
{
        if (!text || !*text)
                return;
        if (style == PAM_TEXT_INFO && (flags & PAM_SILENT))
                return;
        pam_prompt(pamh, style, NULL, "%s", text);
}

static int put_context(pam_handle_t *pamh, struct su_msg *m, const char *user, int phase)
{
        const char *service = item(pamh, PAM_SERVICE);
        const char *tty = su_tty_relative(item(pamh, PAM_TTY));
        const char *rhost = item(pamh, PAM_RHOST);
        const char *ruser = item(pamh, PAM_RUSER);
        if (!service || !su_valid_service(service))
                return -EINVAL;
        char invoker[256];
        bool su = is_su(service);
        if (su && su_invoker(invoker, sizeof(invoker)) < 0)
                return -ENOENT;
        int r = su_msg_put_str(m, SU_T_SERVICE, service);
        if (r >= 0)
                r = su_msg_put_str(m, SU_T_USER, su ? invoker : user);
        if (r >= 0 && su)
                r = su_msg_put_str(m, SU_T_TARGET_USER, user);
        if (r >= 0)
                r = su_msg_put_u32(m, SU_T_PHASE, (uint32_t)phase);
        /* Optional context that fails validation is left out, not forwarded. */
        if (r >= 0 && tty && su_valid_tty(tty))
                r = su_msg_put_str(m, SU_T_TTY, tty);
        if (r >= 0 && rhost && su_valid_host(rhost))
                r = su_msg_put_str(m, SU_T_RHOST, rhost);
        if (r >= 0 && ruser && su_valid_user(ruser))
                r = su_msg_put_str(m, SU_T_RUSER, ruser);
        if (r >= 0 && in_sudo(service))
                r = put_sudo(pamh, m, user);
        return r;
}

struct ask_ctx {
        pam_handle_t *pamh;
        int flags;
};

/* The conversation's prompt: the rule's message, then the prompt through the application's
 * PAM conversation; the answer is copied out and PAM's copy wiped. */
static int ask(void *userdata, const char *note, const char *prompt, unsigned flags, char *answer,
               size_t size)
{
        bool echo = flags & SU_ASK_ECHO;
        struct ask_ctx *x = userdata;
        /* PAM_SILENT (sudo always passes it) hides a PAM_TEXT_INFO: the rule's message then
         * goes in front of the prompt, which is shown anyway. */
        char both[1024 + 4096 + 2]; /* MESSAGE and PROMPT at their protocol maxima */
        if (note && *note && (x->flags & PAM_SILENT) &&
            snprintf(both, sizeof(both), "%s\n%s", note, prompt) < (int)sizeof(both))
                prompt = both;
        else
                say(x->pamh, x->flags, PAM_TEXT_INFO, note);
        char *resp = NULL;
        int pr = pam_prompt(x->pamh, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, &resp, "%s",
                            prompt);
        int r = 0;
        if (pr == PAM_CONV_AGAIN)
                r = -EAGAIN;
        else if (pr != PAM_SUCCESS || !resp)
                r = -EBADE;
        else if (resp[0] == '\0' && !(flags & SU_ASK_ENTER))
                r = -ECANCELED; /* empty: gave up, never sent */
        else if (strnlen(resp, size) >= size)
                r = -E2BIG; /* oversized: never sent */
        else
                memcpy(answer, resp, strlen(resp) + 1);
        if (resp) {
                explicit_bzero(resp, strlen(resp));
                free(resp);
        }
        return r;
}

static int handle_final(pam_handle_t *pamh, int flags, const struct su_msg *rep)
{
        switch (rep->type) {
        case SU_REP_ALLOW:
                return 0;
        case SU_REP_DENY:
        case SU_REP_ERROR: /* ERROR too, e.g. "stepupd busy" (EBUSY): a refusal, not absence */
                /* Shown even under PAM_SILENT: sudo passes it on every call, and a refusal
                 * without its reason (policy, lockout) leaves the user guessing. */
                say(pamh, flags, PAM_ERROR_MSG, su_msg_str(rep, SU_T_MESSAGE));
                return -EACCES;
        default:
                return -ECOMM; /* OK to a DECIDE: nonsense, denied whatever the failmode */
        }
}

/* Why the conversation ended without a reply -> the module's errno. */
static int conversation_failed(pam_handle_t *pamh, int flags, const struct su_mod_args *a,
                               const struct su_conv_result *res, int r)
{
        switch (res->end) {
        case SU_CONV_NOT_RUNNING: /* the only case failmode=safe may allow */
                pam_syslog(pamh, LOG_ERR, "cannot reach stepupd at %s: %s", a->socket,
                           strerror(-r));
                return -EHOSTDOWN;
        case SU_CONV_PROMPT:
                if (r == -EAGAIN || r == -EBADE)
                        return r;
                say(pamh, flags, PAM_ERROR_MSG, "step-up cancelled");
                return -EACCES; /* closing the connection voided the challenge */
        default:
                pam_syslog(pamh, LOG_ERR, "stepupd did not answer properly: %s", strerror(-r));
                if (res->rounds == 0)
                        return -ECOMM;
                /* After a challenge: the daemon closes a challenge left unanswered past
                 * challenge_timeout. */
                say(pamh, flags, PAM_ERROR_MSG,
                    "step-up: the code came too late (challenge expired); try again");
                return -EACCES;
        }
}

int su_mod_run(pam_handle_t *pamh, int flags, const struct su_mod_args *a, int phase)
{
        const void *granted = NULL;
        if (phase == SU_PHASE_ACCOUNT && pam_get_data(pamh, GRANT_KEY, &granted) == PAM_SUCCESS &&
            granted)
                return 0; /* this transaction's auth phase already stepped up */

        const char *user = NULL;
        if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user)
                return -ENOENT;
        if (!su_valid_user(user))
                return -EACCES;

        struct su_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
        int r;
        if (!req || !rep) {
                r = -ENOMEM;
                goto out;
        }
        su_msg_init(req, SU_REQ_DECIDE);
        r = put_context(pamh, req, user, phase);
        if (r < 0)
                goto out;

        struct ask_ctx x = {pamh, flags};
        const struct su_conv conv = {
            .socket = a->socket, .timeout_ms = a->timeout_ms, .prompt = ask, .userdata = &x};
        struct su_conv_result res;
        r = su_conversation(&conv, req, rep, &res);
        if (r < 0) {
                r = conversation_failed(pamh, flags, a, &res, r);
                goto out;
        }
        if (a->debug)
                pam_syslog(pamh, LOG_DEBUG, "user %s: %s (%s), %u challenge(s)", user,
                           su_msg_type_name(rep->type),
                           su_msg_str(rep, SU_T_RULE) ? su_msg_str(rep, SU_T_RULE) : "-",
                           res.rounds);
        r = handle_final(pamh, flags, rep);
        if (r == 0 && phase == SU_PHASE_AUTH) {
                int *mark = malloc(sizeof(int));
                if (!mark || pam_set_data(pamh, GRANT_KEY, mark, grant_cleanup) != PAM_SUCCESS) {
                        free(mark);
                        r = -ENOMEM;
                }
        }
        if (r == -EACCES)
                pam_syslog(pamh, LOG_NOTICE, "step-up denied for %s: %s", user,
                           su_msg_str(rep, SU_T_MESSAGE) ? su_msg_str(rep, SU_T_MESSAGE)
                                                         : su_msg_type_name(rep->type));
        if (r == -ECOMM)
                pam_syslog(pamh, LOG_ERR, "stepupd answered %s: denied",
                           su_msg_type_name(rep->type));
out:
        su_msg_free(req);
        su_msg_free(rep);
        return r;
}

int su_mod_to_pam(pam_handle_t *pamh, int r, const struct su_mod_args *a, int phase)
{
        bool acct = phase == SU_PHASE_ACCOUNT;
        switch (r) {
        case 0:
                return PAM_SUCCESS;
        case -EHOSTDOWN: /* stepupd is not running: the admin's failmode decides */
                if (a->failmode == SU_MOD_SAFE) {
                        pam_syslog(pamh, LOG_CRIT,
                                   "stepupd is not running: ALLOWING without step-up "
                                   "(failmode=safe)");
                        return PAM_SUCCESS;
                }
                pam_prompt(pamh, PAM_ERROR_MSG, NULL, "%s",
                           "step-up service unavailable: access denied");
                return acct ? PAM_PERM_DENIED : PAM_AUTHINFO_UNAVAIL;
        case -ECOMM: /* running but no proper answer (busy, slow, broken): never allowed */
                pam_prompt(pamh, PAM_ERROR_MSG, NULL, "%s",
                           "step-up service did not answer: access denied");
                return acct ? PAM_PERM_DENIED : PAM_AUTHINFO_UNAVAIL;
        case -EAGAIN:
                return PAM_INCOMPLETE;
        case -EBADE:
                return PAM_CONV_ERR;
        case -ENOENT:
                return PAM_USER_UNKNOWN;
        case -ENOMEM:
                return PAM_BUF_ERR;
        case -EACCES:
                return acct ? PAM_PERM_DENIED : PAM_AUTH_ERR;
        default:
                return acct ? PAM_PERM_DENIED : PAM_SERVICE_ERR;
        }
}
