/* The request table: every message type, the socket(s) it may arrive on, who may send it,
 * the user it is about, its parser into a typed request, its handler, and where it runs.
 * Authorisation is done once, by dispatch.c, from this table. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "handlers.h"
#include "parse.h"
#include "request.h"

enum su_sock_mask { SU_ON_PAM = 1u << SU_SOCK_PAM, SU_ON_USER = 1u << SU_SOCK_USER };

enum su_who {
        SU_WHO_ROOT_PAM,   /* root on the PAM socket */
        SU_WHO_ROOT,       /* root, on either socket */
        SU_WHO_SELF,       /* anyone about itself; root about anyone (USER field) */
        SU_WHO_ANYONE,     /* anyone; the request is about no user, or the caller itself */
        SU_WHO_CONNECTION, /* the peer that holds the challenge on this connection */
};

enum su_about {
        SU_ABOUT_NONE,   /* no user */
        SU_ABOUT_NAMED,  /* the USER field, required (root's verbs) */
        SU_ABOUT_SELF,   /* the caller, or whom root names */
        SU_ABOUT_CALLER, /* always the caller itself, whatever the message says */
};

enum su_lane {
        SU_LANE_INLINE, /* on the connection's event-loop thread (fast: no writes, no hashing) */
        SU_LANE_POOL,   /* on the pool (durable writes, hashing, network stores) */
};

struct su_method {
        uint8_t type;
        const char *name;
        unsigned sockets; /* enum su_sock_mask */
        enum su_who who;
        enum su_about about;
        enum su_lane lane;
        bool peer_proc; /* reads the caller's /proc snapshot (scope, tty, remote) */
        su_parse_fn *parse;
        su_handler_fn *handle;
};

/* The entry for a message type, or NULL. */
const struct su_method *su_method_find(uint8_t type);
/* Every entry, for tests and docs. */
extern const struct su_method su_methods[];
extern const size_t su_nmethods;
