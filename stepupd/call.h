/* One request as the handlers and services see it: who asks (the kernel's word), about which
 * user, with which rules, on which thread's database connections.  Data only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "ctx.h"
#include "peer.h"
#include "reply.h"
#include "store.h"

#define SU_USER_MAX 256

enum su_sock_kind { SU_SOCK_PAM = 0, SU_SOCK_USER = 1 };

struct su_challenge; /* challenge.h */

/* What a connection keeps between its requests. */
struct su_session {
        struct su_challenge *pending; /* the open challenge: it never leaves its connection */
        int64_t local_proof_until;    /* boot clock: a factor was proven on this connection */
};

/* A thread's own connections to the databases. */
struct su_db {
        struct su_sqldb *local; /* this host's SQLite (session assurance) */
        struct su_store *store; /* the shared state (the same file, or PostgreSQL) */
};

struct su_call {
        struct su_ctx *ctx;
        struct su_db *db;
        struct su_rules *rules;
        struct su_session *session;
        struct su_peer peer; /* SO_PEERCRED always; /proc when the method reads it */
        struct su_audit_req audit;
        enum su_sock_kind sock;
        char user[SU_USER_MAX + 1]; /* the user the request is about (dispatch resolves it) */
        char challenge_service[65]; /* VERIFY: its challenge's service, kept for the counters
                                     * after the challenge is freed */
        uint32_t phase;             /* DECIDE: the PAM phase that asks (audit), else 0 */
        bool in_pool;               /* on a pool thread: may wait on a network store */
};

/* True when the store may only be used from the pool (a network backend). */
static inline bool su_call_must_defer(const struct su_call *c)
{
        return !c->in_pool && c->db->store->ops->blocking;
}
