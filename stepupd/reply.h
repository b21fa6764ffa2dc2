/* A typed reply: what a handler answers.  The dispatch layer encodes it (one reply per
 * request) and counts the metrics from it; nothing is parsed back from encoded bytes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct su_reply {
        uint8_t type;  /* SU_REP_*; 0 while nothing is answered */
        uint32_t err;  /* ERROR: positive errno */
        uint32_t wait; /* DENY: seconds until a lockout or rate limit ends */
        bool echo;     /* CHALLENGE: the answer may be shown as it is typed */
        bool enter;    /* CHALLENGE: Enter alone answers (the idp factor's "once approved") */
        char message[1024];
        char rule[300];
        char challenge[33];
        char factor[33];
        char *prompt; /* CHALLENGE, malloc'd */
        char *body;   /* OK / ERROR text (diagnostics, new recovery codes): wiped when freed */
        json_t *data; /* OK: STATUS, LIST, STATS */
        /* ENROLL_BEGIN: the new secret and its parameters */
        bool has_totp;
        char secret[129];
        char user[257];
        uint32_t digits, period;
        char algo[17];
};

void su_reply_allow(struct su_reply *r, const char *rule);
void su_reply_deny(struct su_reply *r, const char *message, const char *rule, uint32_t wait);
/* Returns 0 so that a handler can `return su_reply_error(...)`. */
int su_reply_error(struct su_reply *r, int err, const char *message);
int su_reply_ok(struct su_reply *r, const char *message);
/* Takes data (a JSON object). */
int su_reply_ok_data(struct su_reply *r, json_t *data);
/* Wipes and frees what the reply holds; it can be used again. */
void su_reply_clear(struct su_reply *r);
/* The request's reply as a message (dispatch).  -E2BIG when it does not fit. */
int su_reply_encode(const struct su_reply *r, struct su_msg *out);
