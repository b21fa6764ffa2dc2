#include "fresh_proof.h"

#include <errno.h>

#include "challenge.h"
#include "clocks.h"
#include "lockout.h"

#define LOCAL_RULE "(enrolment change)"

int su_fresh_proof(struct su_call *c, struct su_reply *rep)
{
        if (c->peer.uid == 0)
                return 1;
        if (su_call_must_defer(c))
                return -EWOULDBLOCK;
        uint32_t have;
        int r = su_factors_enrolled(c, c->user, &have);
        if (r < 0)
                return r;
        /* A first enrolment needs no proof; a factor the admin provides to every user (the
         * identity provider) is no enrolment of the user's own, but it can prove a change. */
        if ((have & ~su_factors_provided()) == 0 ||
            (c->session->local_proof_until && su_now_boot() <= c->session->local_proof_until))
                return 1; /* first enrolment, or proven on this connection just now */
        r = su_lockout_check(c, c->user, LOCAL_RULE, rep);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Any one factor the user has proves it is them. */
        uint32_t sets[SU_FACTOR_SETS_MAX];
        size_t n = 0;
        for (size_t i = 0; i < su_nfactors && n < SU_FACTOR_SETS_MAX; i++)
                if (have & su_factors[i]->bit)
                        sets[n++] = su_factors[i]->bit;
        struct su_challenge_spec spec = {
            .user = c->user,
            .service = "stepupctl",
            .rule = LOCAL_RULE,
            .scope_key = NULL,
            .sets = sets,
            .nsets = n,
            .message = "Changing your factors needs a fresh proof with one you have.",
        };
        r = su_challenge_begin(c, &spec, rep);
        if (r == -ENOKEY)
                su_reply_error(rep, ENOKEY, "no factor can prove this change; ask an admin");
        else if (r == -EBUSY)
                su_reply_error(rep, EBUSY, "too many step-ups open for this user");
        else if (r < 0)
                return r;
        return 0;
}
