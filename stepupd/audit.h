/* Audit events: one structured journal entry each (or one key=value line on stderr when
 * not running under journald).  Callers never pass secrets. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

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

/* Chooses the sink: the journal when JOURNAL_STREAM is set or force_journal, else stderr. */
void su_audit_init(bool force_journal);
/* conn.c brackets each request: events of a DECIDE or VERIFY then carry STEPUP_LATENCY_US
 * (from arrival_us, CLOCK_MONOTONIC), and verification outcomes are counted (metrics.h) with
 * the event's STEPUP_SERVICE/STEPUP_FACTOR, else service/factor (copies kept by the caller
 * until su_audit_request_end; NULL when unknown). */
void su_audit_request_begin(uint8_t type, uint64_t arrival_us, const char *service,
                            const char *factor);
void su_audit_request_end(void);
/* Fields are "KEY", "value" pairs ending with NULL; a NULL value is skipped.
 * priority is a syslog priority (LOG_INFO, LOG_WARNING...). */
void su_audit(enum su_event ev, int priority, const char *message, ...) __attribute__((sentinel));
