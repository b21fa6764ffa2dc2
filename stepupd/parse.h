/* The parsers of the request table (methods.c): a decoded message into a typed request. */
#pragma once

#include <stddef.h>

#include "call.h"
#include "request.h"

/* Each returns 0, or a negative errno with why (for the ERROR reply) filled. */
typedef int su_parse_fn(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                        size_t whysize);
su_parse_fn su_parse_decide, su_parse_verify, su_parse_gate, su_parse_enroll_begin,
    su_parse_enroll_set, su_parse_enroll_confirm, su_parse_factor, su_parse_answers, su_parse_codes;
/* Wipes what a parsed request holds (answers, codes). */
void su_rq_wipe(struct su_rq *rq);
