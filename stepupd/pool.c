#include "pool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int su_mailbox_init(struct su_mailbox *m)
{
        memset(m, 0, sizeof(*m));
        m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->efd < 0)
                return -errno;
        pthread_mutex_init(&m->lock, NULL);
        return 0;
}

void su_mailbox_done(struct su_mailbox *m)
{
        if (m->efd >= 0)
                close(m->efd);
        m->efd = -1;
        pthread_mutex_destroy(&m->lock);
}

void su_mailbox_post(struct su_mailbox *m, struct su_pool_item *it)
{
        it->next = NULL;
        pthread_mutex_lock(&m->lock);
        if (m->tail)
                m->tail->next = it;
        else
                m->head = it;
        m->tail = it;
        pthread_mutex_unlock(&m->lock);
        uint64_t one = 1;
        ssize_t n = write(m->efd, &one, sizeof(one));
        (void)n; /* a full counter still wakes the loop */
}

struct su_pool_item *su_mailbox_take(struct su_mailbox *m)
{
        uint64_t v;
        ssize_t n = read(m->efd, &v, sizeof(v));
        (void)n;
        pthread_mutex_lock(&m->lock);
        struct su_pool_item *all = m->head;
        m->head = m->tail = NULL;
        pthread_mutex_unlock(&m->lock);
        return all;
}

static struct su_pool_uid *uid_slot(struct su_pool *p, uid_t uid, bool create)
{
        size_t h = (size_t)((uid * 2654435761u) % SU_POOL_UID_SLOTS);
        struct su_pool_uid *free_slot = NULL;
        for (size_t i = 0; i < SU_POOL_UID_SLOTS; i++) {
                struct su_pool_uid *u = &p->uids[(h + i) % SU_POOL_UID_SLOTS];
                if (u->n > 0 && u->uid == uid)
                        return u;
                if (u->n == 0 && !free_slot)
                        free_slot = u;
        }
        if (free_slot && create)
                free_slot->uid = uid;
        return create ? free_slot : NULL;
}

static void *thread_main(void *arg);

struct start {
        struct su_pool *p;
        void *data;
};

int su_pool_start(struct su_pool *p, size_t n, void **thread_data, unsigned per_uid,
                  size_t max_queued)
{
        memset(p, 0, sizeof(*p));
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        p->per_uid = per_uid;
        p->max_queued = max_queued;
        p->threads = calloc(n, sizeof(*p->threads));
        p->thread_data = calloc(n, sizeof(*p->thread_data));
        if (!p->threads || !p->thread_data)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                p->thread_data[i] = thread_data[i];
                struct start *s = malloc(sizeof(*s));
                if (!s)
                        return -ENOMEM;
                *s = (struct start){p, thread_data[i]};
                int r = pthread_create(&p->threads[i], NULL, thread_main, s);
                if (r != 0) {
                        free(s);
                        return -r;
                }
                p->nthreads++;
        }
        return 0;
}

int su_pool_submit(struct su_pool *p, struct su_pool_item *it)
{
        int r = 0;
        it->next = NULL;
        pthread_mutex_lock(&p->lock);
        struct su_pool_uid *u = NULL;
        if (p->stop || p->queued >= p->max_queued) {
                r = -EBUSY;
                goto out;
        }
        if (it->uid != 0) {
                u = uid_slot(p, it->uid, true);
                if (!u || u->n >= p->per_uid) {
                        r = -EBUSY;
                        goto out;
                }
                u->n++;
        }
        struct su_pool_item **head = it->urgent ? &p->urgent_head : &p->head;
        struct su_pool_item **tail = it->urgent ? &p->urgent_tail : &p->tail;
        if (*tail)
                (*tail)->next = it;
        else
                *head = it;
        *tail = it;
        p->queued++;
        pthread_cond_signal(&p->cond);
out:
        pthread_mutex_unlock(&p->lock);
        return r;
}

static struct su_pool_item *take(struct su_pool *p)
{
        struct su_pool_item **head = p->urgent_head ? &p->urgent_head : &p->head;
        struct su_pool_item **tail = p->urgent_head ? &p->urgent_tail : &p->tail;
        struct su_pool_item *it = *head;
        if (it) {
                *head = it->next;
                if (!*head)
                        *tail = NULL;
                p->queued--;
        }
        return it;
}

static void *thread_main(void *arg)
{
        struct start s = *(struct start *)arg;
        struct su_pool *p = s.p;
        free(arg);
        pthread_mutex_lock(&p->lock);
        for (;;) {
                struct su_pool_item *it = NULL;
                while (!p->stop && !(it = take(p)))
                        pthread_cond_wait(&p->cond, &p->lock);
                if (!it)
                        break;
                pthread_mutex_unlock(&p->lock);
                uid_t uid = it->uid;
                struct su_mailbox *done = it->done;
                it->run(it, s.data);
                pthread_mutex_lock(&p->lock);
                if (uid != 0) {
                        struct su_pool_uid *u = uid_slot(p, uid, false);
                        if (u && u->n > 0)
                                u->n--;
                }
                /* Posted after the uid's share is given back: the owner may submit again at
                 * once. */
                pthread_mutex_unlock(&p->lock);
                if (done) /* NULL: the owner learns of the end by itself (fleet_follow.c) */
                        su_mailbox_post(done, it);
                pthread_mutex_lock(&p->lock);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

void su_pool_stop(struct su_pool *p)
{
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < p->nthreads; i++)
                pthread_join(p->threads[i], NULL);
        free(p->threads);
        free(p->thread_data);
        p->threads = NULL;
        p->thread_data = NULL;
        p->nthreads = 0;
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
}
