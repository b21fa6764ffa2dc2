/* GATE (stepup-ssh, docs/ssh.md) and the decision step it shares with DECIDE. */
#pragma once

#include "manager.h"
#include "policy.h"

/* GATE on the user socket: the caller asks about a command for itself (its uid and scope);
 * replies like DECIDE, and a CHALLENGE may be answered by the same connection. */
void su_handle_gate(struct su_conn *c, const struct su_msg *req);

/* decide.c: policy, assurance lookup, lockout and challenge for a built request, and the
 * reply.  ssh_command (may be NULL) only goes into the audit events. */
void su_decide_reply(struct su_conn *c, const struct su_request *q, const char *ssh_command);
