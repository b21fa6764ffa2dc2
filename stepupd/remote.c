#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-login.h>
#include <unistd.h>

#include "handlers.h"
#include "manager.h"
#include "names.h"
#include "policy.h"

static int read_small(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        size_t n = 0;
        while (n < size - 1) {
                ssize_t got = read(fd, buf + n, size - 1 - n);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (got == 0)
                        break;
                n += (size_t)got;
        }
        close(fd);
        buf[n] = 0;
        return (int)n;
}

static bool sshd_name(const char *comm)
{
        /* OpenSSH up to 9.7 runs everything as "sshd"; 9.8 and later exec "sshd-session". */
        return strcmp(comm, "sshd") == 0 || strcmp(comm, "sshd-session") == 0;
}

int su_proc_facts_read(const char *proc_root, pid_t pid, struct su_proc_facts *ret)
{
        char path[256], buf[4096];
        struct su_proc_facts f = {0};
        if (pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
        int r = read_small(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        /* comm is in parentheses and may itself hold ')' and spaces: the last ')' ends it. */
        char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
        if (!open_paren || !close_paren || close_paren < open_paren)
                return -EBADMSG;
        size_t clen = (size_t)(close_paren - open_paren - 1);
        if (clen >= sizeof(f.comm))
                return -EBADMSG;
        memcpy(f.comm, open_paren + 1, clen);
        f.comm[clen] = 0;
        char state;
        int pp;
        unsigned long long st;
        /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
         * stime cutime cstime priority nice num_threads itrealvalue starttime */
        if (sscanf(close_paren + 1,
                   " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
                   "%llu",
                   &state, &pp, &st) != 3)
                return -EBADMSG;
        if (state == 'Z' || state == 'X')
                return -ESRCH;
        f.ppid = pp;
        f.start = st;
        /* The uids only matter for sshd: the status file (which the kernel formats whole,
         * the costliest read here) is read for no other process. */
        if (!sshd_name(f.comm)) {
                *ret = f;
                return 0;
        }
        snprintf(path, sizeof(path), "%s/%d/status", proc_root, (int)pid);
        r = read_small(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        const char *uid = strstr(buf, "\nUid:");
        unsigned real, eff;
        if (!uid || sscanf(uid + 5, "%u %u", &real, &eff) != 2)
                return -EBADMSG;
        f.root = real == 0 && eff == 0;
        *ret = f;
        return 0;
}

static bool is_sshd(const struct su_proc_facts *f)
{
        return f->root && sshd_name(f->comm);
}

static struct su_remote_entry *find(const struct su_remote_table *t, pid_t pid,
                                    unsigned long long start)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].pid == pid && t->e[i].start == start)
                        return (struct su_remote_entry *)&t->e[i];
        return NULL;
}

/* Drops the entries whose process is gone (or whose pid now names another process). */
static void sweep(struct su_remote_table *t, const char *proc_root)
{
        size_t keep = 0;
        for (size_t i = 0; i < t->n; i++) {
                struct su_proc_facts f;
                if (su_proc_facts_read(proc_root, t->e[i].pid, &f) == 0 && f.start == t->e[i].start)
                        t->e[keep++] = t->e[i];
        }
        t->n = keep;
}

static void remember(struct su_remote_table *t, const char *proc_root, pid_t pid,
                     unsigned long long start, const char *rhost)
{
        size_t cap = t->cap > 0 && t->cap < SU_REMOTE_TABLE_MAX ? t->cap : SU_REMOTE_TABLE_MAX;
        struct su_remote_entry *e = find(t, pid, start);
        if (!e) {
                /* Full: forget the dead first, then the oldest.  A sweep that frees little
                 * is not repeated for the next eighth of the table's inserts, so a table
                 * of live sessions costs one pass per 512 inserts, not one per insert. */
                if (t->n >= cap && t->seq >= t->next_sweep) {
                        sweep(t, proc_root);
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

int su_remote_note(struct su_remote_table *t, const char *proc_root, pid_t pid, const char *rhost)
{
        struct su_proc_facts f, pf;
        if (!rhost || !su_valid_host(rhost) || strlen(rhost) > SU_REMOTE_HOST_MAX)
                return -EINVAL;
        int r = su_proc_facts_read(proc_root, pid, &f);
        if (r < 0)
                return r;
        if (!is_sshd(&f))
                return -EPERM;
        remember(t, proc_root, pid, f.start, rhost);
        /* The parent is remembered too when it is a root sshd: the monitor of a
         * keyboard-interactive login, whose PAM child is the peer.  When the peer is the
         * monitor itself this names the listener, which is harmless: a lookup stops at the
         * first root sshd above the caller, the monitor, and never reaches the listener. */
        if (f.ppid > 1 && su_proc_facts_read(proc_root, f.ppid, &pf) == 0 && is_sshd(&pf))
                remember(t, proc_root, f.ppid, pf.start, rhost);
        return 0;
}

int su_remote_from_ancestry(const struct su_remote_table *t, const char *proc_root, pid_t pid,
                            struct su_remote_info *ret)
{
        *ret = (struct su_remote_info){0};
        pid_t p = pid;
        for (int depth = 0; depth < SU_REMOTE_DEPTH_MAX && p > 0; depth++) {
                struct su_proc_facts f;
                int r = su_proc_facts_read(proc_root, p, &f);
                if (r < 0)
                        return depth == 0 ? r : 0; /* an unreadable ancestor: no sign */
                if (is_sshd(&f)) {
                        const struct su_remote_entry *e = find(t, p, f.start);
                        ret->remote = true;
                        ret->source = e ? SU_REMOTE_SSHD_RHOST : SU_REMOTE_SSHD_ANCESTOR;
                        if (e)
                                snprintf(ret->rhost, sizeof(ret->rhost), "%s", e->rhost);
                        return 0;
                }
                if (f.ppid == p)
                        break;
                p = f.ppid;
        }
        return 0;
}

int su_remote_from_logind(pid_t pid, struct su_remote_info *ret)
{
        /* Without systemd there are no logind sessions to ask about (checked once). */
        static int booted = -1;
        char *session = NULL, *host = NULL;
        *ret = (struct su_remote_info){0};
        if (booted < 0)
                booted = sd_booted() > 0;
        if (!booted)
                return -ENODATA;
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

struct su_remote_table *su_remote_table(void)
{
        static struct su_remote_table table;
        return &table;
}

void su_remote_apply(struct su_conn *c, struct su_request *q, struct su_remote_info *info)
{
        struct su_remote_table *t = su_remote_table();
        /* Only root's sshd on the PAM socket is believed about where a connection is from. */
        if (su_is_root_pam(c) && q->rhost && q->service && strcmp(q->service, "sshd") == 0)
                (void)su_remote_note(t, "/proc", c->pid, q->rhost);
        struct su_remote_info lg;
        bool by_logind = su_remote_from_logind(c->pid, &lg) == 0;
        if (su_remote_from_ancestry(t, "/proc", c->pid, info) < 0)
                *info = (struct su_remote_info){0};
        /* Either source saying "remote" makes it remote; logind's host wins when it has one
         * (a session from localhost is local to logind, yet sshd's child all the same). */
        if (by_logind) {
                if (lg.remote && !info->remote) {
                        info->remote = true;
                        info->source = SU_REMOTE_LOGIND;
                }
                if (lg.rhost[0])
                        snprintf(info->rhost, sizeof(info->rhost), "%s", lg.rhost);
        }
        q->remote = info->remote;
        if (!q->rhost && info->rhost[0])
                q->rhost = info->rhost;
}
