/* In-memory counters and latency histograms of stepupd since it started, shared by its
 * threads (one lock).  Labels are services and factors only, never user names; both sets are
 * bounded (later or odd names count as "(other)").  su_metrics_json() is the STATS reply. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "store_stats.h"

#define SU_METRICS_SERVICES_MAX 64 /* distinct services, then "(other)" */
#define SU_METRICS_FACTORS_MAX 8   /* distinct factors, then "(other)" */
#define SU_METRICS_NAME_MAX 64
#define SU_METRICS_SERVICES_JSON_MAX 9000 /* bytes of services in a STATS reply */
#define SU_METRICS_BUCKETS 16             /* finite histogram bounds; +Inf is the count */
#define SU_METRICS_OTHER "(other)"
#define SU_METRICS_NONE "(none)"

enum su_metric_decision { SU_MD_ALLOW, SU_MD_DENY, SU_MD_CHALLENGE, SU_MD_MAX_ };
enum su_metric_outcome {
        SU_MO_SUCCESS,
        SU_MO_FAILURE,
        SU_MO_ABANDONED,
        SU_MO_LOCKED,
        SU_MO_ERROR,
        SU_MO_MAX_
};
enum su_metric_hist { SU_MH_DECIDE, SU_MH_VERIFY, SU_MH_MAX_ };

struct su_metric_row {
        char name[SU_METRICS_NAME_MAX + 1];
        uint64_t decisions[SU_MD_MAX_];
        uint64_t outcomes[SU_MO_MAX_];
};

struct su_histogram {
        uint64_t bucket[SU_METRICS_BUCKETS + 1]; /* per bucket (not cumulative); last: > max */
        uint64_t count;
        uint64_t sum_us;
};

struct su_metrics {
        pthread_mutex_t lock;
        uint64_t start_us;  /* CLOCK_MONOTONIC */
        int64_t start_wall; /* seconds since the epoch */
        uint64_t decisions[SU_MD_MAX_];
        uint64_t lockouts; /* users who reached lockout_failures */
        size_t nservices, nfactors;
        struct su_metric_row services[SU_METRICS_SERVICES_MAX + 1]; /* last: "(other)" */
        struct su_metric_row factors[SU_METRICS_FACTORS_MAX + 1];
        struct su_histogram hist[SU_MH_MAX_];
};

/* Upper bounds (microseconds) of the finite buckets: 50 us .. 5 s, 1-2.5-5 steps. */
extern const uint64_t su_metrics_bounds_us[SU_METRICS_BUCKETS];

uint64_t su_metrics_now_us(void);

void su_metrics_init(struct su_metrics *m);
void su_metrics_decision(struct su_metrics *m, const char *service, enum su_metric_decision d);
/* service and factor may be NULL (unknown): counted as "(none)". */
void su_metrics_verify(struct su_metrics *m, const char *service, const char *factor,
                       enum su_metric_outcome o);
void su_metrics_lockout(struct su_metrics *m);
void su_metrics_latency(struct su_metrics *m, enum su_metric_hist h, uint64_t usec);

const char *su_metric_decision_name(enum su_metric_decision d);
const char *su_metric_outcome_name(enum su_metric_outcome o);

/* A snapshot of every counter as a JSON object (docs/protocol.md, STATS); NULL: no memory. */
json_t *su_metrics_json(struct su_metrics *m);
/* The shared store's health (STATS "store_health"): backend, up, since, the round-trip
 * histogram, errors, timeouts, connections made, reconnects, lost; last_error only when
 * detail (root's STATS; the message may name hosts). */
json_t *su_metrics_store_json(struct su_store_stats *s, bool detail);
