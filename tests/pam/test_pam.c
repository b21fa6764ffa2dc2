/* PAM transactions through the real libpam (pam_start_confdir) and the built module,
 * against a real stepupd started by run-pam-tests.sh.
 * Environment: STEPUP_TEST_CONFDIR (service files), STEPUP_TEST_SOCKET, STEPUP_TEST_SECRET_HEX. */
#include <errno.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proto.h"
#include "sockio.h"
#include "totp.h"

static const char *confdir, *sock, *user_sock;
static uint8_t secret[64];
static size_t secret_len;

struct script {
        const char *answer; /* NULL: the conversation fails */
        int prompts;        /* PAM_PROMPT_ECHO_OFF seen */
        int echo_on;        /* PAM_PROMPT_ECHO_ON seen (must stay 0) */
        char last_error[512];
        char last_info[512];
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct script *s = data;
        struct pam_response *r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                switch (msg[i]->msg_style) {
                case PAM_PROMPT_ECHO_OFF:
                case PAM_PROMPT_ECHO_ON:
                        if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
                                s->echo_on++;
                        s->prompts++;
                        if (!s->answer) {
                                free(r);
                                return PAM_CONV_ERR;
                        }
                        r[i].resp = strdup(s->answer);
                        break;
                case PAM_ERROR_MSG:
                        snprintf(s->last_error, sizeof(s->last_error), "%s", msg[i]->msg);
                        break;
                case PAM_TEXT_INFO:
                        snprintf(s->last_info, sizeof(s->last_info), "%s", msg[i]->msg);
                        break;
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

static int run_pam(const char *service, const char *user, struct script *s, bool account)
{
        struct pam_conv c = {conv, s};
        pam_handle_t *h = NULL;
        int r = pam_start_confdir(service, user, &c, confdir, &h);
        if (r != PAM_SUCCESS)
                return -1000 - r;
        r = account ? pam_acct_mgmt(h, 0) : pam_authenticate(h, 0);
        pam_end(h, r);
        return r;
}

/* Both phases in one handle, as sudo does. */
static int run_both(const char *service, const char *user, struct script *s, int *acct)
{
        struct pam_conv c = {conv, s};
        pam_handle_t *h = NULL;
        if (pam_start_confdir(service, user, &c, confdir, &h) != PAM_SUCCESS)
                return -1;
        int r = pam_authenticate(h, 0);
        *acct = pam_acct_mgmt(h, 0);
        pam_end(h, r);
        return r;
}

static void code_at(int64_t offset_steps, char out[9])
{
        struct su_totp_params p;
        su_totp_params_default(&p);
        int64_t step = su_totp_step(&p, time(NULL)) + offset_steps;
        su_totp_code(secret, secret_len, &p, step, out);
}

static int ctl(struct su_msg *req, struct su_msg *rep, const char *path)
{
        int fd = su_client_connect(path, 2000);
        if (fd < 0)
                return fd;
        int r = su_client_call(fd, req, rep, 2000);
        close(fd);
        return r;
}

static void revoke_user(const char *user)
{
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_REVOKE);
        su_msg_put_str(&req, SU_T_USER, user);
        CHECK_INT(ctl(&req, &rep, sock), 0);
        CHECK_INT(rep.type, SU_REP_OK);
}

static void wait_next_step(void)
{
        /* Step-based replay protection: a second success needs the next 30 s step. */
        time_t now = time(NULL);
        unsigned left = (unsigned)(30 - now % 30);
        fprintf(stderr, "waiting %u s for the next TOTP step\n", left);
        sleep(left + 1);
}

static void test_flow(void)
{
        char code[9];
        struct script s = {0};
        int acct = -1;

        /* 1. A correct code: one prompt, echo off, success in auth and account. */
        revoke_user("root");
        code_at(0, code);
        s = (struct script){.answer = code};
        CHECK_INT(run_both("stepup-test", "root", &s, &acct), PAM_SUCCESS);
        CHECK_INT(acct, PAM_SUCCESS);
        CHECK_INT(s.prompts, 1);
        CHECK_INT(s.echo_on, 0);

        /* 2. Inside the freshness window: no prompt at all. */
        s = (struct script){.answer = "000000"};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_SUCCESS);
        CHECK_INT(s.prompts, 0);
        /* ...and the account phase alone (sudo with a current timestamp) also passes. */
        s = (struct script){.answer = "000000"};
        CHECK_INT(run_pam("stepup-test", "root", &s, true), PAM_SUCCESS);
        CHECK_INT(s.prompts, 0);

