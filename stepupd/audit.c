#include "audit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "clocks.h"
#include "proto.h"

/* MESSAGE_IDs, explained in packaging/catalog/stepup.catalog (tests/metrics checks). */
static const char *const message_ids[SU_EV_MAX_] = {
    [SU_EV_DECISION] = "0ab6500212774f6c8fbf4c5fb77705dc",
    [SU_EV_CHALLENGE] = "610d0aa4b5ea4229a6906910918d7c3c",
    [SU_EV_VERIFY_OK] = "0d78945133454ceb9947116c81df6427",
    [SU_EV_VERIFY_FAIL] = "457672f79cc74a62916d109b4a48b1bb",
    [SU_EV_LOCKOUT] = "7dceceebc0dc467cba41c7710b108afe",
    [SU_EV_ENROLL] = "c12ea418968e45b6b2af180945e7c548",
    [SU_EV_RELOAD] = "2721e17f5482422cabec0a173dd88c5c",
    [SU_EV_REVOKE] = "176165252af74e4680445a509a256b3f",
    [SU_EV_ABANDON] = "c99ab851238f46b2b58604eb5eefbe26",
    [SU_EV_START] = "ad445e4807db4d5b9f98dc327f000874",
    [SU_EV_ERROR] = "c66fd27f105d42109f6c7bc65b88ea1e",
};
static const char *const event_names[SU_EV_MAX_] = {
    [SU_EV_DECISION] = "decision",   [SU_EV_CHALLENGE] = "challenge",
    [SU_EV_VERIFY_OK] = "verify-ok", [SU_EV_VERIFY_FAIL] = "verify-fail",
    [SU_EV_LOCKOUT] = "lockout",     [SU_EV_ENROLL] = "enroll",
    [SU_EV_RELOAD] = "reload",       [SU_EV_REVOKE] = "revoke",
    [SU_EV_ABANDON] = "abandon",     [SU_EV_START] = "start",
    [SU_EV_ERROR] = "error",
};

void su_audit_init(struct su_audit *a, bool force_journal, struct su_metrics *metrics,
                   unsigned per_uid, unsigned window_s)
{
        memset(a, 0, sizeof(*a));
        pthread_mutex_init(&a->lock, NULL);
        a->journal = force_journal || getenv("JOURNAL_STREAM") != NULL;
        a->metrics = metrics;
        a->per_uid = per_uid;
        a->window_s = window_s ? window_s : 1;
}

void su_audit_done(struct su_audit *a)
{
        su_audit_flush(a);
        pthread_mutex_destroy(&a->lock);
}

static const char *field(const char *const *keys, const char *const *vals, size_t n,
                         const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i], key) == 0)
                        return vals[i];
        return NULL;
}

static void count_event(const struct su_audit_req *rq, enum su_event ev, const char *const *keys,
                        const char *const *vals, size_t n)
{
        struct su_metrics *m = rq->audit->metrics;
        const char *service = field(keys, vals, n, "STEPUP_SERVICE");
        const char *factor = field(keys, vals, n, "STEPUP_FACTOR");
        if (!m)
                return;
        if (!service)
                service = rq->service;
        if (!factor)
                factor = rq->factor;
        const char *outcome = field(keys, vals, n, "STEPUP_OUTCOME");
        bool verify = rq->type == SU_REQ_VERIFY;
        switch (ev) {
        case SU_EV_VERIFY_OK:
                if (verify)
                        su_metrics_verify(m, service, factor, SU_MO_SUCCESS);
                break;
        case SU_EV_VERIFY_FAIL:
                if (verify)
                        su_metrics_verify(m, service, factor,
                                          outcome && strcmp(outcome, "error") == 0 ? SU_MO_ERROR
                                                                                   : SU_MO_FAILURE);
                break;
        case SU_EV_ABANDON:
                if (verify || rq->type == 0 || rq->type == SU_REQ_DECIDE || rq->type == SU_REQ_GATE)
                        su_metrics_verify(m, service, factor, SU_MO_ABANDONED);
                break;
        case SU_EV_LOCKOUT:
                /* With a decision: an attempt refused because of a lockout; without: the
                 * failure that started one ("unlocked" is neither). */
                if (field(keys, vals, n, "STEPUP_DECISION")) {
                        if (verify)
                                su_metrics_verify(m, service, factor, SU_MO_LOCKED);
                } else if (outcome && strcmp(outcome, "locked") == 0) {
                        su_metrics_lockout(m);
                }
                break;
        default:
                break;
        }
}

