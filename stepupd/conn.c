/* One client connection: framing, peer credentials, idle timeout, reply queue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "audit.h"
#include "faults.h"
#include "manager.h"
#include "metrics.h"
#include "scope.h"

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata);

static int arm_timer(struct su_conn *c)
{
        unsigned secs = c->pending ? c->m->cfg.challenge_timeout : c->m->cfg.idle_timeout;
        uint64_t usec = (uint64_t)secs * 1000000ULL;
        if (c->timer)
                return sd_event_source_set_time_relative(c->timer, usec) < 0
                           ? -EIO
                           : sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
        return sd_event_add_time_relative(c->m->event, &c->timer, CLOCK_MONOTONIC, usec, 0,
                                          on_timeout, c);
}

void su_conn_void_challenge(struct su_conn *c, const char *why)
{
        if (!c->pending)
                return;
        su_audit(SU_EV_ABANDON, LOG_NOTICE, "step-up challenge abandoned", "STEPUP_USER",
                 c->pending->user, "STEPUP_SERVICE", c->pending->service, "STEPUP_RULE",
                 c->pending->rule, "STEPUP_FACTOR", su_factor_name(c->pending->current),
                 "STEPUP_OUTCOME", "abandoned", "STEPUP_REASON", why, NULL);
        explicit_bzero(c->pending, sizeof(*c->pending));
        free(c->pending);
        c->pending = NULL;
}

void su_conn_free(struct su_conn *c)
{
        if (!c)
                return;
        su_conn_void_challenge(c, "connection closed before an answer");
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        if (c->fd >= 0)
                close(c->fd);
        if (c->prev)
                c->prev->next = c->next;
        else
                c->m->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->m->n_conns--;
        explicit_bzero(c->in, sizeof(c->in));
        free(c);
}

int su_conn_accept(struct su_manager *m, int listen_fd, enum su_sock_kind kind)
{
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
                if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                        return 0;
                /* Out of descriptors or memory: the caller pauses accepting for a moment
                 * (the listening socket stays readable, so retrying at once would spin). */
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                        return -ENFILE;
                return -errno;
        }
        /* Anyone may connect to the user socket: it may fill at most 3/4 of the slots, so
         * a flood there never takes the last ones from the PAM socket (root's decisions). */
        unsigned cap = m->cfg.max_connections;
        if (kind == SU_SOCK_USER)
                cap -= cap / 4;
        if (m->n_conns >= cap) {
                /* Over the cap: refuse at once rather than queue work we cannot bound. */
                close(fd);
                return -EMFILE;
        }
        struct ucred cred;
        socklen_t len = sizeof(cred);
        /* No credentials, no service: a failed lookup must never read as uid 0. */
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred) ||
            cred.pid <= 0 || cred.uid == (uid_t)-1) {
                close(fd);
                return -EACCES;
        }
        if (kind == SU_SOCK_PAM && cred.uid != 0) {
                close(fd); /* the PAM socket serves only uid 0 */
                return -EPERM;
        }
        struct su_conn *c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->m = m;
        c->fd = fd;
        c->kind = kind;
        c->uid = cred.uid;
        c->gid = cred.gid;
        c->pid = cred.pid;
        c->next = m->conns;
        if (m->conns)
                m->conns->prev = c;
        m->conns = c;
        m->n_conns++;
        int r = sd_event_add_io(m->event, &c->io, fd, EPOLLIN, on_io, c);
        if (r >= 0)
                r = arm_timer(c);
        if (r < 0) {
                su_conn_free(c);
                return r;
        }
        return 0;
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
        c->out_len = c->out_pos = 0;
        if (c->close_after_write)
                return -ECONNRESET;
        return sd_event_source_set_io_events(c->io, EPOLLIN);
}

int su_conn_reply(struct su_conn *c, const struct su_msg *rep)
{
        if (c->out_len != 0)
                return -EBUSY; /* one request at a time: the previous reply is still queued */
        int r = su_msg_encode(rep, c->out, sizeof(c->out), &c->out_len);
        if (r < 0)
                return r;
        c->out_pos = 0;
        return 0;
}

static void reply_error(struct su_conn *c, int err, const char *text)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_ERROR);
        su_msg_put_u32(&rep, SU_T_ERRNO, (uint32_t)err);
        su_msg_put_str(&rep, SU_T_MESSAGE, text);
        su_conn_reply(c, &rep);
        c->close_after_write = true;
}

