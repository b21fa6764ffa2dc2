/* One event loop of the daemon (data only): its thread, the listening sockets it accepts on,
 * its connections, its database connections, and the mailbox where the pool returns its
 * finished requests.  stepupd runs one loop per core; each accepts on both sockets and serves
 * the connections it accepted from start to end. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "call.h"
#include "ctx.h"
#include "pool.h"

struct su_conn;
struct su_loop;

#define SU_SWEEP_USEC (250 * 1000) /* how often a loop with connections looks at deadlines */

/* A connection accepted by one loop and given to another (the less busy one). */
struct su_handoff {
        struct su_pool_item item; /* its trip through the receiving loop's mailbox */
        int fd;
        enum su_sock_kind kind;
        uid_t uid;
        gid_t gid;
        pid_t pid;
};

struct su_loop {
        struct su_ctx *ctx;
        struct su_pool *pool;
        sd_event *event;
        unsigned index;
        pthread_t thread;
        bool own_thread; /* false for the loop that runs on the main thread */
        int listen_fd[2];
        sd_event_source *listen_src[2];
        sd_event_source *resume_src; /* accepting paused for want of descriptors */
        struct su_mailbox box;
        sd_event_source *box_src;
        sd_event_source *sweep_src; /* closes connections past their deadline; armed only
                                     * while the loop holds a connection (an idle daemon
                                     * does not wake) */
        bool quit;                  /* set with the mailbox: the loop ends */
        struct su_db db;            /* this loop's database connections */
        struct su_conn *conns;
        unsigned nconns;       /* open connections (read by the accepting loop: atomic) */
        struct su_loop *loops; /* all of them, for handing connections on */
        size_t nloops;
        unsigned long long refused[2]; /* connections turned away, since the last log line */
        int64_t refused_logged[2];     /* boot clock of that line */
};
