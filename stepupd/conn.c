#include "conn.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "clocks.h"
#include "faults.h"

static const char *const sock_names[2] = {"pam", "user"};

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int pump(struct su_conn *c, uint64_t arrival_us);

/* The connection's deadline: idle_timeout for the next request, challenge_timeout while a
 * challenge waits for its answer.  The loop's sweep (loops.c) closes what is past it: no
 * timer per connection to arm and disarm. */
static int arm_timer(struct su_conn *c)
{
        const struct su_config *cfg = &c->l->ctx->cfg;
        unsigned secs = c->session.pending ? cfg->challenge_timeout : cfg->idle_timeout;
        c->deadline_us = su_now_us() + (uint64_t)secs * 1000000ULL;
        return 0;
}

/* The loop's deadline sweep runs only while it has connections: started when one arrives
 * (nothing to do while it is armed). */
static int sweep_start(struct su_loop *l)
{
        int on = SD_EVENT_OFF;
        int r = sd_event_source_get_enabled(l->sweep_src, &on);
        if (r < 0 || on != SD_EVENT_OFF)
                return r < 0 ? r : 0;
        r = sd_event_source_set_time_relative(l->sweep_src, SU_SWEEP_USEC);
        return r < 0 ? r : sd_event_source_set_enabled(l->sweep_src, SD_EVENT_ONESHOT);
}

void su_conn_expire(struct su_loop *l, uint64_t now_us)
{
        struct su_conn *next;
        for (struct su_conn *c = l->conns; c; c = next) {
                next = c->next;
                /* a job on the pool holds no deadline; its end sets a new one */
                if (!c->job && !c->gone && c->deadline_us && now_us >= c->deadline_us)
                        su_conn_close(c, c->session.pending ? "challenge timed out" : "idle");
        }
}

static void job_free(struct su_job *j)
{
        if (!j)
                return;
        su_job_release(j);
        free(j);
}

void su_conn_free(struct su_conn *c)
{
        if (!c)
                return;
        struct su_loop *l = c->l;
        su_dispatch_session_end(l->ctx, &c->session, "connection closed before an answer");
        job_free(c->job);
        sd_event_source_disable_unref(c->io);
        if (c->fd >= 0)
                close(c->fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                l->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        su_limits_conn_close(&l->ctx->limits, c->kind == SU_SOCK_PAM, c->uid);
        __atomic_sub_fetch(&l->nconns, 1, __ATOMIC_RELAXED);
        explicit_bzero(c->in, c->in_len);
        explicit_bzero(c->out, c->out_len);
        free(c);
}

void su_conn_close(struct su_conn *c, const char *why)
{
        if (c->job) {
                /* The pool still uses the connection's session: free it when the job is back. */
                c->gone = true;
                sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
                return;
        }
        if (why)
                su_dispatch_session_end(c->l->ctx, &c->session, why);
        su_conn_free(c);
}

/* At capacity: say so before closing, so the caller can tell "busy" from "not running". */
static void refuse_busy(int fd, const char *why)
{
        struct su_reply r = {0};
        struct su_msg *m = malloc(sizeof(*m));
        uint8_t out[512];
        size_t len;
        su_reply_error(&r, EBUSY, why);
        if (m && su_reply_encode(&r, m) == 0 && su_msg_encode(m, out, sizeof(out), &len) == 0)
                (void)send(fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        free(m);
        close(fd);
}

static void log_refused(struct su_loop *l, enum su_sock_kind kind, const char *why)
{
        /* Anyone can provoke this on the user socket: one line per socket per loop per 10 s
         * with the count, so a flood cannot flood the journal. */
        int64_t now = su_now_boot();
        l->refused[kind]++;
        if (l->refused_logged[kind] && now - l->refused_logged[kind] < 10)
                return;
        char n[32];
        snprintf(n, sizeof(n), "%llu", l->refused[kind]);
        struct su_audit_req rq = {.audit = &l->ctx->audit};
        su_audit(&rq, SU_EV_ERROR, LOG_WARNING, "connection refused: too many connections",
                 "STEPUP_SOCKET", sock_names[kind], "STEPUP_REFUSED", n, "STEPUP_REASON", why,
                 NULL);
        l->refused[kind] = 0;
        l->refused_logged[kind] = now;
}

int su_conn_accept(struct su_loop *l, int listen_fd, enum su_sock_kind kind)
{
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                        return 1; /* this one is gone; there may be more */
                if (errno == EAGAIN)
                        return 0;
                /* Out of descriptors or memory: the caller pauses accepting for a moment
                 * (the listening socket stays readable, so retrying at once would spin). */
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        return -ENFILE;
                return 0;
        }
        struct su_audit_req rq = {.audit = &l->ctx->audit};
        struct ucred cred;
        socklen_t len = sizeof(cred);
        /* No credentials, no service: a failed lookup must never read as uid 0. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred) ||
            cred.pid <= 0 || cred.uid == (uid_t)-1) {
                close(fd);
                su_audit(&rq, SU_EV_ERROR, LOG_WARNING, "connection refused: no peer credentials",
                         "STEPUP_SOCKET", sock_names[kind], NULL);
                return 1;
        }
        if (kind == SU_SOCK_PAM && cred.uid != 0) {
                close(fd); /* the PAM socket serves only uid 0 */
                su_audit(&rq, SU_EV_ERROR, LOG_WARNING,
                         "connection refused: PAM socket peer is not root", "STEPUP_SOCKET",
                         sock_names[kind], NULL);
                return 1;
        }
        const char *why = NULL;
        if (su_limits_conn_open(&l->ctx->limits, kind == SU_SOCK_PAM, cred.uid, &why) < 0) {
                refuse_busy(fd, why);
                log_refused(l, kind, why);
                return 1;
        }
        /* One loop accepts; the connection goes to the loop with the fewest (this one on a
         * tie: a lone client is never handed across threads). */
        struct su_loop *to = l;
        unsigned least = __atomic_load_n(&l->nconns, __ATOMIC_RELAXED);
        for (size_t i = 0; i < l->nloops; i++) {
                unsigned n = __atomic_load_n(&l->loops[i].nconns, __ATOMIC_RELAXED);
                if (n < least) {
                        least = n;
                        to = &l->loops[i];
                }
        }
        struct su_handoff h = {
            .fd = fd, .kind = kind, .uid = cred.uid, .gid = cred.gid, .pid = cred.pid};
        if (to == l) {
                su_conn_adopt(l, &h);
                return 1;
        }
        struct su_handoff *hp = malloc(sizeof(*hp));
        if (!hp) {
                su_limits_conn_close(&l->ctx->limits, kind == SU_SOCK_PAM, cred.uid);
                refuse_busy(fd, "out of memory");
                return 1;
        }
        *hp = h;
        /* counted now, so that the next accept sees the receiver's load */
        __atomic_add_fetch(&to->nconns, 1, __ATOMIC_RELAXED);
        su_mailbox_post(&to->box, &hp->item);
        return 1;
}

