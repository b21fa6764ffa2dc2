/* A user's groups by name, through NSS (getgrouplist), as the policy's `group` condition sees
 * them.  Shared by stepupd and `stepupctl policy test`. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

#define CACHE_SLOTS 1024

struct slot {
        gid_t gid;
        bool used;
        int64_t until; /* CLOCK_MONOTONIC s */
        char name[65];
};

struct su_group_cache {
        pthread_mutex_t lock;
        unsigned ttl_s;
        struct slot s[CACHE_SLOTS];
};

struct su_group_cache *su_group_cache_new(unsigned ttl_s)
{
        struct su_group_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        pthread_mutex_init(&c->lock, NULL);
        c->ttl_s = ttl_s;
        return c;
}

struct su_group_cache *su_group_cache_free(struct su_group_cache *c)
{
        if (c) {
                pthread_mutex_destroy(&c->lock);
                free(c);
        }
        return NULL;
}

static int64_t mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec;
}

/* The name of gid: from the cache while fresh, else NSS (and kept).  NULL when unknown. */
static char *group_name(gid_t gid, struct su_group_cache *c)
{
        struct slot *sl = c ? &c->s[gid % CACHE_SLOTS] : NULL;
        int64_t now = c ? mono_s() : 0;
        if (sl) {
                char *hit = NULL;
                pthread_mutex_lock(&c->lock);
                if (sl->used && sl->gid == gid && now < sl->until)
                        hit = strdup(sl->name);
                pthread_mutex_unlock(&c->lock);
                if (hit)
                        return hit;
        }
        char gbuf[8192];
        struct group gr, *grp = NULL;
        if (getgrgid_r(gid, &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp)
                return NULL;
        if (sl && strlen(gr.gr_name) < sizeof(sl->name)) {
                pthread_mutex_lock(&c->lock);
                sl->gid = gid;
                sl->used = true;
                sl->until = now + c->ttl_s;
                memcpy(sl->name, gr.gr_name, strlen(gr.gr_name) + 1);
                pthread_mutex_unlock(&c->lock);
        }
        return strdup(gr.gr_name);
}

int su_user_groups(const char *user, char **names, size_t max)
{
        return su_user_groups_cached(user, names, max, NULL);
}

int su_user_groups_cached(const char *user, char **names, size_t max, struct su_group_cache *cache)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        gid_t gids[SU_USER_GROUPS_MAX];
        int n = SU_USER_GROUPS_MAX;
        size_t count = 0;

        if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        if (getgrouplist(user, pw.pw_gid, gids, &n) < 0)
                n = SU_USER_GROUPS_MAX; /* truncated: more groups than we match on */
        for (int i = 0; i < n && count < max; i++) {
                errno = 0;
                names[count] = group_name(gids[i], cache);
                if (!names[count] && errno != ENOMEM)
                        continue; /* a gid without a name matches no group rule */
                if (!names[count]) {
                        while (count > 0) {
                                count--;
                                free(names[count]);
                                names[count] = NULL;
                        }
                        return -ENOMEM;
                }
                count++;
        }
        return (int)count;
}
