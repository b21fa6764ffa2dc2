/* One client conversation with stepupd, for the PAM module, the ssh gate and stepupctl:
 * connect, send a request, answer each CHALLENGE through a prompt callback with a VERIFY on
 * the same connection, until a final reply (ALLOW, DENY, ERROR or OK).  libc only.
 *
 * It says WHY a conversation failed, because that decides what a failmode may do: only
 * "stepupd is not running" (no socket file, or nobody listening on it) may be turned into an
 * allow by an admin's failmode=safe.  Everything else - a timeout, a reset, a malformed or
 * unexpected reply, too many rounds - can be caused by a local user (filling the daemon's
 * connections, racing it), so it is a denial whatever the failmode.  An explicit busy ERROR
 * (errno EBUSY) is a final reply like any ERROR: a denial too. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

#define SU_CONV_MAX_ROUNDS 16 /* challenges in one conversation (factors, questions, proofs) */

/* How to ask (flags of the prompt callback). */
enum {
        SU_ASK_ECHO = 1u << 0,  /* the answer may be shown as typed (SU_T_ECHO = 1) */
        SU_ASK_ENTER = 1u << 1, /* Enter alone is an answer, not giving up (SU_T_ENTER = 1) */
};

/* Asks the person: shows message first when not NULL, then prompt, and reads one answer into
 * answer (size bytes, NUL-terminated), echoing it only with SU_ASK_ECHO.  An empty answer
 * means "gave up" unless SU_ASK_ENTER.  Returns 0, or a negative errno that ends the
 * conversation (-ECANCELED: gave up). */
typedef int (*su_conv_prompt_fn)(void *userdata, const char *message, const char *prompt,
                                 unsigned flags, char *answer, size_t size);

struct su_conv {
        const char *socket;
        int timeout_ms;           /* connect, and each request's send and reply */
        su_conv_prompt_fn prompt; /* NULL: a CHALLENGE is an unexpected reply */
        void *userdata;
        /* A fresh-proof gate (stepupctl's enrolment changes): after a proof's ALLOW, the
         * request is sent again on the same connection and its reply counts. */
        bool repeat_after_proof;
};

enum su_conv_end {
        SU_CONV_REPLY,       /* rep holds the final reply: ALLOW, DENY, ERROR or OK */
        SU_CONV_NOT_RUNNING, /* the socket path does not exist, or connect() was refused */
        SU_CONV_BROKEN,      /* timeout, reset, malformed or unexpected reply, too many rounds */
        SU_CONV_PROMPT,      /* the prompt callback ended it (its errno is returned) */
};

struct su_conv_result {
        enum su_conv_end end;
        unsigned rounds; /* challenges answered (a VERIFY sent) */
};

/* Runs one conversation for req.  Returns 0 with res->end == SU_CONV_REPLY and the reply in
 * rep, or a negative errno with res->end saying which kind of failure it was.  Every answer
 * and VERIFY is wiped after use; the caller wipes rep. */
int su_conversation(const struct su_conv *c, const struct su_msg *req, struct su_msg *rep,
                    struct su_conv_result *res);

/* "stepupd is not running", "stepupd did not answer properly", ...: for logs and the user. */
const char *su_conv_end_name(enum su_conv_end end);
