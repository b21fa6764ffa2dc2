#include "loops.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clocks.h"
#include "conn.h"

#define ACCEPT_BATCH 16 /* connections taken per wake-up before other work runs */

static int on_accept_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_loop *l = userdata;
        for (int i = 0; i < 2; i++)
                if (l->listen_src[i])
                        sd_event_source_set_enabled(l->listen_src[i], SD_EVENT_ON);
        sd_event_source_disable_unref(l->resume_src);
        l->resume_src = NULL;
        return 0;
}

/* The first loop polls both listening sockets and accepts for all (su_conn_accept hands each
 * connection to the loop with the fewest): no loop is woken for nothing.  Under load a wake-up
 * takes a batch.  (Every loop polling them woke them all per connection; EPOLLEXCLUSIVE is not
 * taken by sd-event, and an epoll set nested in sd-event's still woke every loop: measured.) */
static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct su_loop *l = userdata;
        enum su_sock_kind kind = fd == l->listen_fd[SU_SOCK_PAM] ? SU_SOCK_PAM : SU_SOCK_USER;
        int r = 0;
        for (int k = 0; k < ACCEPT_BATCH; k++) {
                r = su_conn_accept(l, fd, kind);
                if (r <= 0)
                        break; /* nothing more to accept, or out of descriptors */
        }
        if (r != -ENFILE)
                return 0;
        /* No descriptor for the new connection: stop accepting for 100 ms instead of spinning
         * on a socket that stays readable. */
        for (int i = 0; i < 2; i++)
                if (l->listen_src[i])
                        sd_event_source_set_enabled(l->listen_src[i], SD_EVENT_OFF);
        if (!l->resume_src)
                sd_event_add_time_relative(l->event, &l->resume_src, CLOCK_MONOTONIC, 100 * 1000, 0,
                                           on_accept_resume, l);
        struct su_audit_req rq = {.audit = &l->ctx->audit};
        su_audit(&rq, SU_EV_ERROR, LOG_ERR, "out of file descriptors: accepting paused",
                 "STEPUP_SOCKET", kind == SU_SOCK_PAM ? "pam" : "user", NULL);
        return 0;
}

/* One shot; su_conn_adopt arms it when the first connection arrives. */
static int on_sweep(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_loop *l = userdata;
        su_conn_expire(l, su_now_us());
        if (!l->conns)
                return 0;
        sd_event_source_set_time_relative(s, SU_SWEEP_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_mail(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct su_loop *l = userdata;
        struct su_pool_item *it = su_mailbox_take(&l->box);
        while (it) {
                struct su_pool_item *next = it->next;
                if (!it->run) { /* a connection handed over by the accepting loop */
                        struct su_handoff *h =
                            (struct su_handoff *)((char *)it - offsetof(struct su_handoff, item));
                        h->item.done = &l->box; /* "counted by the sender" */
                        su_conn_adopt(l, h);
                        free(h);
                } else { /* a job back from the pool */
                        su_conn_job_done(
                            (struct su_conn *)((char *)it - offsetof(struct su_conn, ticket)));
                }
                it = next;
        }
        if (__atomic_load_n(&l->quit, __ATOMIC_ACQUIRE))
                sd_event_exit(l->event, 0);
        return 0;
}

int su_loop_init(struct su_loop *l, unsigned index, struct su_ctx *ctx, struct su_pool *pool,
                 const int listen_fd[2], struct su_db db, struct su_loop *all, size_t nall)
{
        memset(l, 0, sizeof(*l));
        l->index = index;
        l->ctx = ctx;
        l->pool = pool;
        l->db = db;
        l->loops = all;
        l->nloops = nall;
        l->box.efd = -1;
        int r = sd_event_new(&l->event);
        if (r < 0)
                return r;
        r = su_mailbox_init(&l->box);
        if (r < 0)
                return r;
        r = sd_event_add_io(l->event, &l->box_src, l->box.efd, EPOLLIN, on_mail, l);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(l->event, &l->sweep_src, CLOCK_MONOTONIC, SU_SWEEP_USEC,
                                       SU_SWEEP_USEC / 4, on_sweep, l);
        if (r >= 0)
                r = sd_event_source_set_enabled(l->sweep_src, SD_EVENT_OFF);
        if (r < 0)
                return r;
        for (int i = 0; i < 2; i++) {
                l->listen_fd[i] = listen_fd[i];
                /* The first loop accepts for all and hands connections to the least busy. */
                if (listen_fd[i] < 0 || index != 0)
                        continue;
                r = sd_event_add_io(l->event, &l->listen_src[i], listen_fd[i], EPOLLIN, on_listen,
                                    l);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void *loop_main(void *arg)
{
        struct su_loop *l = arg;
        sd_event_loop(l->event);
        return NULL;
}

int su_loop_start(struct su_loop *l)
{
        int r = pthread_create(&l->thread, NULL, loop_main, l);
        if (r != 0)
                return -r;
        l->own_thread = true;
        return 0;
}

void su_loop_stop(struct su_loop *l)
{
        if (!l->own_thread)
                return;
        __atomic_store_n(&l->quit, true, __ATOMIC_RELEASE);
        uint64_t one = 1;
        ssize_t n = write(l->box.efd, &one, sizeof(one));
        (void)n;
        pthread_join(l->thread, NULL);
        l->own_thread = false;
}

void su_loop_done(struct su_loop *l)
{
        /* connections handed over but never taken in (the loop stopped first) */
        for (struct su_pool_item *it = l->box.efd >= 0 ? su_mailbox_take(&l->box) : NULL, *next; it;
             it = next) {
                next = it->next;
                if (!it->run) {
                        struct su_handoff *h =
                            (struct su_handoff *)((char *)it - offsetof(struct su_handoff, item));
                        su_limits_conn_close(&l->ctx->limits, h->kind == SU_SOCK_PAM, h->uid);
                        close(h->fd);
                        free(h);
                }
        }
        while (l->conns)
                su_conn_free(l->conns);
        for (int i = 0; i < 2; i++)
                sd_event_source_disable_unref(l->listen_src[i]);
        sd_event_source_disable_unref(l->resume_src);
        sd_event_source_disable_unref(l->box_src);
        sd_event_source_disable_unref(l->sweep_src);
        if (l->box.efd >= 0)
                su_mailbox_done(&l->box);
        sd_event_unref(l->event);
        l->event = NULL;
}
