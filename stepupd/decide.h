/* The decision for one request (DECIDE from the PAM module, GATE from stepup-ssh): policy,
 * session assurance, lockout, challenge.  The caller's remote verdict comes from the peer
 * snapshot. */
#pragma once

#include "call.h"
#include "policy.h"

/* Fills rep (ALLOW, DENY or CHALLENGE) for q.  ssh_command: GATE's typed command for the
 * audit trail, else NULL.  -EWOULDBLOCK when it must run on the pool (nothing done then). */
int su_decide(struct su_call *c, const struct su_request *q, const char *ssh_command,
              struct su_reply *rep);

/* "file:line" of the deciding rule, or "(no rule matched)". */
void su_rule_name(const struct su_decision *d, char *out, size_t size);
