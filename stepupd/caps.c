#include "caps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clocks.h"

void su_limits_init(struct su_limits *l, unsigned pam_max, unsigned user_max, unsigned user_per_uid,
                    unsigned challenges_per_user, unsigned cost_burst, unsigned cost_per_minute)
{
        memset(l, 0, sizeof(*l));
        pthread_mutex_init(&l->lock, NULL);
        l->pam_max = pam_max;
        l->user_max = user_max;
        l->user_per_uid = user_per_uid;
        l->challenges_per_user = challenges_per_user;
        l->cost_burst = cost_burst;
        l->cost_per_s = cost_per_minute / 60.0;
}

void su_limits_done(struct su_limits *l)
{
        pthread_mutex_destroy(&l->lock);
}

static size_t hash_uid(uid_t uid)
{
        return (size_t)((uid * 2654435761u) % SU_LIMITS_SLOTS);
}

/* The uid's slot (linear probing); create: claim a free one.  NULL when full or absent. */
static struct su_limits_uid *uid_slot(struct su_limits *l, uid_t uid, bool create)
{
        size_t h = hash_uid(uid);
        for (size_t i = 0; i < SU_LIMITS_SLOTS; i++) {
                struct su_limits_uid *u = &l->uids[(h + i) % SU_LIMITS_SLOTS];
                if (u->used && u->uid == uid)
                        return u;
                if (!u->used) {
                        if (!create)
                                return NULL;
                        *u = (struct su_limits_uid){.uid = uid,
                                                    .used = true,
                                                    .tokens = l->cost_burst,
                                                    .refilled_us = (int64_t)su_now_us()};
                        return u;
                }
        }
        return NULL;
}

/* A slot with nothing to remember is given back (probing stays correct: we compact the
 * run behind it, as in Knuth's algorithm R). */
static void uid_maybe_free(struct su_limits *l, struct su_limits_uid *u)
{
        if (u->conns > 0 || u->tokens < l->cost_burst)
                return;
        size_t i = (size_t)(u - l->uids);
        u->used = false;
        for (size_t j = (i + 1) % SU_LIMITS_SLOTS; l->uids[j].used; j = (j + 1) % SU_LIMITS_SLOTS) {
                size_t k = hash_uid(l->uids[j].uid);
                bool move = i <= j ? (k <= i || k > j) : (k <= i && k > j);
                if (move) {
                        l->uids[i] = l->uids[j];
                        l->uids[j].used = false;
                        i = j;
                }
        }
}

int su_limits_conn_open(struct su_limits *l, bool pam_socket, uid_t uid, const char **why)
{
        int r = 0;
        pthread_mutex_lock(&l->lock);
        if (pam_socket) {
                if (l->pam_open >= l->pam_max) {
                        *why = "the PAM socket's connections are all in use";
                        r = -EBUSY;
                } else {
                        l->pam_open++;
                }
        } else if (l->user_open >= l->user_max) {
                *why = "the user socket's connections are all in use";
                r = -EBUSY;
        } else if (uid == 0) {
                l->user_open++;
        } else {
                struct su_limits_uid *u = uid_slot(l, uid, true);
                if (!u) {
                        *why = "too many callers at once";
                        r = -EBUSY;
                } else if (u->conns >= l->user_per_uid) {
                        *why = "too many connections from this user";
                        r = -EBUSY;
                } else {
                        u->conns++;
                        l->user_open++;
                }
        }
        pthread_mutex_unlock(&l->lock);
        return r;
}

void su_limits_conn_close(struct su_limits *l, bool pam_socket, uid_t uid)
{
        pthread_mutex_lock(&l->lock);
        if (pam_socket) {
                l->pam_open--;
        } else {
                l->user_open--;
                struct su_limits_uid *u = uid == 0 ? NULL : uid_slot(l, uid, false);
                if (u) {
                        u->conns--;
                        uid_maybe_free(l, u);
                }
        }
        pthread_mutex_unlock(&l->lock);
}

int su_limits_cost(struct su_limits *l, uid_t uid, unsigned cost, unsigned *ret_wait_s)
{
        if (uid == 0)
                return 0;
        int r = 0;
        pthread_mutex_lock(&l->lock);
        struct su_limits_uid *u = uid_slot(l, uid, true);
        if (!u) {
                *ret_wait_s = 1;
                r = -EBUSY;
                goto out;
        }
        int64_t now = (int64_t)su_now_us();
        double add = (double)(now - u->refilled_us) / 1e6 * l->cost_per_s;
        u->tokens = u->tokens + add > l->cost_burst ? l->cost_burst : u->tokens + add;
        u->refilled_us = now;
        if (u->tokens < cost) {
                double need = cost - u->tokens;
                *ret_wait_s = l->cost_per_s > 0 ? (unsigned)(need / l->cost_per_s) + 1 : 3600;
                r = -EBUSY;
                goto out;
        }
        u->tokens -= cost;
out:
        pthread_mutex_unlock(&l->lock);
        return r;
}

static size_t hash_name(const char *s)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ull;
        return (size_t)(h % SU_LIMITS_SLOTS);
}

int su_limits_challenge_acquire(struct su_limits *l, const char *user)
{
        int r = -EBUSY;
        pthread_mutex_lock(&l->lock);
        size_t h = hash_name(user);
        struct su_limits_user *free_slot = NULL;
        for (size_t i = 0; i < SU_LIMITS_SLOTS; i++) {
                struct su_limits_user *u = &l->users[(h + i) % SU_LIMITS_SLOTS];
                if (u->pending > 0 && strcmp(u->name, user) == 0) {
                        if (u->pending < l->challenges_per_user) {
                                u->pending++;
                                r = 0;
                        }
                        goto out;
                }
                if (u->pending == 0 && !free_slot)
                        free_slot = u;
                if (u->name[0] == 0)
                        break; /* names stay once written: a probe chain ends at a fresh slot */
        }
        if (free_slot) {
                snprintf(free_slot->name, sizeof(free_slot->name), "%s", user);
                free_slot->pending = 1;
                r = 0;
        }
out:
        pthread_mutex_unlock(&l->lock);
        return r;
}

void su_limits_challenge_release(struct su_limits *l, const char *user)
{
        pthread_mutex_lock(&l->lock);
        size_t h = hash_name(user);
        for (size_t i = 0; i < SU_LIMITS_SLOTS; i++) {
                struct su_limits_user *u = &l->users[(h + i) % SU_LIMITS_SLOTS];
                if (u->pending > 0 && strcmp(u->name, user) == 0) {
                        u->pending--;
                        break;
                }
                if (u->name[0] == 0)
                        break;
        }
        pthread_mutex_unlock(&l->lock);
}

void su_limits_network_init(struct su_limits *l, unsigned max)
{
        l->network_max = max ? max : 1;
}

int su_limits_network_acquire(struct su_limits *l)
{
        int r = -EAGAIN;
        pthread_mutex_lock(&l->lock);
        if (l->network_busy < l->network_max) {
                l->network_busy++;
                r = 0;
        }
        pthread_mutex_unlock(&l->lock);
        return r;
}

void su_limits_network_release(struct su_limits *l)
{
        pthread_mutex_lock(&l->lock);
        if (l->network_busy > 0)
                l->network_busy--;
        pthread_mutex_unlock(&l->lock);
}

void su_limits_counts(struct su_limits *l, unsigned *pam_open, unsigned *user_open)
{
        pthread_mutex_lock(&l->lock);
        *pam_open = l->pam_open;
        *user_open = l->user_open;
        pthread_mutex_unlock(&l->lock);
}
