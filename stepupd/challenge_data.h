/* One step-up in progress (data only): what the challenge engine (challenge.c) keeps on a
 * connection, and what a factor's ops (factor.h) may read and keep there. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "policy.h"

struct su_factor_ops;

struct su_challenge {
        char id[33];
        char user[SU_USER_MAX + 1];
        char service[65];
        char rule[300];
        char scope_key[128]; /* where the grant is recorded; "" for a local proof */
        uint32_t sets[SU_FACTOR_SETS_MAX];
        size_t nsets;
        uint32_t enrolled;                   /* factors the user has */
        uint32_t proven;                     /* factors proven in this challenge */
        const struct su_factor_ops *current; /* being asked */
        const struct su_factor_ops *aside;   /* may be typed at current's prompt, or NULL */
        void *state;                         /* current's own (prompt()/state_free()) */
        bool local;   /* proves the caller to stepupd itself (re-enrolment gate): no grant */
        bool counted; /* holds one of the user's challenge slots (limits.h) */
        enum su_failmode failmode; /* the rule's: when a network factor cannot be reached */
        const char *reason; /* current's word on its last verify (static or in state), or NULL */
        int64_t expires_boot;
        int64_t started_wall; /* when the step-up began (a remote proof must be newer) */
};
