/* VERIFY: the answer to this connection's challenge (challenge.c does the work).
 * Assurance-granting challenges are answered only by root on the PAM socket; a local proof
 * (re-enrolment gate) may be answered by the peer that asked for it on the user socket, and
 * so may a GATE challenge (stepup-ssh): the grant it makes is for that peer's own uid and
 * scope, and a challenge never leaves the connection that got it. */
#include <errno.h>

#include "challenge.h"
#include "handlers.h"

void su_handle_verify(struct su_conn *c, struct su_msg *req)
{
        bool local = c->pending && c->pending->local;
        bool gate = c->pending && c->pending->gate && c->kind == SU_SOCK_USER;
        if (!su_is_root_pam(c) && !local && !gate) {
                su_conn_void_challenge(c, "verification from a non-root peer");
                su_reply_error(c, EPERM, "verifications are only for root on the PAM socket");
                return;
        }
        su_challenge_answer(c, req);
}
