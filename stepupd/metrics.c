/* Counters and latency histograms, in memory, since the daemon started (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const uint64_t su_metrics_bounds_us[SU_METRICS_BUCKETS] = {
    50,    100,   250,    500,    1000,   2500,    5000,    10000,
    25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
};

static const char *const decision_names[SU_MD_MAX_] = {"allow", "deny", "challenge"};
static const char *const outcome_names[SU_MO_MAX_] = {"success", "failure", "abandoned", "locked",
                                                      "error"};

static struct su_metrics daemon_metrics;

uint64_t su_metrics_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void su_metrics_init(struct su_metrics *m)
{
        memset(m, 0, sizeof(*m));
        m->start_us = su_metrics_now_us();
        m->start_wall = (int64_t)time(NULL);
        snprintf(m->services[SU_METRICS_SERVICES_MAX].name, sizeof(m->services[0].name), "%s",
                 SU_METRICS_OTHER);
        snprintf(m->factors[SU_METRICS_FACTORS_MAX].name, sizeof(m->factors[0].name), "%s",
                 SU_METRICS_OTHER);
}

/* Started with the process, so that uptime counts from the start, not the first request. */
__attribute__((constructor)) static void start_daemon_metrics(void)
{
        su_metrics_init(&daemon_metrics);
}

struct su_metrics *su_metrics(void)
{
        return &daemon_metrics;
}

const char *su_metric_decision_name(enum su_metric_decision d)
{
        return (unsigned)d < SU_MD_MAX_ ? decision_names[d] : "?";
}

const char *su_metric_outcome_name(enum su_metric_outcome o)
{
        return (unsigned)o < SU_MO_MAX_ ? outcome_names[o] : "?";
}

/* A label must be safe in a key=value line and a Prometheus label without escaping. */
static bool plain_label(const char *s)
{
        size_t n = strnlen(s, SU_METRICS_NAME_MAX + 1);
        if (n == 0 || n > SU_METRICS_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      strchr("._@+-", c)))
                        return false;
        }
        return true;
}

