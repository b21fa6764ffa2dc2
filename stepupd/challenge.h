/* The challenge engine: picks the factors that satisfy a rule, asks them one at a time on
 * the connection, verifies each answer and, once a factor set is complete, records the grant.
 * Used by DECIDE/GATE/VERIFY (assurance for a scope) and by the user verbs that need a fresh
 * proof (re-enrolment, removal: "local" challenges that grant nothing).  It knows factors
 * only through su_factors[] (factor.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "challenge_data.h"
#include "factors.h"
#include "policy.h"

struct su_challenge_spec {
        const char *user;
        const char *service;
        const char *rule;
        const char *scope_key; /* NULL for a local proof */
        const uint32_t *sets;
        size_t nsets;
        const char *message;       /* shown with the first prompt, may be NULL */
        enum su_failmode failmode; /* the rule's (SU_FAILMODE_DEFAULT: secure) */
};

/* Starts a challenge on the call's connection and fills rep with CHALLENGE.  -ENOKEY when
 * the user has no enrolled factor set that satisfies the rule, -EBUSY when the user has too
 * many challenges open, -EWOULDBLOCK when it must run on the pool; nothing replied then.
 * Any other error: the factor's service cannot be reached (the caller's failmode decides). */
int su_challenge_begin(struct su_call *c, const struct su_challenge_spec *spec,
                       struct su_reply *rep);

/* The answer to the connection's pending challenge: CHALLENGE for the next round (or the same
 * one again, when a factor is still waiting for an approval elsewhere), ALLOW when a set is
 * complete, DENY otherwise.  A network factor that cannot be reached gets the rule's failmode
 * (safe: ALLOW without a grant, logged at LOG_CRIT).  -EWOULDBLOCK (nothing spent) when it
 * must run on the pool. */
int su_challenge_answer(struct su_call *c, const char *id, const char *answer,
                        struct su_reply *rep);

/* Ends a session's pending challenge (replaced, timed out, connection closed), audited. */
void su_challenge_abandon(struct su_ctx *x, const struct su_audit_req *rq, struct su_session *s,
                          const char *why);

/* Words for a failure of su_challenge_begin/answer that makes a step-up unavailable. */
const char *su_challenge_unavailable_text(int err);
/* Whether the rule's failmode may decide after err: not when the daemon is merely busy
 * (-ENOBUFS: its own caps, which a local user can fill), only when the service is
 * unreachable. */
bool su_challenge_failmode_applies(int err);

/* True when some set is a subset of have. */
bool su_factor_sets_satisfied(const uint32_t *sets, size_t nsets, uint32_t have);
