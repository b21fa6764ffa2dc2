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
        sd_event_source *sweep_src; /* closes connections past their deadline */
        bool quit;                  /* set with the mailbox: the loop ends */
        struct su_db db;            /* this loop's database connections */
        struct su_conn *conns;
        unsigned long long refused[2]; /* connections turned away, since the last log line */
        int64_t refused_logged[2];     /* boot clock of that line */
};
