/* The rules of lockout and rate limit, the same for every store backend. */
#include "failures.h"

int64_t su_failures_wait(const struct su_failures *f, const struct su_store_limits *l, int64_t now,
                         enum su_wait_reason *ret_why)
{
        *ret_why = SU_WAIT_NONE;
        if (f->consecutive >= l->lockout_failures) {
                int64_t until = f->last_failure_at + l->lockout_duration;
                if (f->last_failure_at > now) {
                        *ret_why = SU_WAIT_LOCKED;
                        return l->lockout_duration;
                }
                if (now < until) {
                        *ret_why = SU_WAIT_LOCKED;
                        return until - now;
                }
        }
        if (f->window_count >= l->rate_attempts) {
                int64_t until = f->window_start + l->rate_window;
                if (f->window_start > now) {
                        *ret_why = SU_WAIT_RATE;
                        return l->rate_window;
                }
                if (now < until) {
                        *ret_why = SU_WAIT_RATE;
                        return until - now;
                }
        }
        return 0;
}
