/* The TOTP factor (RFC 6238, liboath): a code from the user's authenticator app. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "factor.h"
#include "totp.h"

static int totp_enrolled(struct su_call *c, const char *user, bool *ret)
{
        struct su_totp_row t;
        int r = c->db->store->ops->totp_get(c->db->store, user, &t);
        *ret = r == 0 && t.active;
        explicit_bzero(&t, sizeof(t));
        return r == -ENOENT ? 0 : r;
}

static int totp_prompt(struct su_call *c, struct su_challenge *ch, struct su_reply *rep)
{
        char p[128];
        if (ch->aside)
                snprintf(p, sizeof(p), "Verification code (or a %s): ", ch->aside->noun);
        else
                snprintf(p, sizeof(p), "Verification code: ");
        rep->prompt = strdup(p);
        return rep->prompt ? 0 : -ENOMEM;
}

/* An all-digit answer of the user's code length is always a TOTP code. */
static bool totp_claims(struct su_call *c, struct su_challenge *ch, const char *answer)
{
        struct su_totp_row t;
        bool digits = *answer != 0;
        for (const char *p = answer; *p; p++)
                digits &= *p >= '0' && *p <= '9';
        if (!digits || c->db->store->ops->totp_get(c->db->store, ch->user, &t) < 0)
                return false;
        bool mine = strlen(answer) == t.params.digits;
        explicit_bzero(&t, sizeof(t));
        return mine;
}

static int totp_verify(struct su_call *c, struct su_challenge *ch, const char *answer,
                       const struct su_grant *grant, bool *done)
{
        struct su_totp_row t;
        int64_t step;
        int r = c->db->store->ops->totp_get(c->db->store, ch->user, &t);
        if (r == -ENOENT || (r == 0 && !t.active))
                r = -EACCES;
        if (r == 0)
                r = su_totp_verify(t.secret, t.secret_len, &t.params, su_now_wall(), answer,
                                   t.last_step, &step);
        explicit_bzero(&t, sizeof(t));
        if (r == -EINVAL)
                r = -EACCES;
        if (r < 0)
                return r;
        /* Durable before the answer goes out: a crash after this keeps the step used. */
        r = c->db->store->ops->totp_consume(c->db->store, ch->user, step, grant);
        *done = r == 0;
        return r;
}

static int totp_status(struct su_call *c, const char *user, json_t *obj)
{
        struct su_totp_row t;
        struct su_store *s = c->db->store;
        int r = s->ops->totp_get(s, user, &t);
        if (r < 0 && r != -ENOENT)
                return r;
        json_object_set_new(obj, "state",
                            json_string(r == -ENOENT ? "none"
                                        : t.active   ? "active"
                                                     : "pending"));
        if (r == 0) {
                json_object_set_new(obj, "algorithm",
                                    json_string(su_totp_algo_name(t.params.algo)));
                json_object_set_new(obj, "digits", json_integer(t.params.digits));
                json_object_set_new(obj, "period", json_integer(t.params.period));
                json_object_set_new(obj, "window", json_integer(t.params.window));
        }
        explicit_bzero(&t, sizeof(t));
        r = s->ops->totp_pending_get(s, user, &t);
        explicit_bzero(&t, sizeof(t));
        if (r < 0 && r != -ENOENT)
                return r;
        json_object_set_new(obj, "pending", json_boolean(r == 0));
        return 0;
}

const struct su_factor_ops su_factor_totp = {
    .bit = SU_FACTOR_TOTP,
    .name = "totp",
    .noun = "verification code",
    .tables = SU_TAB_TOTP,
    .wrong = "wrong verification code",
    .replay = "verification code already used",
    .enrolled = totp_enrolled,
    .prompt = totp_prompt,
    .claims = totp_claims,
    .verify = totp_verify,
    .status = totp_status,
};
