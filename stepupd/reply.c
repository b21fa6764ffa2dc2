#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void su_reply_allow(struct su_reply *r, const char *rule)
{
        r->type = SU_REP_ALLOW;
        snprintf(r->rule, sizeof(r->rule), "%s", rule ? rule : "");
}

void su_reply_deny(struct su_reply *r, const char *message, const char *rule, uint32_t wait)
{
        r->type = SU_REP_DENY;
        snprintf(r->message, sizeof(r->message), "%s", message);
        snprintf(r->rule, sizeof(r->rule), "%s", rule ? rule : "");
        r->wait = wait;
}

int su_reply_error(struct su_reply *r, int err, const char *message)
{
        r->type = SU_REP_ERROR;
        r->err = (uint32_t)(err < 0 ? -err : err);
        snprintf(r->message, sizeof(r->message), "%s", message);
        return 0;
}

int su_reply_ok(struct su_reply *r, const char *message)
{
        r->type = SU_REP_OK;
        snprintf(r->message, sizeof(r->message), "%s", message ? message : "");
        return 0;
}

int su_reply_ok_data(struct su_reply *r, json_t *data)
{
        if (!data)
                return -ENOMEM;
        r->type = SU_REP_OK;
        json_decref(r->data);
        r->data = data;
        return 0;
}

void su_reply_clear(struct su_reply *r)
{
        if (r->body) {
                explicit_bzero(r->body, strlen(r->body));
                free(r->body);
        }
        free(r->prompt);
        json_decref(r->data);
        explicit_bzero(r, sizeof(*r));
}

static int put(struct su_msg *m, enum su_tag tag, const char *s)
{
        return s && *s ? su_msg_put_str(m, tag, s) : 0;
}

int su_reply_encode(const struct su_reply *r, struct su_msg *out)
{
        int e = 0;
        su_msg_init(out, r->type);
        switch (r->type) {
        case SU_REP_ALLOW:
                e |= put(out, SU_T_RULE, r->rule);
                e |= put(out, SU_T_MESSAGE, r->message);
                break;
        case SU_REP_DENY:
                e |= put(out, SU_T_MESSAGE, r->message);
                e |= put(out, SU_T_RULE, r->rule);
                if (r->wait)
                        e |= su_msg_put_u32(out, SU_T_WAIT, r->wait);
                break;
        case SU_REP_CHALLENGE:
                e |= put(out, SU_T_CHALLENGE, r->challenge);
                e |= put(out, SU_T_PROMPT, r->prompt);
                e |= put(out, SU_T_FACTOR, r->factor);
                e |= put(out, SU_T_RULE, r->rule);
                e |= put(out, SU_T_MESSAGE, r->message);
                if (r->echo)
                        e |= su_msg_put_u32(out, SU_T_ECHO, 1);
                if (r->enter)
                        e |= su_msg_put_u32(out, SU_T_ENTER, 1);
                break;
        case SU_REP_ERROR:
                e |= su_msg_put_u32(out, SU_T_ERRNO, r->err);
                e |= put(out, SU_T_MESSAGE, r->message);
                e |= put(out, SU_T_BODY, r->body);
                break;
        case SU_REP_OK:
                e |= put(out, SU_T_MESSAGE, r->message);
                e |= put(out, SU_T_BODY, r->body);
                if (r->has_totp) {
                        e |= put(out, SU_T_SECRET, r->secret);
                        e |= put(out, SU_T_USER, r->user);
                        e |= su_msg_put_u32(out, SU_T_DIGITS, r->digits);
                        e |= su_msg_put_u32(out, SU_T_PERIOD, r->period);
                        e |= put(out, SU_T_ALGO, r->algo);
                }
                if (r->data) {
                        char *json = json_dumps(r->data, JSON_COMPACT | JSON_SORT_KEYS);
                        if (!json)
                                return -ENOMEM;
                        e |= su_msg_put_str(out, SU_T_DATA, json);
                        free(json);
                }
                break;
        default:
                return -EINVAL;
        }
        return e ? -E2BIG : 0;
}
