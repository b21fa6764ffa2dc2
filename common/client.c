/* The client conversation (client.h): one loop for the module, the gate and the CLI. */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockio.h"

static bool final_reply(uint8_t type)
{
        return type == SU_REP_ALLOW || type == SU_REP_DENY || type == SU_REP_ERROR ||
               type == SU_REP_OK;
}

/* One challenge: ask, then VERIFY on fd; the reply lands in rep. */
static int answer_challenge(const struct su_conv *c, int fd, struct su_msg *rep,
                            struct su_msg *verify, struct su_conv_result *res)
{
        const char *id = su_msg_str(rep, SU_T_CHALLENGE);
        const char *prompt = su_msg_str(rep, SU_T_PROMPT);
        uint32_t echo = 0, enter = 0;
        char answer[SU_ANSWER_MAX + 1];
        int r;

        if (!id || !prompt)
                return -EBADMSG;
        (void)su_msg_u32(rep, SU_T_ECHO, &echo);
        (void)su_msg_u32(rep, SU_T_ENTER, &enter);
        unsigned flags = (echo == 1 ? SU_ASK_ECHO : 0u) | (enter == 1 ? SU_ASK_ENTER : 0u);
        answer[0] = '\0';
        r = c->prompt(c->userdata, su_msg_str(rep, SU_T_MESSAGE), prompt, flags, answer,
                      sizeof(answer));
        if (r >= 0 && answer[0] == '\0' && !(flags & SU_ASK_ENTER))
                r = -ECANCELED; /* nothing typed: gave up; never sent */
        if (r < 0) {
                explicit_bzero(answer, sizeof(answer));
                res->end = SU_CONV_PROMPT;
                return r;
        }
        su_msg_init(verify, SU_REQ_VERIFY);
        r = su_msg_put_str(verify, SU_T_CHALLENGE, id);
        if (r >= 0)
                r = su_msg_put_str(verify, SU_T_ANSWER, answer);
        explicit_bzero(answer, sizeof(answer));
        if (r < 0) {
                /* an answer the protocol cannot carry (too long, control bytes) */
                su_msg_wipe(verify);
                res->end = SU_CONV_PROMPT;
                return r;
        }
        res->rounds++;
        r = su_client_call(fd, verify, rep, c->timeout_ms);
        su_msg_wipe(verify);
        return r;
}

int su_conversation(const struct su_conv *c, const struct su_msg *req, struct su_msg *rep,
                    struct su_conv_result *res)
{
        struct su_msg *verify = NULL;
        int fd, r;

        *res = (struct su_conv_result){.end = SU_CONV_BROKEN};
        fd = su_client_connect(c->socket, c->timeout_ms);
        if (fd < 0) {
                /* only these two mean "nobody is there"; a full backlog is a timeout */
                if (fd == -ENOENT || fd == -ECONNREFUSED)
                        res->end = SU_CONV_NOT_RUNNING;
                return fd;
        }
        r = su_client_call(fd, req, rep, c->timeout_ms);
        while (r >= 0 && !final_reply(rep->type)) {
                if (rep->type != SU_REP_CHALLENGE || !c->prompt) {
                        r = -EBADMSG;
                        break;
                }
                if (res->rounds >= SU_CONV_MAX_ROUNDS) {
                        r = -ELOOP; /* bounded: a confused daemon cannot keep us here */
                        break;
                }
                if (!verify && !(verify = malloc(sizeof(*verify)))) {
                        r = -ENOMEM;
                        break;
                }
                r = answer_challenge(c, fd, rep, verify, res);
                if (r >= 0 && c->repeat_after_proof && rep->type == SU_REP_ALLOW)
                        r = su_client_call(fd, req, rep, c->timeout_ms); /* proven: again */
        }
        if (r >= 0)
                res->end = SU_CONV_REPLY;
        close(fd); /* voids a challenge left unanswered */
        free(verify);
        return r;
}

const char *su_conv_end_name(enum su_conv_end end)
{
        switch (end) {
        case SU_CONV_REPLY:
                return "stepupd answered";
        case SU_CONV_NOT_RUNNING:
                return "stepupd is not running";
        case SU_CONV_BROKEN:
                return "stepupd did not answer properly";
        case SU_CONV_PROMPT:
                return "no answer was given";
        }
        return "unknown";
}
