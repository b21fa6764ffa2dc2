/* Drives a known flow through the real pam_stepup.so (pam_start_confdir) and the raw protocol
 * against a private stepupd (run-metrics-tests.sh), so that the counters it ends with are
 * known exactly.  Writes every secret and typed code to $STEPUP_TEST_TYPED, one a line, for
 * the audit leak check.
 * Environment: STEPUP_TEST_CONFDIR, STEPUP_TEST_SOCKET, STEPUP_TEST_SECRET_HEX (root's),
 * STEPUP_TEST_TYPED. */
#include <errno.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "proto.h"
#include "sockio.h"
#include "totp.h"

static const char *confdir, *sock;
static FILE *typed;

struct key {
        uint8_t b[64];
        size_t len;
};

struct script {
        const char *answer; /* NULL: the conversation fails */
        int prompts;
        char last_error[512];
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct script *s = data;
        struct pam_response *r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++) {
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
                        s->prompts++;
                        if (!s->answer) {
                                free(r);
                                return PAM_CONV_ERR;
                        }
                        r[i].resp = strdup(s->answer);
                } else if (msg[i]->msg_style == PAM_ERROR_MSG) {
                        snprintf(s->last_error, sizeof(s->last_error), "%s", msg[i]->msg);
                }
        }
        *resp = r;
        return PAM_SUCCESS;
}

static int auth(const char *service, const char *user, struct script *s)
{
        struct pam_conv c = {conv, s};
        pam_handle_t *h = NULL;
        int r = pam_start_confdir(service, user, &c, confdir, &h);
        if (r != PAM_SUCCESS)
                return -1000 - r;
        r = pam_authenticate(h, 0);
        pam_end(h, r);
        return r;
}

static void code_at(const struct key *k, int64_t offset_steps, char out[9])
{
        struct su_totp_params p;
        su_totp_params_default(&p);
        su_totp_code(k->b, k->len, &p, su_totp_step(&p, time(NULL)) + offset_steps, out);
        fprintf(typed, "%s\n", out);
}

static int call(int fd, struct su_msg *req, struct su_msg *rep)
{
        return su_client_call(fd, req, rep, 3000);
}

static int call_once(struct su_msg *req, struct su_msg *rep)
{
        int fd = su_client_connect(sock, 2000);
        if (fd < 0)
                return fd;
        int r = call(fd, req, rep);
        close(fd);
        return r;
}

static void put_decide(struct su_msg *req, const char *service, const char *user)
{
        su_msg_init(req, SU_REQ_DECIDE);
        su_msg_put_str(req, SU_T_SERVICE, service);
        su_msg_put_str(req, SU_T_USER, user);
        su_msg_put_u32(req, SU_T_PHASE, SU_PHASE_AUTH);
}

