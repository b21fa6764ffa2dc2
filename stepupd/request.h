/* Typed requests (data only): what each message carries once parse.c has checked its fields
 * at the edge.  Strings point into the decoded message, which outlives the request. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "call.h"
#include "store.h"
#include "totp.h"

/* DECIDE */
struct su_rq_decide {
        const char *service, *user, *ruser, *tty, *rhost, *command, *target_user, *target_group;
        uint32_t phase;
};

/* VERIFY */
struct su_rq_verify {
        const char *challenge, *answer;
};

/* GATE: the command ("path args" or "shell"); the typed ssh command for the audit trail */
struct su_rq_gate {
        const char *command, *ssh_command;
};

/* ENROLL_BEGIN, ENROLL_SET, ENROLL_CONFIRM */
struct su_rq_enroll {
        struct su_totp_params params;
        bool window_given, period_given;
        const char *secret; /* ENROLL_SET: base32 */
        const char *answer; /* ENROLL_CONFIRM: the code */
};

/* REMOVE, RESET: one factor's bit, or every factor when none is named */
struct su_rq_factor {
        uint32_t mask;
        const char *name; /* as given, or NULL */
};

/* QUESTIONS_SET: answers checked before anything costly is done */
struct su_rq_answers {
        size_t n;
        char qid[SU_QUESTIONS_PER_USER_MAX][SU_QID_MAX + 1];
        char *answer[SU_QUESTIONS_PER_USER_MAX]; /* into su_rq.owned */
};

/* RECOVERY_SET: imported scratch codes (8 digits each) */
struct su_rq_codes {
        size_t n;
        char code[SU_RECOVERY_CODES_MAX][16];
};

struct su_rq {
        union {
                struct su_rq_decide decide;
                struct su_rq_verify verify;
                struct su_rq_gate gate;
                struct su_rq_enroll enroll;
                struct su_rq_factor factor;
                struct su_rq_answers answers;
                struct su_rq_codes codes;
        };
        char *owned; /* text a parser copied (answers): wiped and freed with the request */
};
