/* The challenge engine: picks the factors that satisfy a rule, asks them one at a time on
 * the connection, verifies each answer and, once a factor set is complete, records the
 * grant.  Used by DECIDE/VERIFY (assurance for a scope) and by the user verbs that need a
 * fresh proof (re-enrolment, removal: "local" challenges that grant nothing). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "manager.h"

struct su_challenge_spec {
        const char *user;
        const char *service;
        const char *rule;
        const char *scope_key; /* NULL for a local proof */
        const uint32_t *sets;
        size_t nsets;
        const char *message; /* shown with the first prompt, may be NULL */
        const char *command; /* for the audit trail, may be NULL */
};

/* Starts a challenge and replies CHALLENGE.  Returns 0, or -ENOKEY when the user has no
 * enrolled factor set that satisfies the rule (nothing is replied then), or -ENOMEM. */
int su_challenge_begin(struct su_conn *c, const struct su_challenge_spec *spec);

/* Handles the answer to the connection's pending challenge (a VERIFY) and replies:
 * CHALLENGE for the next factor, ALLOW when a set is complete, DENY otherwise. */
void su_challenge_answer(struct su_conn *c, struct su_msg *req);

/* True when some set is a subset of have. */
bool su_factor_sets_satisfied(const uint32_t *sets, size_t nsets, uint32_t have);
