/* The health of the shared store, shared by every thread's connection to it and owned by the
 * daemon's context (ctx.h): round trips (a histogram), errors, timeouts, connections made and
 * lost, up or down, the last error; and the back-off of connection attempts, so that while
 * the store is unreachable one thread's failed attempt spares the others theirs (they fail at
 * once until the next attempt is due).  One lock; STATS and STATUS read a snapshot. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SU_STORE_BUCKETS 16 /* finite histogram bounds; +Inf is the count */
#define SU_STORE_BACKOFF_MIN_MS 100
#define SU_STORE_BACKOFF_MAX_MS 5000

/* Upper bounds (microseconds) of the round-trip buckets: 25 us .. 5 s. */
extern const uint64_t su_store_bounds_us[SU_STORE_BUCKETS];

struct su_store_health {
        const char *backend;
        bool measured; /* the backend reports round trips (a network store) */
        bool up;       /* the last attempt to reach the store did */
        int64_t since; /* wall clock (s) of the last change of up */
        uint64_t bucket[SU_STORE_BUCKETS + 1]; /* per bucket (not cumulative); last: > max */
        uint64_t count, sum_us;                /* round trips */
        uint64_t errors;                       /* statements or connection attempts that failed */
        uint64_t timeouts;                     /* ... of which by running out of time */
        uint64_t connects;                     /* connections made */
        uint64_t reconnects;                   /* ... of which to replace a lost or failed one */
        uint64_t lost;                         /* connections found broken */
        /* a fleet's revocation list (fleet_follow.c): looks that read it whole, looks that
         * failed, the wall clock (s) of the last good one (0: none), grants ended by it */
        uint64_t follow_ok, follow_failed, follow_grants_ended;
        int64_t follow_last_ok;
        char last_error[256];
};

struct su_store_stats {
        pthread_mutex_t lock;
        struct su_store_health h;
        uint64_t retry_at_us; /* CLOCK_MONOTONIC: no connection attempt before */
        unsigned backoff_ms;
};

void su_store_stats_init(struct su_store_stats *s, const char *backend, bool measured);
void su_store_stats_done(struct su_store_stats *s);

/* One statement's round trip; r < 0 counts an error (-ETIMEDOUT a timeout too). */
void su_store_stats_round_trip(struct su_store_stats *s, uint64_t us, int r);
/* May a connection attempt be made now?  When not, *ret_wait_ms says how long until one may. */
bool su_store_stats_may_connect(struct su_store_stats *s, unsigned *ret_wait_ms);
/* A connection was made (again: reconnect); the store is up and the back-off starts over. */
void su_store_stats_connected(struct su_store_stats *s, bool again);
/* A connection attempt failed, or a connection was found broken (lost): down, and the next
 * attempt waits out the back-off (doubling from SU_STORE_BACKOFF_MIN_MS to ..._MAX_MS). */
void su_store_stats_down(struct su_store_stats *s, int r, const char *why, bool lost);
/* One look at the revocation list: r < 0 failed; grants: the host's grants it ended. */
void su_store_stats_follow(struct su_store_stats *s, int r, unsigned grants);
void su_store_stats_snapshot(struct su_store_stats *s, struct su_store_health *ret);