        /* 3. Replay: the same code, after the assurance is gone, is refused. */
        revoke_user("root");
        s = (struct script){.answer = code};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_AUTH_ERR);
        CHECK_INT(s.prompts, 1);
        CHECK(strstr(s.last_error, "already used") != NULL);

        /* 4. A wrong code is refused, with the reason shown. */
        char wrong[9];
        code_at(5, wrong); /* a valid-looking code for a step outside the window */
        s = (struct script){.answer = wrong};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_AUTH_ERR);
        CHECK(strstr(s.last_error, "wrong verification code") != NULL);

        /* 5. Account phase without auth (sudo timestamp): step-up enforced there. */
        s = (struct script){.answer = "123"};
        CHECK_INT(run_pam("stepup-test", "root", &s, true), PAM_PERM_DENIED);
        CHECK_INT(s.prompts, 1);

        /* 6. A conversation error. */
        s = (struct script){.answer = NULL};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_CONV_ERR);

        /* 7. An empty answer: nothing granted. */
        s = (struct script){.answer = ""};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_AUTH_ERR);

        /* 8. An oversized answer (over PAM_MAX_RESP_SIZE) is never sent and fails. */
        char big[600];
        memset(big, '1', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        s = (struct script){.answer = big};
        CHECK_INT(run_pam("stepup-test", "root", &s, false), PAM_AUTH_ERR);

        /* 9. A deny rule: refused without a prompt, reason shown. */
        s = (struct script){.answer = code};
        CHECK_INT(run_pam("stepup-deny", "root", &s, false), PAM_AUTH_ERR);
        CHECK_INT(s.prompts, 0);
        CHECK(strstr(s.last_error, "closed for testing") != NULL);

        /* 10. An allow rule: no prompt. */
        s = (struct script){.answer = NULL};
        CHECK_INT(run_pam("stepup-allow", "root", &s, false), PAM_SUCCESS);
        CHECK_INT(s.prompts, 0);

        /* 11. within 0: every time, even right after a success. */
        wait_next_step();
        code_at(0, code);
        s = (struct script){.answer = code};
        CHECK_INT(run_pam("stepup-always", "root", &s, false), PAM_SUCCESS);
        CHECK_INT(s.prompts, 1);
        s = (struct script){.answer = code};
        CHECK_INT(run_pam("stepup-always", "root", &s, false), PAM_AUTH_ERR);
        CHECK_INT(s.prompts, 1);
        /* ...but the account phase of the same transaction does not ask twice. */
        wait_next_step();
        code_at(0, code);
        s = (struct script){.answer = code};
        CHECK_INT(run_both("stepup-always", "root", &s, &acct), PAM_SUCCESS);
        CHECK_INT(acct, PAM_SUCCESS);
        CHECK_INT(s.prompts, 1);
}