static bool carries_latency(const struct su_audit_req *rq, enum su_event ev)
{
        if (rq->type != SU_REQ_DECIDE && rq->type != SU_REQ_GATE && rq->type != SU_REQ_VERIFY)
                return false;
        return ev == SU_EV_DECISION || ev == SU_EV_CHALLENGE || ev == SU_EV_VERIFY_OK ||
               ev == SU_EV_VERIFY_FAIL || ev == SU_EV_LOCKOUT;
}

#define MAX_FIELDS 24

/* Each event is composed in one buffer and leaves in one write (stderr) or one sendmsg
 * (journal): no per-character stdio writes, and lines from one event never interleave. */
struct buf {
        char p[16384];
        size_t n;
};

static void add(struct buf *b, const char *s, size_t len)
{
        if (len > sizeof(b->p) - 1 - b->n)
                len = sizeof(b->p) - 1 - b->n; /* truncated, never overrun */
        memcpy(b->p + b->n, s, len);
        b->n += len;
}

static void add_str(struct buf *b, const char *s)
{
        add(b, s, strlen(s));
}

/* Values on the stderr line are quoted when they hold spaces, quotes or '='. */
static void put_value(struct buf *b, const char *v)
{
        if (!strpbrk(v, " \"=\\") && *v) {
                add_str(b, v);
                return;
        }
        add(b, "\"", 1);
        for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                        add(b, "\\", 1);
                add(b, (unsigned char)*v < 0x20 ? "?" : v, 1);
        }
        add(b, "\"", 1);
}

static void write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return;
                p += w;
                n -= (size_t)w;
        }
}

/* Writes one event (the caller holds a->lock for the stderr sink). */
static void emit(struct su_audit *a, enum su_event ev, int priority, const char *message,
                 const char *const *keys, const char *const *vals, size_t n)
{
        struct buf *b = malloc(sizeof(*b));
        if (!b)
                return;
        b->n = 0;
        if (a->journal) {
                struct iovec iov[MAX_FIELDS + 4];
                size_t m = 0, start = 0;
                char head[64];
#define FIELD_END()                                                                                \
        do {                                                                                       \
                iov[m++] = (struct iovec){.iov_base = b->p + start, .iov_len = b->n - start};      \
                start = b->n;                                                                      \
        } while (0)
                add_str(b, "MESSAGE=");
                add_str(b, message);
                FIELD_END();
                snprintf(head, sizeof(head), "MESSAGE_ID=%s", message_ids[ev]);
                add_str(b, head);
                FIELD_END();
                snprintf(head, sizeof(head), "PRIORITY=%d", priority);
                add_str(b, head);
                FIELD_END();
                add_str(b, "STEPUP_EVENT=");
                add_str(b, event_names[ev]);
                FIELD_END();
                for (size_t i = 0; i < n; i++) {
                        add_str(b, keys[i]);
                        add(b, "=", 1);
                        add_str(b, vals[i]);
                        FIELD_END();
                }
#undef FIELD_END
                sd_journal_sendv(iov, (int)m);
                free(b);
                return;
        }
        add_str(b, "stepupd: event=");
        add_str(b, event_names[ev]);
        for (size_t i = 0; i < n; i++) {
                add(b, " ", 1);
                for (const char *p = strncmp(keys[i], "STEPUP_", 7) == 0 ? keys[i] + 7 : keys[i];
                     *p; p++) {
                        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
                        add(b, &c, 1);
                }
                add(b, "=", 1);
                put_value(b, vals[i]);
        }
        add_str(b, " msg=");
        put_value(b, message);
        b->p[b->n++] = '\n'; /* add() always leaves room for it */
        write_all(STDERR_FILENO, b->p, b->n);
        free(b);
}