/* The type of the reply the handler queued (payload byte 2), 0 when none. */
static uint8_t queued_type(const struct su_conn *c)
{
        return c->out_len > SU_FRAME_HDR + 2 ? c->out[SU_FRAME_HDR + 2] : 0;
}

/* One request: the handler, then its latency (arrival to reply queued) and, for DECIDE, the
 * decision its reply carries.  Verification outcomes are counted from audit events. */
static void dispatch(struct su_conn *c, struct su_msg *req, uint64_t arrival_us)
{
        uint8_t type = req->type;
        char service[SU_METRICS_NAME_MAX + 1] = "", factor[SU_METRICS_NAME_MAX + 1] = "";
        /* GATE's service is fixed by the daemon, never taken from the message. */
        const char *s = type == SU_REQ_GATE ? "sshd-command" : su_msg_str(req, SU_T_SERVICE);
        snprintf(service, sizeof(service), "%s", s ? s : "");
        if (type == SU_REQ_VERIFY && c->pending) {
                /* The answer's service and factor are the pending challenge's. */
                const char *f = su_factor_name(c->pending->current);
                snprintf(service, sizeof(service), "%s", c->pending->service);
                snprintf(factor, sizeof(factor), "%s", f ? f : "");
        }
        su_audit_request_begin(type, arrival_us, *service ? service : NULL,
                               *factor ? factor : NULL);
        su_handle_request(c, req);
        su_audit_request_end();
        uint64_t us = su_metrics_now_us() - arrival_us;
        struct su_metrics *m = su_metrics();
        if (type == SU_REQ_DECIDE || type == SU_REQ_GATE) {
                su_metrics_latency(m, SU_MH_DECIDE, us);
                uint8_t rt = queued_type(c);
                if (rt == SU_REP_ALLOW || rt == SU_REP_DENY || rt == SU_REP_CHALLENGE)
                        su_metrics_decision(m, s ? service : NULL,
                                            rt == SU_REP_ALLOW  ? SU_MD_ALLOW
                                            : rt == SU_REP_DENY ? SU_MD_DENY
                                                                : SU_MD_CHALLENGE);
        } else if (type == SU_REQ_VERIFY) {
                su_metrics_latency(m, SU_MH_VERIFY, us);
        }
}

/* Reads what is there; dispatches once a whole frame has arrived. */
static int read_in(struct su_conn *c)
{
        uint64_t arrival_us = su_metrics_now_us();
        for (;;) {
                size_t want;
                if (c->in_len < SU_FRAME_HDR) {
                        want = SU_FRAME_HDR - c->in_len;
                } else {
                        size_t plen;
                        int r = su_frame_len(c->in, &plen);
                        if (r < 0) {
                                reply_error(c, EMSGSIZE, "message too large");
                                return 0;
                        }
                        want = SU_FRAME_HDR + plen - c->in_len;
                        if (want == 0) {
                                struct su_msg *req = malloc(sizeof(*req));
                                if (!req)
                                        return -ENOMEM;
                                r = su_msg_decode(c->in + SU_FRAME_HDR, plen, req);
                                explicit_bzero(c->in, c->in_len);
                                c->in_len = 0;
                                if (r < 0)
                                        reply_error(c, EBADMSG, "malformed message");
                                else
                                        dispatch(c, req, arrival_us);
                                su_msg_wipe(req);
                                free(req);
                                return arm_timer(c);
                        }
                }
                ssize_t n = recv(c->fd, c->in + c->in_len, want, MSG_DONTWAIT);
                if (n == 0)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                c->in_len += (size_t)n;
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct su_conn *c = userdata;
        int r = 0;

        if ((revents & EPOLLIN) && c->out_len == 0)
                r = read_in(c);
        else if (revents & (EPOLLHUP | EPOLLERR))
                r = -ECONNRESET;
        if (r >= 0 && c->out_len > 0)
                r = flush_out(c);
        if (r < 0)
                su_conn_free(c);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_conn *c = userdata;
        su_conn_void_challenge(c, c->pending ? "challenge timed out" : "idle");
        su_conn_free(c);
        return 0;
}
