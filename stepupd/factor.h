/* The factor interface: everything the daemon knows about one kind of proof lives in one
 * file that fills one of these (factor_totp.c, factor_question.c, factor_recovery.c,
 * factor_idp.c).  The
 * challenge engine, the lifecycle verbs and STATUS/LIST iterate su_factors[] (factors.h) and
 * never name a particular factor.  Adding one: docs/architecture.md, "Adding a factor". */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "challenge_data.h"
#include "store.h"

struct su_factor_ops {
        uint32_t bit;       /* the policy's bit (policy.h SU_FACTOR_*); name is its keyword */
        const char *name;   /* policy keyword, audit STEPUP_FACTOR, metrics label */
        const char *noun;   /* what the user types, for prompts: "recovery code" */
        unsigned tables;    /* what it keeps in the store (enum su_store_table) */
        bool slow_verify;   /* an answer costs milliseconds of CPU (password hashing) */
        bool offered_aside; /* may be typed at another factor's prompt, when a set allows */
        bool spends;        /* proving it uses something up: asked only when nothing else can */
        /* prompt() and verify() wait on a network service (an identity provider): they run
         * on the pool, a few at a time (caps.h), and when the service cannot be reached the
         * rule's failmode decides, as for a step-up that cannot begin. */
        bool waits_network;
        /* The answer proves nothing by itself (Enter, once approved elsewhere): nothing to
         * guess, so pressing it is no attempt for the rate limit; a lockout still refuses,
         * and a refusal at the source (-EACCES) counts as a failure. */
        bool unguessable;
        /* Nothing the user enrolled here: the admin's configuration provides it to users
         * (a first enrolment of another factor needs no proof with it). */
        bool provided;
        const char *wrong;  /* audit reason and user message for a wrong answer */
        const char *replay; /* ... for an answer already used */

        /* Is the user enrolled (in a state that can answer a challenge)? */
        int (*enrolled)(struct su_call *c, const char *user, bool *ret);
        /* Starts this factor's round of ch: rep->prompt (malloc'd), rep->echo, rep->enter.
         * ch->state is kept between rounds: a factor finding its state continues (the next
         * question, or the same approval asked again after -EINPROGRESS). */
        int (*prompt)(struct su_call *c, struct su_challenge *ch, struct su_reply *rep);
        /* Does answer look like one of this factor's (a recovery code at the TOTP prompt)? */
        bool (*claims)(struct su_call *c, struct su_challenge *ch, const char *answer);
        /* Checks an answer: 0 proven, -EACCES wrong (a failure), -EALREADY already used,
         * -EINPROGRESS not yet (the same round is asked again: nothing counted or spent),
         * -ETIME the proof's time ran out at its source (no failure counted), other -errno
         * unavailable.  ch->reason (static, or in ch->state) may say why, for the audit event and
         * the user, in place of wrong.  *done: the factor is complete (a factor may take several
         * rounds).  When done and grant is non-NULL, the grant is recorded with what the
         * proof consumes, in one transaction. */
        int (*verify)(struct su_call *c, struct su_challenge *ch, const char *answer,
                      const struct su_grant *grant, bool *done);
        /* Its columns in STATUS and LIST: fields added to obj. */
        int (*status)(struct su_call *c, const char *user, json_t *obj);
        /* Frees what prompt() left in ch->state (may be NULL). */
        void (*state_free)(void *state);
};

extern const struct su_factor_ops su_factor_totp, su_factor_question, su_factor_recovery,
    su_factor_idp;
