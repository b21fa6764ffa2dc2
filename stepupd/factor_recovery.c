/* The recovery-code factor: single-use codes (yescrypt hashes), also accepted at another
 * factor's prompt when the rule allows them in its place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "factor.h"
#include "recovery.h"
#include "secret_hash.h"

static int recovery_enrolled(struct su_call *c, const char *user, bool *ret)
{
        int n = c->db->store->ops->recovery_unused(c->db->store, user);
        *ret = n > 0;
        return n < 0 ? n : 0;
}

static int recovery_prompt(struct su_call *c, struct su_challenge *ch, struct su_reply *rep)
{
        rep->prompt = strdup("Recovery code: ");
        return rep->prompt ? 0 : -ENOMEM;
}

static bool recovery_claims(struct su_call *c, struct su_challenge *ch, const char *answer)
{
        char tag[SU_RECOVERY_TAG_LEN + 1], secret[SU_RECOVERY_SECRET_LEN + 1];
        bool mine = su_recovery_parse(answer, tag, secret) == 0 || su_recovery_is_scratch(answer);
        explicit_bzero(secret, sizeof(secret));
        return mine;
}

/* Finds the code: a tagged one costs one hash; an imported scratch code (8 digits) is tried
 * against each scratch row.  0 unused, -EALREADY used, -EACCES none. */
static int find_code(struct su_store *s, const char *user, const char *answer,
                     char tag[static SU_RECOVERY_TAG_LEN + 1])
{
        char secret[SU_RECOVERY_SECRET_LEN + 1];
        struct su_recovery_row row;
        int r = -EACCES;
        if (su_recovery_parse(answer, tag, secret) == 0) {
                int g = s->ops->recovery_get(s, user, tag, &row);
                if ((g == 0 || g == -EALREADY) && su_hash_check(secret, row.hash))
                        r = g;
                else if (g < 0 && g != -ENOENT && g != -EALREADY)
                        r = g;
        } else if (su_recovery_is_scratch(answer)) {
                for (int i = 0; i < SU_RECOVERY_CODES_MAX && r == -EACCES; i++) {
                        snprintf(tag, SU_RECOVERY_TAG_LEN + 1, "s%03d", i);
                        int g = s->ops->recovery_get(s, user, tag, &row);
                        if ((g == 0 || g == -EALREADY) && su_hash_check(answer, row.hash))
                                r = g;
                }
        }
        explicit_bzero(secret, sizeof(secret));
        explicit_bzero(&row, sizeof(row));
        return r;
}

static int recovery_verify(struct su_call *c, struct su_challenge *ch, const char *answer,
                           const struct su_grant *grant, bool *done)
{
        char tag[SU_RECOVERY_TAG_LEN + 1];
        struct su_store *s = c->db->store;
        *done = false;
        int r = find_code(s, ch->user, answer, tag);
        if (r < 0)
                return r;
        r = s->ops->recovery_consume(s, ch->user, tag, su_now_wall(), grant);
        *done = r == 0;
        return r;
}

static int recovery_status(struct su_call *c, const char *user, json_t *obj)
{
        int n = c->db->store->ops->recovery_unused(c->db->store, user);
        if (n < 0)
                return n;
        json_object_set_new(obj, "unused", json_integer(n));
        return 0;
}

const struct su_factor_ops su_factor_recovery = {
    .bit = SU_FACTOR_RECOVERY,
    .name = "recovery",
    .noun = "recovery code",
    .tables = SU_TAB_RECOVERY,
    .slow_verify = true,
    .offered_aside = true,
    .spends = true,
    .wrong = "wrong recovery code",
    .replay = "recovery code already used",
    .enrolled = recovery_enrolled,
    .prompt = recovery_prompt,
    .claims = recovery_claims,
    .verify = recovery_verify,
    .status = recovery_status,
};