static void emit_suppressed(struct su_audit *a, struct su_audit_uid *u)
{
        char uid[24], count[24], window[24];
        snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
        snprintf(count, sizeof(count), "%llu", u->suppressed);
        snprintf(window, sizeof(window), "%u", a->window_s);
        const char *keys[] = {"STEPUP_CALLER_UID", "STEPUP_SUPPRESSED", "STEPUP_WINDOW_S"};
        const char *vals[] = {uid, count, window};
        char msg[160];
        snprintf(msg, sizeof(msg), "%llu more events caused by uid %u suppressed (flood)",
                 u->suppressed, (unsigned)u->uid);
        emit(a, SU_EV_ERROR, LOG_WARNING, msg, keys, vals, 3);
        u->suppressed = 0;
}

/* Low-value events a non-root caller can cause at will. */
static bool limited(const struct su_audit_req *rq, enum su_event ev)
{
        if (rq->uid == 0 || rq->type == 0)
                return false;
        return ev == SU_EV_DECISION || ev == SU_EV_CHALLENGE || ev == SU_EV_ABANDON ||
               ev == SU_EV_ERROR || ev == SU_EV_REVOKE;
}

/* True when the event may be written (a->lock held). */
static bool admit(struct su_audit *a, uid_t uid)
{
        if (a->per_uid == 0)
                return true;
        int64_t now = su_now_boot();
        struct su_audit_uid *u = &a->uids[(uid * 2654435761u) % SU_AUDIT_UID_SLOTS];
        if (u->used && u->uid != uid) {
                if (u->suppressed)
                        emit_suppressed(a, u);
                u->used = false;
        }
        if (!u->used) {
                *u = (struct su_audit_uid){.uid = uid, .used = true, .window_start = now};
        } else if (now - u->window_start >= (int64_t)a->window_s || now < u->window_start) {
                if (u->suppressed)
                        emit_suppressed(a, u);
                u->window_start = now;
                u->count = 0;
        }
        if (u->count >= a->per_uid) {
                u->suppressed++;
                return false;
        }
        u->count++;
        return true;
}

void su_audit_flush(struct su_audit *a)
{
        int64_t now = su_now_boot();
        pthread_mutex_lock(&a->lock);
        for (size_t i = 0; i < SU_AUDIT_UID_SLOTS; i++) {
                struct su_audit_uid *u = &a->uids[i];
                if (u->used && u->suppressed && now - u->window_start >= (int64_t)a->window_s)
                        emit_suppressed(a, u);
        }
        pthread_mutex_unlock(&a->lock);
}

void su_audit(const struct su_audit_req *rq, enum su_event ev, int priority, const char *message,
              ...)
{
        struct su_audit *a = rq->audit;
        const char *keys[MAX_FIELDS], *vals[MAX_FIELDS];
        size_t n = 0;
        va_list ap;

        va_start(ap, message);
        for (;;) {
                const char *k = va_arg(ap, const char *);
                if (!k)
                        break;
                const char *v = va_arg(ap, const char *);
                if (v && n < MAX_FIELDS) {
                        keys[n] = k;
                        vals[n] = v;
                        n++;
                }
        }
        va_end(ap);
        count_event(rq, ev, keys, vals, n);
        char latency[24], uid[24];
        if (carries_latency(rq, ev) && n < MAX_FIELDS) {
                snprintf(latency, sizeof(latency), "%llu",
                         (unsigned long long)(su_now_us() - rq->arrival_us));
                keys[n] = "STEPUP_LATENCY_US";
                vals[n] = latency;
                n++;
        }
        if (rq->type != 0 && rq->uid != 0 && n < MAX_FIELDS) {
                snprintf(uid, sizeof(uid), "%u", (unsigned)rq->uid);
                keys[n] = "STEPUP_CALLER_UID";
                vals[n] = uid;
                n++;
        }
        pthread_mutex_lock(&a->lock);
        if (!limited(rq, ev) || admit(a, rq->uid))
                emit(a, ev, priority, message, keys, vals, n);
        pthread_mutex_unlock(&a->lock);
}
