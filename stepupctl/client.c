/* stepupctl's side of the conversation with stepupd (common/client.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client.h"
#include "ctl.h"
#include "prompt.h"

/* The conversation's prompt, at the terminal (echo off unless stepupd says it may echo). */
static int ask(void *userdata, const char *note, const char *prompt, unsigned flags, char *answer,
               size_t size)
{
        if (note)
                fprintf(stderr, "%s\n", note);
        if (!(flags & SU_ASK_ECHO))
                return ctl_read_secret(prompt, answer, size) < 0 ? -ECANCELED : 0;
        fputs(prompt, stderr);
        fflush(stderr);
        return ctl_read_line(answer, size) < 0 ? -ECANCELED : 0;
}

static int call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep, bool gated)
{
        const char *path = geteuid() == 0 ? c->socket : c->user_socket;
        const struct su_conv conv = {.socket = path,
                                     .timeout_ms = c->timeout_ms,
                                     .prompt = gated ? ask : NULL,
                                     .repeat_after_proof = gated};
        struct su_conv_result res;
        int r = su_conversation(&conv, req, rep, &res);
        if (r >= 0)
                return r;
        if (res.end == SU_CONV_NOT_RUNNING)
                fprintf(stderr, "stepupctl: stepupd is not running (%s: %s)\n", path, strerror(-r));
        else if (res.end == SU_CONV_PROMPT)
                fprintf(stderr, "stepupctl: cancelled\n");
        else
                fprintf(stderr, "stepupctl: no valid answer from stepupd at %s: %s\n", path,
                        strerror(-r));
        return r;
}

int ctl_call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep)
{
        return call(c, req, rep, false);
}

int ctl_call_gated(const struct ctl *c, const struct su_msg *req, struct su_msg *rep)
{
        return call(c, req, rep, true);
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

int ctl_reply_data(const struct su_msg *rep, json_t **ret)
{
        const char *data = su_msg_str(rep, SU_T_DATA);
        json_error_t err;
        json_t *o = data ? json_loads(data, JSON_REJECT_DUPLICATES, &err) : NULL;
        if (!json_is_object(o)) {
                json_decref(o);
                return -EBADMSG;
        }
        *ret = o;
        return 0;
}
