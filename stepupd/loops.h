/* The event loops (loop.h): start, stop, and what each does with its listening sockets and
 * its mailbox. */
#pragma once

#include "loop.h"

/* Sets up loop l (an sd-event of its own, the listening sockets, its mailbox); db is its own
 * database connections.  The loop runs on its own thread after su_loop_start(), or on the
 * caller's with sd_event_loop(l->event). */
int su_loop_init(struct su_loop *l, unsigned index, struct su_ctx *ctx, struct su_pool *pool,
                 const int listen_fd[2], struct su_db db, struct su_loop *all, size_t nall);
int su_loop_start(struct su_loop *l);
/* Asks a loop on its own thread to end, and waits for it. */
void su_loop_stop(struct su_loop *l);
/* Frees every connection (after the pool has stopped) and the loop's sources. */
void su_loop_done(struct su_loop *l);
