#include "remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-login.h>

#include "names.h"

static bool sshd_name(const char *comm)
{
        /* OpenSSH up to 9.7 runs everything as "sshd"; 9.8 and later exec "sshd-session". */
        return strcmp(comm, "sshd") == 0 || strcmp(comm, "sshd-session") == 0;
}

/* A root-owned sshd: the uids are read only for a process named sshd (the status file, which
 * the kernel formats whole, is the costliest read here). */
static bool is_root_sshd(const char *proc_root, const struct su_proc_stat *s)
{
        uid_t real, eff;
        return sshd_name(s->comm) && su_proc_uids_read(proc_root, s->pid, &real, &eff) == 0 &&
               real == 0 && eff == 0;
}

void su_remote_init(struct su_remote *t, const char *proc_root, bool use_logind)
{
        memset(t, 0, sizeof(*t));
        pthread_mutex_init(&t->lock, NULL);
        t->proc_root = proc_root;
        t->use_logind = use_logind;
}

void su_remote_done(struct su_remote *t)
{
        pthread_mutex_destroy(&t->lock);
}

static struct su_remote_entry *find(struct su_remote *t, pid_t pid, unsigned long long start)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].pid == pid && t->e[i].start == start)
                        return &t->e[i];
        return NULL;
}

/* Drops the entries whose process is gone (or whose pid now names another process). */
static void sweep(struct su_remote *t)
{
        size_t keep = 0;
        for (size_t i = 0; i < t->n; i++) {
                struct su_proc_stat s;
                if (su_proc_stat_read(t->proc_root, t->e[i].pid, &s) == 0 &&
                    s.starttime == t->e[i].start)
                        t->e[keep++] = t->e[i];
        }
        t->n = keep;
}

static void remember(struct su_remote *t, pid_t pid, unsigned long long start, const char *rhost)
{
        size_t cap = t->cap > 0 && t->cap < SU_REMOTE_TABLE_MAX ? t->cap : SU_REMOTE_TABLE_MAX;
        struct su_remote_entry *e = find(t, pid, start);
        if (!e) {
                /* Full: forget the dead first, then the oldest.  A sweep that frees little
                 * is not repeated for the next eighth of the table's inserts, so a table
                 * of live sessions costs one pass per 512 inserts, not one per insert. */
                if (t->n >= cap && t->seq >= t->next_sweep) {
                        sweep(t);
                        if (t->n > cap - cap / 8)
                                t->next_sweep = t->seq + cap / 8;
                }
                if (t->n < cap) {
                        e = &t->e[t->n++];
                } else {
                        e = &t->e[0];
                        for (size_t i = 1; i < t->n; i++)
                                if (t->e[i].seq < e->seq)
                                        e = &t->e[i];
                }
        }
        e->pid = pid;
        e->start = start;
        e->seq = ++t->seq;
        snprintf(e->rhost, sizeof(e->rhost), "%s", rhost);
}

int su_remote_note(struct su_remote *t, const struct su_peer *peer, const char *rhost)
{
        if (!rhost || !su_valid_host(rhost) || strlen(rhost) > SU_REMOTE_HOST_MAX)
                return -EINVAL;
        if (peer->proc_err < 0)
                return peer->proc_err;
        /* The snapshot's own facts: the caller's /proc entries are not read again. */
        const struct su_proc_stat *s = &peer->self, *ps = &peer->parent;
        if (!is_root_sshd(t->proc_root, s))
                return -EPERM;
        bool parent = ps->pid > 1 && is_root_sshd(t->proc_root, ps);
        pthread_mutex_lock(&t->lock);
        remember(t, s->pid, s->starttime, rhost);
        /* The parent is remembered too when it is a root sshd: the monitor of a
         * keyboard-interactive login, whose PAM child is the peer.  When the peer is the
         * monitor itself this names the listener, which is harmless: a lookup stops at the
         * first root sshd above the caller, the monitor, and never reaches the listener. */
        if (parent)
                remember(t, ps->pid, ps->starttime, rhost);
        pthread_mutex_unlock(&t->lock);
        return 0;
}