void su_conn_adopt(struct su_loop *l, struct su_handoff *h)
{
        struct su_conn *c = malloc(sizeof(*c));
        bool counted = h->item.done != NULL; /* a handoff was counted by the sender */
        if (!c) {
                if (counted)
                        __atomic_sub_fetch(&l->nconns, 1, __ATOMIC_RELAXED);
                su_limits_conn_close(&l->ctx->limits, h->kind == SU_SOCK_PAM, h->uid);
                refuse_busy(h->fd, "out of memory");
                return;
        }
        if (!counted)
                __atomic_add_fetch(&l->nconns, 1, __ATOMIC_RELAXED);
        memset(c, 0, offsetof(struct su_conn, in));
        c->prev = c->next = NULL;
        c->l = l;
        c->fd = h->fd;
        c->kind = h->kind;
        c->uid = h->uid;
        c->gid = h->gid;
        c->pid = h->pid;
        c->in_len = c->out_len = c->out_pos = 0;
        c->next = l->conns;
        if (l->conns)
                l->conns->prev = c;
        l->conns = c;
        int r = sd_event_add_io(l->event, &c->io, c->fd, EPOLLIN, on_io, c);
        if (r >= 0)
                r = arm_timer(c);
        if (r >= 0) /* started by the first connection; again if a re-arm ever failed */
                r = sweep_start(l);
        if (r < 0)
                su_conn_free(c);
}

static int flush_out(struct su_conn *c)
{
        while (c->out_pos < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_pos, c->out_len - c->out_pos,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return sd_event_source_set_io_events(c->io, EPOLLOUT);
                        return -errno;
                }
                c->out_pos += (size_t)n;
        }
        su_fault_point("after-reply-sent");
        explicit_bzero(c->out, c->out_len);
        c->out_len = c->out_pos = 0;
        if (c->close_after_write)
                return -ECONNRESET;
        return sd_event_source_set_io_events(c->io, EPOLLIN);
}

/* The job is answered: its reply into the output buffer, the job gone. */
static int finish(struct su_conn *c, struct su_job *j)
{
        struct su_msg *out = malloc(sizeof(*out));
        int r = -ENOMEM;
        if (out) {
                su_dispatch_end(j, out);
                r = su_msg_encode(out, c->out, sizeof(c->out), &c->out_len);
                su_msg_wipe(out);
                free(out);
        }
        c->out_pos = 0;
        c->close_after_write = j->close_after;
        job_free(j);
        if (r < 0)
                return r;
        r = arm_timer(c);
        return r < 0 ? r : flush_out(c);
}

static void pool_run(struct su_pool_item *it, void *thread_data)
{
        struct su_conn *c = (struct su_conn *)((char *)it - offsetof(struct su_conn, ticket));
        su_dispatch_run(c->job, thread_data, true);
}

