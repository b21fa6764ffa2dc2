/* The store's health and connection back-off (store_stats.h). */
#include "store_stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const uint64_t su_store_bounds_us[SU_STORE_BUCKETS] = {
    25,    50,    100,   250,    500,    1000,   2500,    5000,
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000,
};

static uint64_t mono_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void su_store_stats_init(struct su_store_stats *s, const char *backend, bool measured)
{
        memset(s, 0, sizeof(*s));
        pthread_mutex_init(&s->lock, NULL);
        s->h.backend = backend;
        s->h.measured = measured;
        s->h.up = true; /* an embedded store is always there; a network one says otherwise */
        s->h.since = (int64_t)time(NULL);
        s->backoff_ms = SU_STORE_BACKOFF_MIN_MS;
}

void su_store_stats_done(struct su_store_stats *s)
{
        pthread_mutex_destroy(&s->lock);
}

void su_store_stats_round_trip(struct su_store_stats *s, uint64_t us, int r)
{
        size_t i = 0;
        while (i < SU_STORE_BUCKETS && us > su_store_bounds_us[i])
                i++;
        pthread_mutex_lock(&s->lock);
        s->h.bucket[i]++;
        s->h.count++;
        s->h.sum_us += us;
        if (r < 0)
                s->h.errors++;
        if (r == -ETIMEDOUT)
                s->h.timeouts++;
        pthread_mutex_unlock(&s->lock);
}

bool su_store_stats_may_connect(struct su_store_stats *s, unsigned *ret_wait_ms)
{
        uint64_t now = mono_us();
        pthread_mutex_lock(&s->lock);
        bool may = now >= s->retry_at_us;
        *ret_wait_ms = may ? 0 : (unsigned)((s->retry_at_us - now + 999) / 1000);
        pthread_mutex_unlock(&s->lock);
        return may;
}

static void set_up(struct su_store_stats *s, bool up)
{
        if (s->h.up != up)
                s->h.since = (int64_t)time(NULL);
        s->h.up = up;
}

void su_store_stats_connected(struct su_store_stats *s, bool again)
{
        pthread_mutex_lock(&s->lock);
        s->h.connects++;
        if (again)
                s->h.reconnects++;
        set_up(s, true);
        s->retry_at_us = 0;
        s->backoff_ms = SU_STORE_BACKOFF_MIN_MS;
        pthread_mutex_unlock(&s->lock);
}

void su_store_stats_down(struct su_store_stats *s, int r, const char *why, bool lost)
{
        pthread_mutex_lock(&s->lock);
        if (lost) {
                s->h.lost++;
        } else {
                /* A failed attempt: the others wait, and the wait grows while it lasts. */
                s->h.errors++;
                if (r == -ETIMEDOUT)
                        s->h.timeouts++;
                s->retry_at_us = mono_us() + (uint64_t)s->backoff_ms * 1000u;
                s->backoff_ms = s->backoff_ms * 2 > SU_STORE_BACKOFF_MAX_MS
                                    ? SU_STORE_BACKOFF_MAX_MS
                                    : s->backoff_ms * 2;
        }
        set_up(s, false);
        snprintf(s->h.last_error, sizeof(s->h.last_error), "%s", why ? why : "");
        pthread_mutex_unlock(&s->lock);
}

void su_store_stats_follow(struct su_store_stats *s, int r, unsigned grants)
{
        pthread_mutex_lock(&s->lock);
        if (r < 0) {
                s->h.follow_failed++;
        } else {
                s->h.follow_ok++;
                s->h.follow_last_ok = (int64_t)time(NULL);
        }
        s->h.follow_grants_ended += grants;
        pthread_mutex_unlock(&s->lock);
}

void su_store_stats_snapshot(struct su_store_stats *s, struct su_store_health *ret)
{
        pthread_mutex_lock(&s->lock);
        *ret = s->h;
        pthread_mutex_unlock(&s->lock);
}
