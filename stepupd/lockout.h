/* Lockout and rate limit for verification attempts, in words a user can act on. */
#pragma once
#include <stddef.h>

#include "call.h"

/* Fills DENY and returns 1 when the user is locked out or rate-limited now, 0 when not,
 * negative errno when the state cannot be read (the caller refuses). */
int su_lockout_check(struct su_call *c, const char *user, const char *rule, struct su_reply *rep);
/* Counts one attempt atomically before an answer is looked at: 1 with DENY filled when the
 * user may not try now, 0 when counted, negative errno when it cannot be recorded. */
int su_lockout_admit(struct su_call *c, const char *user, const char *rule, struct su_reply *rep);
/* Counts a failed answer (durable, audited) and writes the message for the user. */
void su_lockout_failure(struct su_call *c, const char *user, const char *rule, const char *factor,
                        const char *reason, char *text, size_t size);
/* Seconds the user is locked for now (0: not locked), for STATUS. */
int64_t su_lockout_seconds(struct su_call *c, const struct su_failures *f);
