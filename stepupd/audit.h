/* Audit events: one structured journal entry each (or one key=value line on stderr when not
 * running under journald).  Callers never pass secrets.  Verification outcomes are counted in
 * the metrics from the events themselves, so the counters and the trail agree.
 * One uid's flood cannot push the events that matter out of journald's rate limit: events of
 * a non-root caller about decisions, challenges and errors are limited per uid (a summary
 * line says how many were suppressed); verification results and lockouts never are. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "metrics.h"

enum su_event {
        SU_EV_DECISION,
        SU_EV_CHALLENGE,
        SU_EV_VERIFY_OK,
        SU_EV_VERIFY_FAIL,
        SU_EV_LOCKOUT,
        SU_EV_ENROLL,
        SU_EV_RELOAD,
        SU_EV_REVOKE,
        SU_EV_ABANDON,
        SU_EV_START,
        SU_EV_ERROR,
        SU_EV_MAX_
};

#define SU_AUDIT_UID_SLOTS 1024

struct su_audit_uid {
        uid_t uid;
        bool used;
        int64_t window_start; /* CLOCK_BOOTTIME s */
        unsigned count;
        unsigned long long suppressed;
};

struct su_audit {
        pthread_mutex_t lock; /* the limiter and the stderr line */
        bool journal;
        struct su_metrics *metrics;
        unsigned per_uid;  /* events a non-root uid may cause per window; 0 = no limit */
        unsigned window_s; /* the window */
        struct su_audit_uid uids[SU_AUDIT_UID_SLOTS];
};

/* The request an event belongs to: latency (events of DECIDE, GATE and VERIFY carry
 * STEPUP_LATENCY_US from arrival_us, CLOCK_MONOTONIC), which counters it feeds (service and
 * factor when the event does not name them), and whose flood it is. */
struct su_audit_req {
        struct su_audit *audit;
        uint8_t type; /* message type; 0 outside a request */
        uint64_t arrival_us;
        const char *service, *factor;
        uid_t uid;
};

/* The sink: the journal when JOURNAL_STREAM is set or force_journal, else stderr. */
void su_audit_init(struct su_audit *a, bool force_journal, struct su_metrics *metrics,
                   unsigned per_uid, unsigned window_s);
void su_audit_done(struct su_audit *a);
/* Writes the "N events suppressed" lines of windows that have ended. */
void su_audit_flush(struct su_audit *a);

/* Fields are "KEY", "value" pairs ending with NULL; a NULL value is skipped.
 * priority is a syslog priority (LOG_INFO, LOG_WARNING...). */
void su_audit(const struct su_audit_req *rq, enum su_event ev, int priority, const char *message,
              ...) __attribute__((sentinel));
