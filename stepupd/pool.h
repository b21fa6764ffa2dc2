/* The pool: a few threads for the work that must not run on an event loop (durable writes,
 * password hashing, network stores).  Requests from the PAM socket go ahead of the user
 * socket's; a non-root uid has at most per_uid items queued or running, and the queue is
 * bounded, so one local user can neither starve root nor grow the daemon's memory.
 * A finished item is posted to the mailbox of the event loop that owns it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct su_pool_item;

/* Where finished items go: an eventfd the owning loop watches. */
struct su_mailbox {
        pthread_mutex_t lock;
        struct su_pool_item *head, *tail;
        int efd;
};

struct su_pool_item {
        struct su_pool_item *next;
        void (*run)(struct su_pool_item *it, void *thread_data); /* on a pool thread */
        struct su_mailbox *done; /* NULL: not posted back (the owner tracks it) */
        uid_t uid;               /* 0: root, not capped */
        bool urgent;             /* from the PAM socket */
};

#define SU_POOL_UID_SLOTS 1024

struct su_pool_uid {
        uid_t uid;
        unsigned n;
};

struct su_pool {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct su_pool_item *urgent_head, *urgent_tail, *head, *tail;
        size_t queued, max_queued;
        unsigned per_uid;
        struct su_pool_uid uids[SU_POOL_UID_SLOTS];
        pthread_t *threads;
        void **thread_data;
        size_t nthreads;
        bool stop;
};

int su_mailbox_init(struct su_mailbox *m);
void su_mailbox_done(struct su_mailbox *m);
void su_mailbox_post(struct su_mailbox *m, struct su_pool_item *it);
/* Every posted item (in order), clearing the eventfd. */
struct su_pool_item *su_mailbox_take(struct su_mailbox *m);

/* Starts n threads; thread i gets thread_data[i] (its own database connections). */
int su_pool_start(struct su_pool *p, size_t n, void **thread_data, unsigned per_uid,
                  size_t max_queued);
/* Queues it: 0, or -EBUSY when the queue or the uid's share is full. */
int su_pool_submit(struct su_pool *p, struct su_pool_item *it);
/* Stops the threads after the items they are running; queued items are not run. */
void su_pool_stop(struct su_pool *p);
