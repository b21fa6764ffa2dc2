#include "dispatch.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "clocks.h"
#include "names.h"

void su_job_init(struct su_job *j, struct su_ctx *x, struct su_session *s, enum su_sock_kind sock,
                 uid_t uid, gid_t gid, pid_t pid, uint64_t arrival_us)
{
        memset(&j->rq, 0, sizeof(j->rq));
        memset(&j->reply, 0, sizeof(j->reply));
        memset(&j->call, 0, sizeof(j->call));
        j->method = NULL;
        j->close_after = false;
        j->arrival_us = arrival_us;
        j->call.ctx = x;
        j->call.session = s;
        j->call.sock = sock;
        j->call.peer.pid = pid;
        j->call.peer.uid = uid;
        j->call.peer.gid = gid;
        j->call.audit =
            (struct su_audit_req){.audit = &x->audit, .arrival_us = arrival_us, .uid = uid};
}

/* Why the table refuses this caller, in words. */
static void refusal(const struct su_job *j, char *text, size_t size)
{
        const struct su_method *m = j->method;
        if (!(m->sockets & (1u << j->call.sock)))
                snprintf(text, size, "%s is served on the %s socket", m->name,
                         j->call.sock == SU_SOCK_PAM ? "user" : "PAM");
        else if (m->who == SU_WHO_CONNECTION)
                snprintf(text, size, "%s answers only a challenge open on this connection",
                         m->name);
        else if (m->who == SU_WHO_ROOT_PAM)
                snprintf(text, size, "%s is for root only, on the PAM socket", m->name);
        else
                snprintf(text, size, "%s is for root only", m->name);
}

static bool authorised(const struct su_job *j)
{
        const struct su_method *m = j->method;
        uid_t uid = j->call.peer.uid;
        if (!(m->sockets & (1u << j->call.sock)))
                return false;
        switch (m->who) {
        case SU_WHO_ROOT_PAM:
                return uid == 0 && j->call.sock == SU_SOCK_PAM;
        case SU_WHO_ROOT:
                return uid == 0;
        case SU_WHO_CONNECTION:
                /* root's module answers its own prompts; anyone else only a challenge that
                 * its own request opened on this connection (GATE, a fresh proof) */
                return (uid == 0 && j->call.sock == SU_SOCK_PAM) || j->call.session->pending;
        case SU_WHO_SELF:
        case SU_WHO_ANYONE:
                return true;
        }
        return false;
}

/* The caller's own name, from the kernel's uid (never from the message). */
static int caller_name(uid_t uid, char *out, size_t size)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        if (!su_valid_user(pw.pw_name) || strlen(pw.pw_name) >= size)
                return -EINVAL;
        snprintf(out, size, "%s", pw.pw_name);
        return 0;
}

/* Which user the request is about; an ERROR when the caller may not ask about them. */
static int resolve_user(struct su_job *j)
{
        struct su_call *c = &j->call;
        const char *asked = su_msg_str(&j->msg, SU_T_USER);
        int r;
        switch (j->method->about) {
        case SU_ABOUT_NONE:
                return 0;
        case SU_ABOUT_NAMED:
                if (!su_valid_user(asked) || strlen(asked) > SU_USER_MAX) {
                        su_reply_error(&j->reply, EINVAL, "a valid --user is needed");
                        return -EINVAL;
                }
                snprintf(c->user, sizeof(c->user), "%s", asked);
                return 0;
        case SU_ABOUT_SELF:
                if (c->peer.uid == 0 && asked) {
                        if (!su_valid_user(asked) || strlen(asked) > SU_USER_MAX) {
                                su_reply_error(&j->reply, EINVAL, "unknown or invalid user");
                                return -EINVAL;
                        }
                        snprintf(c->user, sizeof(c->user), "%s", asked);
                        return 0;
                }
                break;
        case SU_ABOUT_CALLER:
                asked = NULL;
                break;
        }
        r = caller_name(c->peer.uid, c->user, sizeof(c->user));
        if (r < 0) {
                su_reply_error(&j->reply, -r, "the caller's uid has no valid user name");
                return r;
        }
        if (asked && strcmp(asked, c->user) != 0) {
                su_reply_error(&j->reply, EPERM, "you may only ask about yourself");
                return -EPERM;
        }
        return 0;
}