/* Sends the job to the pool; at the caller's share or the queue's end, answers busy. */
static int to_pool(struct su_conn *c, struct su_job *j)
{
        c->job = j;
        c->ticket = (struct su_pool_item){
            .run = pool_run, .done = &c->l->box, .uid = c->uid, .urgent = c->kind == SU_SOCK_PAM};
        if (su_pool_submit(c->l->pool, &c->ticket) == 0) {
                /* Nothing more is read until the reply: one request at a time. */
                c->deadline_us = 0;
                return sd_event_source_set_io_events(c->io, 0);
        }
        c->job = NULL;
        su_dispatch_busy(j, "stepupd busy: too many requests at once, try again");
        return finish(c, j);
}

void su_conn_job_done(struct su_conn *c)
{
        struct su_job *j = c->job;
        c->job = NULL;
        if (c->gone) {
                job_free(j);
                su_conn_close(c, "connection closed before an answer");
                return;
        }
        if (finish(c, j) < 0 || pump(c, su_now_us()) < 0)
                su_conn_close(c, "connection closed before an answer");
}

/* A whole frame is in: decode, dispatch, answer (or hand to the pool). */
static int handle_frame(struct su_conn *c, size_t plen, uint64_t arrival_us)
{
        struct su_job *j = malloc(sizeof(*j));
        if (!j)
                return -ENOMEM;
        struct su_loop *l = c->l;
        su_job_init(j, l->ctx, &c->session, c->kind, c->uid, c->gid, c->pid, arrival_us);
        int r = su_msg_decode(c->in + SU_FRAME_HDR, plen, &j->msg);
        size_t used = SU_FRAME_HDR + plen, rest = c->in_len - used;
        memmove(c->in, c->in + used, rest);
        explicit_bzero(c->in + rest, used);
        c->in_len = rest;
        enum su_step step = SU_STEP_DONE;
        if (r < 0) {
                su_msg_init(&j->msg, 0);
                su_dispatch_malformed(j);
        } else {
                step = su_dispatch_begin(j);
                if (step == SU_STEP_RUN)
                        step = su_dispatch_run(j, &l->db, false);
        }
        if (step == SU_STEP_POOL)
                return to_pool(c, j);
        return finish(c, j);
}

#define PIPELINE_MAX 64 /* requests one wake-up handles from one connection's buffer */

/* Handles the whole frames of the input buffer, one at a time, while the previous reply has
 * gone out and no job is on the pool (a client that sent its next request early finds it
 * here, not in the socket).  A client that pipelines more than PIPELINE_MAX is not served
 * further (one request at a time is the protocol): its deadline closes it. */
static int pump(struct su_conn *c, uint64_t arrival_us)
{
        for (int i = 0; i < PIPELINE_MAX; i++) {
                if (c->job || c->out_len > 0 || c->in_len < SU_FRAME_HDR)
                        return 0;
                size_t plen;
                int r;
                if (su_frame_len(c->in, &plen) < 0) {
                        struct su_job *j = malloc(sizeof(*j));
                        if (!j)
                                return -ENOMEM;
                        su_job_init(j, c->l->ctx, &c->session, c->kind, c->uid, c->gid, c->pid,
                                    arrival_us);
                        su_msg_init(&j->msg, 0);
                        su_reply_error(&j->reply, EMSGSIZE, "message too large");
                        j->close_after = true;
                        c->in_len = 0;
                        return finish(c, j);
                }
                if (c->in_len < SU_FRAME_HDR + plen)
                        return 0;
                if ((r = handle_frame(c, plen, arrival_us)) < 0)
                        return r;
        }
        return 0;
}

/* Reads what is there (as much as fits: one call for a whole request, usually); handles the
 * first frame once it has all arrived. */
static int read_in(struct su_conn *c)
{
        uint64_t arrival_us = su_now_us();
        for (;;) {
                if (c->in_len >= sizeof(c->in))
                        break; /* full: a whole frame is there (the buffer is one frame's size) */
                ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
                if (n == 0)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                c->in_len += (size_t)n;
                size_t plen;
                if (c->in_len >= SU_FRAME_HDR &&
                    (su_frame_len(c->in, &plen) < 0 || c->in_len >= SU_FRAME_HDR + plen))
                        break; /* a whole frame (or a bad header): no need to read on */
        }
        return pump(c, arrival_us);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct su_conn *c = userdata;
        int r = 0;
        if (c->job) {
                /* On the pool: nothing is read or written until it is back; a hang-up (which
                 * epoll reports even with no events asked for) closes it then. */
                if (revents & (EPOLLHUP | EPOLLERR))
                        su_conn_close(c, NULL);
                return 0;
        }
        if ((revents & EPOLLIN) && c->out_len == 0)
                r = read_in(c);
        else if (revents & (EPOLLHUP | EPOLLERR))
                r = -ECONNRESET;
        else if ((revents & EPOLLOUT) && c->out_len > 0)
                r = flush_out(c) < 0 ? -ECONNRESET : pump(c, su_now_us());
        if (r < 0)
                su_conn_close(c, "connection closed before an answer");
        return 0;
}