static size_t slot_of(pid_t pid, unsigned long long start)
{
        uint64_t h =
            (uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ull ^ start * 0xc2b2ae3d27d4eb4full;
        return (size_t)(h >> 40) % SU_REMOTE_CACHE_SLOTS;
}

static bool cache_get(struct su_remote *t, pid_t pid, unsigned long long start,
                      struct su_remote_verdict *ret)
{
        const struct su_remote_verdict *v = &t->cache[slot_of(pid, start)];
        if (v->pid != pid || v->start != start || pid == 0)
                return false;
        *ret = *v;
        return true;
}

static void cache_put(struct su_remote *t, const struct su_remote_verdict *v)
{
        t->cache[slot_of(v->pid, v->start)] = *v;
}

/* The result for a verdict: remote when an sshd is above; its rhost if it told us one. */
static void fill_info(struct su_remote *t, const struct su_remote_verdict *v,
                      struct su_remote_info *ret)
{
        *ret = (struct su_remote_info){0};
        if (v->sshd_pid == 0)
                return;
        const struct su_remote_entry *e = find(t, v->sshd_pid, v->sshd_start);
        ret->remote = true;
        ret->source = e ? SU_REMOTE_SSHD_RHOST : SU_REMOTE_SSHD_ANCESTOR;
        if (e)
                snprintf(ret->rhost, sizeof(ret->rhost), "%s", e->rhost);
}

int su_remote_from_ancestry(struct su_remote *t, const struct su_peer *peer,
                            struct su_remote_info *ret)
{
        *ret = (struct su_remote_info){0};
        if (peer->proc_err < 0)
                return peer->proc_err;
        /* The caller itself is never cached (it is new on every sudo); its parent and above
         * are.  The walk starts from the snapshot: no /proc read for the first two. */
        struct su_proc_stat walk[SU_REMOTE_DEPTH_MAX];
        size_t n = 0;
        struct su_remote_verdict v = {0};
        bool found = false, complete = false, hit = false;
        walk[n++] = peer->self;
        if (peer->parent.pid > 0)
                walk[n++] = peer->parent;
        pthread_mutex_lock(&t->lock);
        for (size_t i = 0; !found; i++) {
                if (i == n) {
                        /* Read the next ancestor (unlocked: /proc reads are slow). */
                        const struct su_proc_stat *last = &walk[n - 1];
                        if (last->ppid <= 0 || last->ppid == last->pid) {
                                complete = true; /* the top: no sshd above */
                                break;
                        }
                        if (n >= SU_REMOTE_DEPTH_MAX)
                                break;
                        pthread_mutex_unlock(&t->lock);
                        int r = su_proc_stat_read(t->proc_root, last->ppid, &walk[n]);
                        pthread_mutex_lock(&t->lock);
                        if (r < 0)
                                break; /* an unreadable ancestor: no sign, and no verdict kept */
                        n++;
                }
                const struct su_proc_stat *s = &walk[i];
                if (i > 0 && cache_get(t, s->pid, s->starttime, &v)) {
                        hit = found = true;
                        break;
                }
                if (sshd_name(s->comm)) {
                        pthread_mutex_unlock(&t->lock);
                        bool root = is_root_sshd(t->proc_root, s);
                        pthread_mutex_lock(&t->lock);
                        if (root) {
                                v.sshd_pid = s->pid;
                                v.sshd_start = s->starttime;
                                found = true;
                        }
                }
        }
        if (hit)
                t->cache_hits++;
        else
                t->cache_misses++;
        /* Every ancestor walked shares the verdict (an sshd's own verdict is itself). */
        if (found || complete) {
                for (size_t i = 1; i < n; i++) {
                        struct su_remote_verdict c = v;
                        c.pid = walk[i].pid;
                        c.start = walk[i].starttime;
                        cache_put(t, &c);
                }
        }
        fill_info(t, &v, ret);
        pthread_mutex_unlock(&t->lock);
        return 0;
}

static int from_logind(pid_t pid, struct su_remote_info *ret)
{
        char *session = NULL, *host = NULL;
        *ret = (struct su_remote_info){0};
        int r = sd_pid_get_session(pid, &session);
        if (r < 0)
                return r;
        r = sd_session_is_remote(session);
        if (r >= 0) {
                ret->remote = r > 0;
                ret->source = r > 0 ? SU_REMOTE_LOGIND : SU_REMOTE_LOCAL;
                /* pam_systemd calls a session from localhost local, but keeps its host. */
                if (sd_session_get_remote_host(session, &host) >= 0 && host &&
                    su_valid_host(host) && strlen(host) <= SU_REMOTE_HOST_MAX)
                        snprintf(ret->rhost, sizeof(ret->rhost), "%s", host);
                r = 0;
        }
        free(host);
        free(session);
        return r;
}

void su_remote_detect(struct su_remote *t, struct su_peer *peer)
{
        struct su_remote_info *info = &peer->remote, lg;
        if (su_remote_from_ancestry(t, peer, info) < 0)
                *info = (struct su_remote_info){0};
        /* Either source saying "remote" makes it remote; logind's host wins when it has one
         * (a session from localhost is local to logind, yet sshd's child all the same). */
        if (t->use_logind && from_logind(peer->pid, &lg) == 0) {
                if (lg.remote && !info->remote) {
                        info->remote = true;
                        info->source = SU_REMOTE_LOGIND;
                }
                if (lg.rhost[0])
                        snprintf(info->rhost, sizeof(info->rhost), "%s", lg.rhost);
        }
        peer->remote_known = true;
}
