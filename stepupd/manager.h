/* The daemon's state: event loop, listening sockets, policy, store, connections. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "policy.h"
#include "proto.h"
#include "questions.h"
#include "settings.h"
#include "store.h"

enum su_sock_kind { SU_SOCK_PAM = 0, SU_SOCK_USER = 1 };

#define SU_ASK_MAX 8 /* security questions asked in one challenge */

/* One pending step-up on a connection: which factor sets would satisfy the rule, what was
 * proven so far, and the factor being asked now.  See challenge.c. */
struct su_challenge {
        char id[33];
        char user[257];
        char service[65];
        char rule[300];
        char scope_key[128]; /* where the grant is recorded; "" for a local proof */
        uint32_t sets[SU_FACTOR_SETS_MAX];
        size_t nsets;
        uint32_t enrolled; /* factors the user has */
        uint32_t proven;   /* factors proven in this challenge */
        uint32_t current;  /* factor being asked */
        char qids[SU_ASK_MAX][33];
        size_t nq, qpos;
        bool local; /* proves the caller to stepupd itself (re-enrolment gate): no assurance */
        bool gate;  /* from GATE on the user socket: its own peer may answer (gate.c) */
        int64_t expires_boot;
};

struct su_conn {
        struct su_manager *m;
        int fd;
        enum su_sock_kind kind;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        sd_event_source *io;
        sd_event_source *timer;
        uint8_t in[SU_FRAME_HDR + SU_MSG_MAX];
        size_t in_len;
        uint8_t out[SU_FRAME_HDR + SU_MSG_MAX];
        size_t out_len, out_pos;
        bool close_after_write;
        struct su_challenge *pending;
        int64_t local_proof_until; /* boot clock: the peer proved a factor on this connection */
        struct su_conn *prev, *next;
};

struct su_manager {
        struct su_config cfg;
        sd_event *event;
        int listen_fd[2];
        bool bound_ourselves[2]; /* unlink the node on exit */
        sd_event_source *listen_src[2];
        struct su_policy *policy;
        struct su_catalogue *questions; /* the admin's question catalogue (may be empty) */
        struct su_store *store;
        char boot_id[SU_BOOT_ID_LEN + 1];
        unsigned n_conns;
        struct su_conn *conns;
};

int su_manager_new(struct su_manager **ret, struct su_config *cfg);
int su_manager_startup(struct su_manager *m);
int su_manager_run(struct su_manager *m);
struct su_manager *su_manager_free(struct su_manager *m);

/* Reloads the policy; on error the old one stays and diagnostics go to body (may be NULL). */
int su_manager_reload(struct su_manager *m, char *body, size_t size);

/* conn.c */
int su_conn_accept(struct su_manager *m, int listen_fd, enum su_sock_kind kind);
void su_conn_free(struct su_conn *c);
/* Queues a reply on the connection (called by the handlers). */
int su_conn_reply(struct su_conn *c, const struct su_msg *rep);
void su_conn_void_challenge(struct su_conn *c, const char *why);

/* handlers.c: answers one request; the reply goes out through su_conn_reply(). */
void su_handle_request(struct su_conn *c, struct su_msg *req);