/* The row for name: found, added while there is room, else the "(other)" row at [max]. */
static struct su_metric_row *row_for(struct su_metric_row *rows, size_t *n, size_t max,
                                     const char *name)
{
        if (!name)
                name = SU_METRICS_NONE;
        else if (!plain_label(name))
                return &rows[max];
        for (size_t i = 0; i < *n; i++)
                if (strcmp(rows[i].name, name) == 0)
                        return &rows[i];
        if (*n >= max)
                return &rows[max];
        struct su_metric_row *r = &rows[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", name);
        return r;
}

void su_metrics_decision(struct su_metrics *m, const char *service, enum su_metric_decision d)
{
        if ((unsigned)d >= SU_MD_MAX_)
                return;
        m->decisions[d]++;
        row_for(m->services, &m->nservices, SU_METRICS_SERVICES_MAX, service)->decisions[d]++;
}

void su_metrics_verify(struct su_metrics *m, const char *service, const char *factor,
                       enum su_metric_outcome o)
{
        if ((unsigned)o >= SU_MO_MAX_)
                return;
        row_for(m->factors, &m->nfactors, SU_METRICS_FACTORS_MAX, factor)->outcomes[o]++;
        row_for(m->services, &m->nservices, SU_METRICS_SERVICES_MAX, service)->outcomes[o]++;
}

void su_metrics_lockout(struct su_metrics *m)
{
        m->lockouts++;
}

void su_metrics_latency(struct su_metrics *m, enum su_metric_hist h, uint64_t usec)
{
        if ((unsigned)h >= SU_MH_MAX_)
                return;
        struct su_histogram *hg = &m->hist[h];
        size_t i = 0;
        while (i < SU_METRICS_BUCKETS && usec > su_metrics_bounds_us[i])
                i++;
        hg->bucket[i]++;
        hg->count++;
        hg->sum_us += usec;
}

struct out {
        char *p;
        size_t size, used;
        bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
        if (o->full)
                return;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(o->p + o->used, o->size - o->used, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= o->size - o->used) {
                o->full = true;
                o->p[o->used] = 0;
                return;
        }
        o->used += (size_t)n;
}

static void put_row(struct out *o, const char *prefix, const struct su_metric_row *r,
                    bool decisions)
{
        put(o, "%s.%s=", prefix, r->name);
        if (decisions)
                for (size_t i = 0; i < SU_MD_MAX_; i++)
                        put(o, "%llu ", (unsigned long long)r->decisions[i]);
        for (size_t i = 0; i < SU_MO_MAX_; i++)
                put(o, "%llu%s", (unsigned long long)r->outcomes[i],
                    i + 1 < SU_MO_MAX_ ? " " : "\n");
}

static void put_hist(struct out *o, const char *name, const struct su_histogram *h)
{
        uint64_t cum = 0;
        put(o, "%s.le=", name);
        for (size_t i = 0; i < SU_METRICS_BUCKETS; i++) {
                cum += h->bucket[i];
                put(o, "%llu%s", (unsigned long long)cum, i + 1 < SU_METRICS_BUCKETS ? " " : "\n");
        }
        put(o, "%s.count=%llu\n%s.sum=%llu\n", name, (unsigned long long)h->count, name,
            (unsigned long long)h->sum_us);
}

static void add_row(struct su_metric_row *to, const struct su_metric_row *from)
{
        for (size_t i = 0; i < SU_MD_MAX_; i++)
                to->decisions[i] += from->decisions[i];
        for (size_t i = 0; i < SU_MO_MAX_; i++)
                to->outcomes[i] += from->outcomes[i];
}

/* Room for the "(other)" service line: name plus eight 20-digit counters. */
#define OTHER_LINE_MAX (sizeof("service." SU_METRICS_OTHER "=\n") + 8 * 21)

int su_metrics_format(const struct su_metrics *m, char *body, size_t size)
{
        if (size < 2048)
                return -ENOBUFS;
        struct out o = {.p = body, .size = size};
        body[0] = 0;
        uint64_t up = (su_metrics_now_us() - m->start_us) / 1000000u;
        put(&o, "stats_version=1\nuptime_seconds=%llu\nstart_time=%lld\n", (unsigned long long)up,
            (long long)m->start_wall);
        put(&o, "decision_columns=allow deny challenge\n"
                "outcome_columns=success failure abandoned locked error\n");
        put(&o, "decisions=%llu %llu %llu\nlockouts=%llu\n",
            (unsigned long long)m->decisions[SU_MD_ALLOW],
            (unsigned long long)m->decisions[SU_MD_DENY],
            (unsigned long long)m->decisions[SU_MD_CHALLENGE], (unsigned long long)m->lockouts);
        put(&o, "bounds_us=");
        for (size_t i = 0; i < SU_METRICS_BUCKETS; i++)
                put(&o, "%llu%s", (unsigned long long)su_metrics_bounds_us[i],
                    i + 1 < SU_METRICS_BUCKETS ? " " : "\n");
        put_hist(&o, "decide_us", &m->hist[SU_MH_DECIDE]);
        put_hist(&o, "verify_us", &m->hist[SU_MH_VERIFY]);
        for (size_t i = 0; i <= SU_METRICS_FACTORS_MAX; i++)
                if (i < m->nfactors || i == SU_METRICS_FACTORS_MAX) {
                        const struct su_metric_row *r = &m->factors[i];
                        uint64_t any = 0;
                        for (size_t k = 0; k < SU_MO_MAX_; k++)
                                any |= r->outcomes[k];
                        if (i < m->nfactors || any)
                                put_row(&o, "factor", r, false);
                }
        if (o.full)
                return -ENOBUFS;

        /* Services last: those that do not fit are added to "(other)". */
        struct su_metric_row other = m->services[SU_METRICS_SERVICES_MAX];
        for (size_t i = 0; i < m->nservices; i++) {
                const struct su_metric_row *r = &m->services[i];
                size_t before = o.used;
                if (o.size - o.used > OTHER_LINE_MAX)
                        put_row(&o, "service", r, true);
                if (o.full || o.size - o.used <= OTHER_LINE_MAX) {
                        o.full = false;
                        o.used = before;
                        body[before] = 0;
                        add_row(&other, r);
                }
        }
        uint64_t any = 0;
        for (size_t k = 0; k < SU_MD_MAX_; k++)
                any |= other.decisions[k];
        for (size_t k = 0; k < SU_MO_MAX_; k++)
                any |= other.outcomes[k];
        if (any)
                put_row(&o, "service", &other, true);
        return o.full ? -ENOBUFS : (int)o.used;
}
