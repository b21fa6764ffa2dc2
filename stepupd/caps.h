/* What one caller may hold at once, so that no local user can starve another or root:
 *  - connections: the PAM socket's slots are its own (root only); the user socket has a total
 *    and a per-uid cap;
 *  - pending challenges per user (a prompt left open holds a connection for
 *    challenge_timeout);
 *  - costly work (password hashing: milliseconds of CPU each) per uid, as a token bucket;
 *  - calls that wait on a network service (the idp factor's HTTP), all callers together, so
 *    that a slow or hung identity provider never holds every pool thread.
 * Root is never limited by the per-uid caps.  Thread-safe. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SU_LIMITS_SLOTS 4096 /* uids and users tracked at once (open addressing) */
#define SU_LIMITS_NAME_MAX 256

struct su_limits_uid {
        uid_t uid;
        bool used;
        unsigned conns;      /* open user-socket connections */
        double tokens;       /* costly work allowed now */
        int64_t refilled_us; /* when tokens was last topped up */
};

struct su_limits_user {
        char name[SU_LIMITS_NAME_MAX + 1];
        unsigned pending;
};

struct su_limits {
        pthread_mutex_t lock;
        unsigned pam_max, user_max, user_per_uid, challenges_per_user;
        double cost_burst, cost_per_s;
        unsigned pam_open, user_open;
        unsigned network_max, network_busy; /* calls waiting on a network service */
        struct su_limits_uid uids[SU_LIMITS_SLOTS];
        struct su_limits_user users[SU_LIMITS_SLOTS];
};

void su_limits_init(struct su_limits *l, unsigned pam_max, unsigned user_max, unsigned user_per_uid,
                    unsigned challenges_per_user, unsigned cost_burst, unsigned cost_per_minute);
void su_limits_done(struct su_limits *l);

/* A new connection: 0, or -EBUSY with *why naming the cap that is full. */
int su_limits_conn_open(struct su_limits *l, bool pam_socket, uid_t uid, const char **why);
void su_limits_conn_close(struct su_limits *l, bool pam_socket, uid_t uid);

/* cost units of costly work for uid: 0, or -EBUSY with *ret_wait_s until it may. */
int su_limits_cost(struct su_limits *l, uid_t uid, unsigned cost, unsigned *ret_wait_s);

/* A challenge for user starts / ends: 0 or -EBUSY when the user has too many open. */
int su_limits_challenge_acquire(struct su_limits *l, const char *user);
void su_limits_challenge_release(struct su_limits *l, const char *user);

/* At most max calls wait on a network service at once (set once, before any thread). */
void su_limits_network_init(struct su_limits *l, unsigned max);
/* One such call starts / ends: 0, or -EAGAIN when max are already running (the engine says
 * -ENOBUFS). */
int su_limits_network_acquire(struct su_limits *l);
void su_limits_network_release(struct su_limits *l);

/* Snapshot for STATS. */
void su_limits_counts(struct su_limits *l, unsigned *pam_open, unsigned *user_open);
