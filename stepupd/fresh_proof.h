/* Changing one's factors needs a fresh proof with a factor one already has (or root, or a
 * first enrolment): a "local" challenge on the connection that grants nothing else. */
#pragma once
#include "call.h"

/* 1: the caller may go on.  0: rep holds a CHALLENGE (or a refusal) for the caller to answer
 * first.  Negative errno on failure. */
int su_fresh_proof(struct su_call *c, struct su_reply *rep);