static void test_daemon_down(void)
{
        struct script s = {.answer = "123456"};
        /* failmode=secure (default): an error, never success or ignore. */
        int r = run_pam("stepup-down", "root", &s, false);
        CHECK_INT(r, PAM_AUTHINFO_UNAVAIL);
        CHECK(strstr(s.last_error, "unavailable") != NULL);
        r = run_pam("stepup-down", "root", &s, true);
        CHECK_INT(r, PAM_PERM_DENIED);
        /* The whole stack, as sufficient and as [success=1 default=ignore], still fails. */
        CHECK_INT(run_pam("stepup-down-sufficient", "root", &s, false), PAM_AUTH_ERR);
        CHECK_INT(run_pam("stepup-down-jump", "root", &s, false), PAM_AUTH_ERR);
        /* failmode=safe allows (and logs). */
        CHECK_INT(run_pam("stepup-down-safe", "root", &s, false), PAM_SUCCESS);
        /* A bad module argument is a service error, not a pass. */
        CHECK_INT(run_pam("stepup-badarg", "root", &s, false), PAM_SERVICE_ERR);
}

/* A non-root peer: the PAM socket drops it; the user socket refuses other users' data. */
static void test_non_root_peer(void)
{
        struct passwd *pw = getpwnam("nobody");
        if (!pw) {
                fprintf(stderr, "no user nobody: skipping the non-root peer test\n");
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                        _exit(90);
                struct su_msg req, rep;
                int fails = 0;
                su_msg_init(&req, SU_REQ_DECIDE);
                su_msg_put_str(&req, SU_T_SERVICE, "stepup-test");
                su_msg_put_str(&req, SU_T_USER, "root");
                /* The PAM socket node is opened up by the harness: the daemon itself must
                 * drop a non-root peer, without any reply. */
                int r = ctl(&req, &rep, sock);
                if (r != -ECONNRESET && r != -EPIPE)
                        fails |= 1;
                r = ctl(&req, &rep, user_sock);
                if (r < 0 || rep.type != SU_REP_ERROR)
                        fails |= 2; /* a decision from the user socket */
                su_msg_init(&req, SU_REQ_STATUS);
                su_msg_put_str(&req, SU_T_USER, "root");
                r = ctl(&req, &rep, user_sock);
                if (r < 0 || rep.type != SU_REP_ERROR)
                        fails |= 4; /* read root's status */
                su_msg_init(&req, SU_REQ_VERIFY);
                su_msg_put_str(&req, SU_T_CHALLENGE, "00000000000000000000000000000000");
                su_msg_put_str(&req, SU_T_ANSWER, "123456");
                r = ctl(&req, &rep, user_sock);
                if (r < 0 || rep.type != SU_REP_ERROR)
                        fails |= 8;
                su_msg_init(&req, SU_REQ_ENROLL_SET);
                su_msg_put_str(&req, SU_T_USER, "nobody");
                su_msg_put_str(&req, SU_T_SECRET, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
                r = ctl(&req, &rep, user_sock);
                if (r < 0 || rep.type != SU_REP_ERROR)
                        fails |= 32;
                su_msg_init(&req, SU_REQ_STATUS); /* its own status is fine */
                r = ctl(&req, &rep, user_sock);
                if (r < 0 || rep.type != SU_REP_OK)
                        fails |= 16;
                _exit(fails);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st));
        CHECK_INT(WEXITSTATUS(st), 0);
}

static int hexval(char c)
{
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int main(void)
{
        confdir = getenv("STEPUP_TEST_CONFDIR");
        sock = getenv("STEPUP_TEST_SOCKET");
        user_sock = getenv("STEPUP_TEST_USER_SOCKET");
        const char *hex = getenv("STEPUP_TEST_SECRET_HEX");
        if (!confdir || !sock || !user_sock || !hex) {
                fprintf(stderr, "run through tests/pam/run-pam-tests.sh\n");
                return 2;
        }
        for (secret_len = 0; hex[2 * secret_len] && secret_len < sizeof(secret); secret_len++)
                secret[secret_len] =
                    (uint8_t)(hexval(hex[2 * secret_len]) << 4 | hexval(hex[2 * secret_len + 1]));
        su_totp_init();
        test_daemon_down();
        test_non_root_peer();
        test_flow();
        return check_done();
}
