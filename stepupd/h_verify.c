/* VERIFY: the answer to this connection's challenge (challenge.c does the work).  A challenge
 * never leaves the connection that got it: DECIDE's (root on the PAM socket), GATE's and a
 * local proof's (the user itself) are each answered by the peer that asked. */
#include "challenge.h"
#include "handlers.h"

int su_h_verify(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        return su_challenge_answer(c, rq->verify.challenge, rq->verify.answer, rep);
}
