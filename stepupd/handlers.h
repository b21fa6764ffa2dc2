/* The request handlers: each gets a typed request from the dispatch table (methods.c), with
 * the caller already authorised and call->user resolved, and fills a typed reply or returns a
 * negative errno (the dispatch layer answers ERROR then).  -EWOULDBLOCK: run me on the pool.
 * Handlers never touch a connection. */
#pragma once

#include "call.h"
#include "request.h"

typedef int su_handler_fn(struct su_call *c, const struct su_rq *rq, struct su_reply *rep);

su_handler_fn su_h_decide, su_h_gate, su_h_verify, su_h_status, su_h_list, su_h_revoke,
    su_h_enroll_begin, su_h_enroll_confirm, su_h_enroll_set, su_h_questions_get, su_h_questions_set,
    su_h_recovery_new, su_h_recovery_set, su_h_remove, su_h_reset, su_h_forget, su_h_unlock,
    su_h_reload, su_h_stats;
