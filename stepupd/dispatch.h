/* Dispatch: from a decoded message to one typed reply.  The table (methods.c) decides who may
 * send it; the caller's facts are read once (the peer snapshot); the handler runs on this
 * thread or, when it must, on the pool; the reply is counted and encoded here. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "call.h"
#include "methods.h"
#include "parse.h"
#include "request.h"

struct su_job {
        struct su_msg msg; /* the decoded request; wiped with the job */
        const struct su_method *method;
        struct su_rq rq;
        struct su_call call;
        struct su_reply reply;
        uint64_t arrival_us;
        bool close_after; /* a protocol error: the connection closes after the reply */
};

enum su_step {
        SU_STEP_DONE, /* job->reply holds the answer */
        SU_STEP_RUN,  /* run the handler on this thread */
        SU_STEP_POOL, /* run it (again) on the pool */
};

/* A job for a request that arrived at arrival_us on a connection of this peer. */
void su_job_init(struct su_job *j, struct su_ctx *x, struct su_session *s, enum su_sock_kind sock,
                 uid_t uid, gid_t gid, pid_t pid, uint64_t arrival_us);
/* After the message is decoded into j->msg: the table, authorisation, parsing, the peer
 * snapshot.  DONE when refused (the reply says why), else where to run it. */
enum su_step su_dispatch_begin(struct su_job *j);
/* Runs the handler with this thread's databases; in_pool on a pool thread. */
enum su_step su_dispatch_run(struct su_job *j, struct su_db *db, bool in_pool);
/* The reply as a message, and the request's metrics.  -errno when it cannot be encoded
 * (out then holds an ERROR). */
int su_dispatch_end(struct su_job *j, struct su_msg *out);
/* A message that does not decode. */
void su_dispatch_malformed(struct su_job *j);
/* The pool is full for this caller: the job ends with ERROR EBUSY. */
void su_dispatch_busy(struct su_job *j, const char *why);
void su_job_release(struct su_job *j);

/* A connection closes or times out: its pending challenge is abandoned (audited). */
void su_dispatch_session_end(struct su_ctx *x, struct su_session *s, const char *why);