enum su_step su_dispatch_begin(struct su_job *j)
{
        struct su_call *c = &j->call;
        char why[256] = "";
        c->audit.type = j->msg.type;
        j->method = su_method_find(j->msg.type);
        if (!j->method) {
                su_reply_error(&j->reply, EOPNOTSUPP, "unknown request");
                j->close_after = true;
                return SU_STEP_DONE;
        }
        if (!authorised(j)) {
                char text[160];
                refusal(j, text, sizeof(text));
                su_reply_error(&j->reply, EPERM, text);
                return SU_STEP_DONE;
        }
        if (resolve_user(j) < 0)
                return SU_STEP_DONE;
        c->rules = su_rules_get(c->ctx);
        if (!c->rules) {
                su_reply_error(&j->reply, EAGAIN, "no policy loaded");
                return SU_STEP_DONE;
        }
        /* The caller's facts, read once for the whole request. */
        if (j->method->peer_proc)
                (void)su_peer_read("/proc", c->peer.pid, c->peer.uid, c->peer.gid, &c->peer);
        else
                c->peer.proc_err = -ENODATA;
        if (j->method->parse) {
                int r = j->method->parse(c, &j->msg, &j->rq, why, sizeof(why));
                if (r < 0) {
                        su_reply_error(&j->reply, -r, *why ? why : strerror(-r));
                        return SU_STEP_DONE;
                }
        }
        /* The counters of a VERIFY name its challenge's service and factor. */
        const char *service = su_msg_str(&j->msg, SU_T_SERVICE);
        if (j->msg.type == SU_REQ_GATE)
                service = "sshd-command";
        if (j->msg.type == SU_REQ_VERIFY && c->session->pending) {
                /* a copy: the handler frees the challenge, the counters come after */
                snprintf(c->challenge_service, sizeof(c->challenge_service), "%s",
                         c->session->pending->service);
                service = c->challenge_service;
                c->audit.factor = c->session->pending->current->name;
        }
        c->audit.service = service;
        return j->method->lane == SU_LANE_POOL ? SU_STEP_POOL : SU_STEP_RUN;
}

enum su_step su_dispatch_run(struct su_job *j, struct su_db *db, bool in_pool)
{
        j->call.db = db;
        j->call.in_pool = in_pool;
        int r = j->method->handle(&j->call, &j->rq, &j->reply);
        if (r == -EWOULDBLOCK && !in_pool) {
                su_reply_clear(&j->reply);
                return SU_STEP_POOL;
        }
        if (r < 0) {
                su_reply_clear(&j->reply);
                su_reply_error(&j->reply, -r, r == -EWOULDBLOCK ? "internal error" : strerror(-r));
        } else if (j->reply.type == 0) {
                su_reply_error(&j->reply, EIO, "no reply"); /* a handler bug: never silence */
        }
        return SU_STEP_DONE;
}

void su_dispatch_malformed(struct su_job *j)
{
        su_reply_error(&j->reply, EBADMSG, "malformed message");
        j->close_after = true;
}

void su_dispatch_busy(struct su_job *j, const char *why)
{
        su_reply_clear(&j->reply);
        su_reply_error(&j->reply, EBUSY, why);
}

int su_dispatch_end(struct su_job *j, struct su_msg *out)
{
        struct su_ctx *x = j->call.ctx;
        uint8_t type = j->msg.type;
        uint64_t us = su_now_us() - j->arrival_us;
        if (type == SU_REQ_DECIDE || type == SU_REQ_GATE) {
                su_metrics_latency(&x->metrics, SU_MH_DECIDE, us);
                uint8_t rt = j->reply.type;
                if (rt == SU_REP_ALLOW || rt == SU_REP_DENY || rt == SU_REP_CHALLENGE)
                        su_metrics_decision(&x->metrics, j->call.audit.service,
                                            rt == SU_REP_ALLOW  ? SU_MD_ALLOW
                                            : rt == SU_REP_DENY ? SU_MD_DENY
                                                                : SU_MD_CHALLENGE);
        } else if (type == SU_REQ_VERIFY) {
                su_metrics_latency(&x->metrics, SU_MH_VERIFY, us);
        }
        int r = su_reply_encode(&j->reply, out);
        if (r < 0) {
                struct su_reply e = {0};
                su_reply_error(&e, -r, "reply too large");
                su_reply_encode(&e, out);
        }
        return r;
}

void su_job_release(struct su_job *j)
{
        su_rules_put(j->call.ctx, j->call.rules);
        j->call.rules = NULL;
        su_rq_wipe(&j->rq);
        su_reply_clear(&j->reply);
        su_msg_wipe(&j->msg);
}

void su_dispatch_session_end(struct su_ctx *x, struct su_session *s, const char *why)
{
        struct su_audit_req rq = {.audit = &x->audit};
        su_challenge_abandon(x, &rq, s, why);
}
