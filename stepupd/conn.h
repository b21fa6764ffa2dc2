/* One client connection: framing, peer credentials, limits, idle and challenge timeouts,
 * one request at a time (run on the loop or handed to the pool), one reply each. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dispatch.h"
#include "loop.h"
#include "pool.h"

struct su_conn {
        struct su_loop *l;
        int fd;
        enum su_sock_kind kind;
        uid_t uid;
        gid_t gid;
        pid_t pid;
        sd_event_source *io;
        uint64_t deadline_us; /* CLOCK_MONOTONIC; 0 while a job is on the pool */
        struct su_session session;
        struct su_job *job;         /* on the pool, or NULL */
        struct su_pool_item ticket; /* the job's place on the pool */
        bool gone;                  /* closed while its job was on the pool */
        bool close_after_write;
        size_t in_len;
        uint8_t in[SU_FRAME_HDR + SU_MSG_MAX];
        size_t out_len, out_pos;
        uint8_t out[SU_FRAME_HDR + SU_MSG_MAX];
        struct su_conn *prev, *next;
};

/* Accepts one connection on listen_fd: 1 when one was taken (served, or refused with its
 * reason), 0 when there is nothing to accept, -ENFILE when out of descriptors (the caller
 * pauses accepting). */
int su_conn_accept(struct su_loop *l, int listen_fd, enum su_sock_kind kind);
/* The pool finished this connection's job (on the loop's thread). */
void su_conn_job_done(struct su_conn *c);
/* Closes (or, with a job on the pool, closes when it is back). */
void su_conn_close(struct su_conn *c, const char *why);
/* Closes the loop's connections whose deadline has passed (idle, or an unanswered
 * challenge). */
void su_conn_expire(struct su_loop *l, uint64_t now_us);
/* Frees without any I/O (shutdown, after the pool has stopped). */
void su_conn_free(struct su_conn *c);
