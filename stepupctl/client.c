#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "prompt.h"
#include "sockio.h"

int ctl_connect(const struct ctl *c)
{
        const char *path = geteuid() == 0 ? c->socket : c->user_socket;
        int fd = su_client_connect(path, c->timeout_ms);
        if (fd < 0)
                fprintf(stderr, "stepupctl: cannot connect to stepupd at %s: %s\n", path,
                        strerror(-fd));
        return fd;
}

int ctl_call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep)
{
        int fd = ctl_connect(c);
        if (fd < 0)
                return fd;
        int r = su_client_call(fd, req, rep, c->timeout_ms);
        close(fd);
        if (r < 0)
                fprintf(stderr, "stepupctl: no valid answer from stepupd: %s\n", strerror(-r));
        return r;
}

int ctl_report(const struct su_msg *rep)
{
        const char *text = su_msg_str(rep, SU_T_MESSAGE);
        if (rep->type == SU_REP_OK || rep->type == SU_REP_ALLOW) {
                if (text)
                        printf("%s\n", text);
                return 0;
        }
        fprintf(stderr, "stepupctl: %s\n", text ? text : su_msg_type_name(rep->type));
        const char *body = su_msg_str(rep, SU_T_BODY);
        if (body)
                fputs(body, stderr);
        return 1;
}

int ctl_call_gated(const struct ctl *c, const struct su_msg *req, struct su_msg *rep)
{
        int fd = ctl_connect(c);
        if (fd < 0)
                return fd;
        int r = su_client_call(fd, req, rep, c->timeout_ms);
        /* A CHALLENGE here is stepupd asking for a fresh proof before changing factors. */
        for (int round = 0; r >= 0 && rep->type == SU_REP_CHALLENGE && round < 16; round++) {
                const char *id = su_msg_str(rep, SU_T_CHALLENGE);
                const char *prompt = su_msg_str(rep, SU_T_PROMPT);
                const char *note = su_msg_str(rep, SU_T_MESSAGE);
                if (!id || !prompt) {
                        r = -EBADMSG;
                        break;
                }
                if (note)
                        fprintf(stderr, "%s\n", note);
                struct su_msg v;
                char answer[SU_ANSWER_MAX + 2];
                su_msg_init(&v, SU_REQ_VERIFY);
                su_msg_put_str(&v, SU_T_CHALLENGE, id);
                if (ctl_read_secret(prompt, answer, sizeof(answer)) < 0 ||
                    su_msg_put_str(&v, SU_T_ANSWER, answer) < 0) {
                        explicit_bzero(answer, sizeof(answer));
                        r = -ECANCELED;
                        break;
                }
                explicit_bzero(answer, sizeof(answer));
                r = su_client_call(fd, &v, rep, c->timeout_ms);
                su_msg_wipe(&v);
                if (r >= 0 && rep->type == SU_REP_ALLOW)
                        r = su_client_call(fd, req, rep, c->timeout_ms); /* proven: ask again */
        }
        close(fd);
        if (r == -ECANCELED)
                fprintf(stderr, "stepupctl: cancelled\n");
        else if (r < 0)
                fprintf(stderr, "stepupctl: no valid answer from stepupd: %s\n", strerror(-r));
        return r;
}

const char *ctl_opt_user(int argc, char **argv)
{
        static const struct option opts[] = {
            {"user", required_argument, NULL, 'u'},
            {"json", no_argument, NULL, 'j'},
            {},
        };
        const char *user = NULL;
        int o;
        optind = 1;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0)
                if (o == 'u')
                        user = optarg;
        return user;
}