/* nobody enrols through ENROLL_BEGIN/CONFIRM: the daemon makes the secret. */
static void enrol_nobody(struct key *k)
{
        static struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_ENROLL_BEGIN);
        su_msg_put_str(&req, SU_T_USER, "nobody");
        CHECK_INT(call_once(&req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_OK);
        const char *b32 = su_msg_str(&rep, SU_T_SECRET);
        CHECK(b32 != NULL);
        if (!b32)
                exit(check_done());
        fprintf(typed, "%s\n", b32);
        CHECK_INT(su_base32_decode(b32, k->b, sizeof(k->b), &k->len), 0);
        char code[9];
        code_at(k, 0, code);
        su_msg_init(&req, SU_REQ_ENROLL_CONFIRM);
        su_msg_put_str(&req, SU_T_USER, "nobody");
        su_msg_put_str(&req, SU_T_ANSWER, code);
        CHECK_INT(call_once(&req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_OK);
}

int main(void)
{
        confdir = getenv("STEPUP_TEST_CONFDIR");
        sock = getenv("STEPUP_TEST_SOCKET");
        const char *hex = getenv("STEPUP_TEST_SECRET_HEX");
        const char *typed_path = getenv("STEPUP_TEST_TYPED");
        if (!confdir || !sock || !hex || !typed_path) {
                fprintf(stderr, "run me from run-metrics-tests.sh\n");
                return 2;
        }
        typed = fopen(typed_path, "we");
        if (!typed)
                return 2;
        setvbuf(typed, NULL, _IOLBF, 0);
        struct key root = {0}, nobody = {0};
        for (size_t i = 0; hex[2 * i] && i < sizeof(root.b); i++) {
                unsigned v;
                sscanf(hex + 2 * i, "%2x", &v);
                root.b[root.len++] = (uint8_t)v;
        }
        CHECK_INT(su_totp_init(), 0);
        char code[9];
        struct script s;
        static struct su_msg req, rep;

        /* allow x2, deny x1: no prompt */
        for (int i = 0; i < 2; i++) {
                s = (struct script){0};
                CHECK_INT(auth("mx-allow", "root", &s), PAM_SUCCESS);
                CHECK_INT(s.prompts, 0);
        }
        s = (struct script){0};
        CHECK_INT(auth("mx-deny", "root", &s), PAM_AUTH_ERR);

        /* challenge + success, then allowed on fresh assurance */
        code_at(&root, 0, code);
        s = (struct script){.answer = code};
        CHECK_INT(auth("mx-step", "root", &s), PAM_SUCCESS);
        CHECK_INT(s.prompts, 1);
        s = (struct script){0};
        CHECK_INT(auth("mx-step", "root", &s), PAM_SUCCESS);
        CHECK_INT(s.prompts, 0);

        /* revoke; a wrong code (failure); a failed conversation (abandoned) */
        su_msg_init(&req, SU_REQ_REVOKE);
        su_msg_put_str(&req, SU_T_USER, "root");
        CHECK_INT(call_once(&req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_OK);
        code_at(&root, 7, code);
        s = (struct script){.answer = code};
        CHECK_INT(auth("mx-step", "root", &s), PAM_AUTH_ERR);
        CHECK(strstr(s.last_error, "wrong verification code") != NULL);
        s = (struct script){.answer = NULL};
        CHECK_INT(auth("mx-step", "root", &s), PAM_CONV_ERR);

        /* nobody: a challenge held open on fd, three wrong codes (lockout_failures = 3) */
        enrol_nobody(&nobody);
        int fd = su_client_connect(sock, 2000);
        CHECK(fd >= 0);
        put_decide(&req, "mx-step", "nobody");
        CHECK_INT(call(fd, &req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        char id[33];
        snprintf(id, sizeof(id), "%s", su_msg_str(&rep, SU_T_CHALLENGE) ?: "");
        for (int i = 0; i < 3; i++) {
                code_at(&nobody, 5 + i, code);
                s = (struct script){.answer = code};
                CHECK_INT(auth("mx-step", "nobody", &s), PAM_AUTH_ERR);
                CHECK_INT(s.prompts, 1);
        }
        /* ...the held challenge is answered while locked: refused, outcome "locked" */
        code_at(&nobody, 0, code);
        su_msg_init(&req, SU_REQ_VERIFY);
        su_msg_put_str(&req, SU_T_CHALLENGE, id);
        su_msg_put_str(&req, SU_T_ANSWER, code);
        CHECK_INT(call(fd, &req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_DENY);
        CHECK(strstr(su_msg_str(&rep, SU_T_MESSAGE) ?: "", "locked") != NULL);
        close(fd);
        /* ...and a new request is denied without a prompt */
        s = (struct script){.answer = code};
        CHECK_INT(auth("mx-step", "nobody", &s), PAM_AUTH_ERR);
        CHECK_INT(s.prompts, 0);

        /* an invalid user name: denied, still one decision */
        put_decide(&req, "mx-allow", "bad user");
        CHECK_INT(call_once(&req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_DENY);
        fclose(typed);
        return check_done();
}
