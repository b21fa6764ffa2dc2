/* Counters and latency histograms, in memory, since the daemon started (see metrics.h). */
#include "metrics.h"

#include "json_text.h"

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

uint64_t su_metrics_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void su_metrics_init(struct su_metrics *m)
{
        memset(m, 0, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
        m->start_us = su_metrics_now_us();
        m->start_wall = (int64_t)time(NULL);
        snprintf(m->services[SU_METRICS_SERVICES_MAX].name, sizeof(m->services[0].name), "%s",
                 SU_METRICS_OTHER);
        snprintf(m->factors[SU_METRICS_FACTORS_MAX].name, sizeof(m->factors[0].name), "%s",
                 SU_METRICS_OTHER);
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
        pthread_mutex_lock(&m->lock);
        m->decisions[d]++;
        row_for(m->services, &m->nservices, SU_METRICS_SERVICES_MAX, service)->decisions[d]++;
        pthread_mutex_unlock(&m->lock);
}

void su_metrics_verify(struct su_metrics *m, const char *service, const char *factor,
                       enum su_metric_outcome o)
{
        if ((unsigned)o >= SU_MO_MAX_)
                return;
        pthread_mutex_lock(&m->lock);
        row_for(m->factors, &m->nfactors, SU_METRICS_FACTORS_MAX, factor)->outcomes[o]++;
        row_for(m->services, &m->nservices, SU_METRICS_SERVICES_MAX, service)->outcomes[o]++;
        pthread_mutex_unlock(&m->lock);
}

void su_metrics_lockout(struct su_metrics *m)
{
        pthread_mutex_lock(&m->lock);
        m->lockouts++;
        pthread_mutex_unlock(&m->lock);
}

void su_metrics_latency(struct su_metrics *m, enum su_metric_hist h, uint64_t usec)
{
        if ((unsigned)h >= SU_MH_MAX_)
                return;
        struct su_histogram *hg = &m->hist[h];
        size_t i = 0;
        while (i < SU_METRICS_BUCKETS && usec > su_metrics_bounds_us[i])
                i++;
        pthread_mutex_lock(&m->lock);
        hg->bucket[i]++;
        hg->count++;
        hg->sum_us += usec;
        pthread_mutex_unlock(&m->lock);
}

static json_t *row_json(const struct su_metric_row *r, bool decisions)
{
        json_t *o = json_object(), *out = json_object();
        for (size_t i = 0; i < SU_MO_MAX_; i++)
                json_object_set_new(out, outcome_names[i],
                                    json_integer((json_int_t)r->outcomes[i]));
        json_object_set_new(o, "outcomes", out);
        if (decisions) {
                json_t *d = json_object();
                for (size_t i = 0; i < SU_MD_MAX_; i++)
                        json_object_set_new(d, decision_names[i],
                                            json_integer((json_int_t)r->decisions[i]));
                json_object_set_new(o, "decisions", d);
        }
        return o;
}

static json_t *hist_json(const struct su_histogram *h)
{
        json_t *o = json_object(), *le = json_array();
        uint64_t cum = 0;
        for (size_t i = 0; i < SU_METRICS_BUCKETS; i++) {
                cum += h->bucket[i];
                json_array_append_new(le, json_integer((json_int_t)cum));
        }
        json_object_set_new(o, "le", le);
        json_object_set_new(o, "count", json_integer((json_int_t)h->count));
        json_object_set_new(o, "sum_us", json_integer((json_int_t)h->sum_us));
        return o;
}

static void add_row(struct su_metric_row *to, const struct su_metric_row *from)
{
        for (size_t i = 0; i < SU_MD_MAX_; i++)
                to->decisions[i] += from->decisions[i];
        for (size_t i = 0; i < SU_MO_MAX_; i++)
                to->outcomes[i] += from->outcomes[i];
}

static bool row_used(const struct su_metric_row *r)
{
        uint64_t any = 0;
        for (size_t k = 0; k < SU_MD_MAX_; k++)
                any |= r->decisions[k];
        for (size_t k = 0; k < SU_MO_MAX_; k++)
                any |= r->outcomes[k];
        return any != 0;
}

json_t *su_metrics_json(struct su_metrics *m)
{
        json_t *o = json_object();
        if (!o)
                return NULL;
        pthread_mutex_lock(&m->lock);
        uint64_t up = (su_metrics_now_us() - m->start_us) / 1000000u;
        json_object_set_new(o, "stats_version", json_integer(2));
        json_object_set_new(o, "uptime_seconds", json_integer((json_int_t)up));
        json_object_set_new(o, "start_time", json_integer((json_int_t)m->start_wall));
        json_t *d = json_object();
        for (size_t i = 0; i < SU_MD_MAX_; i++)
                json_object_set_new(d, decision_names[i],
                                    json_integer((json_int_t)m->decisions[i]));
        json_object_set_new(o, "decisions", d);
        json_object_set_new(o, "lockouts", json_integer((json_int_t)m->lockouts));
        json_t *bounds = json_array();
        for (size_t i = 0; i < SU_METRICS_BUCKETS; i++)
                json_array_append_new(bounds, json_integer((json_int_t)su_metrics_bounds_us[i]));
        json_object_set_new(o, "bounds_us", bounds);
        json_object_set_new(o, "decide_us", hist_json(&m->hist[SU_MH_DECIDE]));
        json_object_set_new(o, "verify_us", hist_json(&m->hist[SU_MH_VERIFY]));
        json_t *f = json_object(), *sv = json_object();
        for (size_t i = 0; i <= SU_METRICS_FACTORS_MAX; i++)
                if (i < m->nfactors || (i == SU_METRICS_FACTORS_MAX && row_used(&m->factors[i])))
                        json_object_set_new(f, m->factors[i].name, row_json(&m->factors[i], false));
        /* Services that do not fit in the reply are added to "(other)". */
        struct su_metric_row other = m->services[SU_METRICS_SERVICES_MAX];
        size_t used = 0;
        for (size_t i = 0; i < m->nservices; i++) {
                json_t *row = row_json(&m->services[i], true);
                size_t size =
                    json_dumpb(row, NULL, 0, JSON_COMPACT) + strlen(m->services[i].name) + 4;
                if (used + size > SU_METRICS_SERVICES_JSON_MAX) {
                        json_decref(row);
                        add_row(&other, &m->services[i]);
                        continue;
                }
                used += size;
                json_object_set_new(sv, m->services[i].name, row);
        }
        if (row_used(&other))
                json_object_set_new(sv, other.name, row_json(&other, true));
        json_object_set_new(o, "factors", f);
        json_object_set_new(o, "services", sv);
        pthread_mutex_unlock(&m->lock);
        return o;
}

json_t *su_metrics_store_json(struct su_store_stats *s, bool detail)
{
        struct su_store_health h;
        su_store_stats_snapshot(s, &h);
        json_t *o = json_object();
        if (!o)
                return NULL;
        json_object_set_new(o, "backend", json_string(h.backend));
        json_object_set_new(o, "up", json_boolean(h.up));
        json_object_set_new(o, "since", json_integer((json_int_t)h.since));
        if (!h.measured)
                return o;
        json_t *bounds = json_array(), *le = json_array(), *rt = json_object();
        uint64_t cum = 0;
        for (size_t i = 0; i < SU_STORE_BUCKETS; i++) {
                cum += h.bucket[i];
                json_array_append_new(bounds, json_integer((json_int_t)su_store_bounds_us[i]));
                json_array_append_new(le, json_integer((json_int_t)cum));
        }
        json_object_set_new(rt, "bounds_us", bounds);
        json_object_set_new(rt, "le", le);
        json_object_set_new(rt, "count", json_integer((json_int_t)h.count));
        json_object_set_new(rt, "sum_us", json_integer((json_int_t)h.sum_us));
        json_object_set_new(o, "round_trip_us", rt);
        json_object_set_new(o, "errors", json_integer((json_int_t)h.errors));
        json_object_set_new(o, "timeouts", json_integer((json_int_t)h.timeouts));
        json_object_set_new(o, "connects", json_integer((json_int_t)h.connects));
        json_object_set_new(o, "reconnects", json_integer((json_int_t)h.reconnects));
        json_object_set_new(o, "lost", json_integer((json_int_t)h.lost));
        if (h.follow_ok || h.follow_failed) {
                json_t *f = json_object();
                json_object_set_new(f, "looks", json_integer((json_int_t)h.follow_ok));
                json_object_set_new(f, "failed", json_integer((json_int_t)h.follow_failed));
                json_object_set_new(f, "last_ok", json_integer((json_int_t)h.follow_last_ok));
                json_object_set_new(f, "grants_ended",
                                    json_integer((json_int_t)h.follow_grants_ended));
                json_object_set_new(o, "revocations", f);
        }
        if (detail)
                json_object_set_new(o, "last_error", su_json_text(h.last_error));
        return o;
}
