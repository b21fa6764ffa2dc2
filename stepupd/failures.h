/* Failure counts, the rate-limit window and lockout: the state, the limits, and the rules
 * that every store backend applies the same way. */
#pragma once

#include <stdint.h>

struct su_failures {
        int64_t consecutive;  /* failures since the last success */
        int64_t window_start; /* start of the current rate-limit window (wall, s) */
        int64_t window_count; /* attempts in that window */
        int64_t last_failure_at;
};

struct su_store_limits {
        int64_t rate_attempts;    /* attempts per rate_window */
        int64_t rate_window;      /* s */
        int64_t lockout_failures; /* consecutive failures that lock */
        int64_t lockout_duration; /* s after the last failure */
};

enum su_wait_reason { SU_WAIT_NONE = 0, SU_WAIT_LOCKED, SU_WAIT_RATE };

/* Seconds the user must wait before the next attempt (0: may try now) and why.  A failure or
 * window stamped in the future (clock set back) keeps the limit on for its whole length. */
int64_t su_failures_wait(const struct su_failures *f, const struct su_store_limits *l, int64_t now,
                         enum su_wait_reason *ret_why);
