#include "scope.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_small(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        ssize_t n;
        do
                n = read(fd, buf, size - 1);
        while (n < 0 && errno == EINTR);
        int e = errno;
        close(fd);
        if (n < 0)
                return -e;
        buf[n] = 0;
        return (int)n;
}

/* Fields of /proc/PID/stat after the ")" that closes comm (comm may hold spaces and ')'). */
static int parse_stat(const char *proc_root, pid_t pid, pid_t *ppid, pid_t *sid,
                      unsigned long long *tty_nr, unsigned long long *starttime)
{
        char path[256], buf[1024];
        snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
        int r = read_small(path, buf, sizeof(buf));
        if (r < 0)
                return r;
        char *p = strrchr(buf, ')');
        if (!p)
                return -EBADMSG;
        char state;
        int pp, pgrp, s, tty;
        unsigned long long st;
        /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice num_threads itrealvalue starttime */
        if (sscanf(p + 1,
                   " %c %d %d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &state, &pp, &pgrp, &s, &tty, &st) != 6)
                return -EBADMSG;
        if (state == 'Z' || state == 'X')
                return -ESRCH;
        *ppid = pp;
        *sid = s;
        *tty_nr = (unsigned long long)(unsigned)tty;
        *starttime = st;
        return 0;
}

int su_peer_proc_read(const char *proc_root, pid_t pid, struct su_peer_proc *ret)
{
        struct su_peer_proc p = {.pid = pid};
        pid_t dummy_pp, dummy_sid;
        unsigned long long dummy_tty;

        if (pid <= 0)
                return -ESRCH;
        int r = parse_stat(proc_root, pid, &p.ppid, &p.sid, &p.tty_nr, &p.starttime);
        if (r < 0)
                return r;
        if (p.ppid > 0) {
                r = parse_stat(proc_root, p.ppid, &dummy_pp, &dummy_sid, &dummy_tty,
                               &p.ppid_starttime);
                if (r < 0)
                        return r;
        }
        if (p.sid > 0) {
                r = parse_stat(proc_root, p.sid, &dummy_pp, &dummy_sid, &dummy_tty,
                               &p.sid_starttime);
                if (r < 0)
                        return r; /* a session whose leader is gone gets no session scope */
        }
        *ret = p;
        return 0;
}

int su_scope_key(enum su_scope_kind kind, const struct su_peer_proc *p, char *out, size_t size)
{
        int n;
        switch (kind) {
        case SU_SCOPE_KEY_TTY:
                if (p->tty_nr != 0 && p->sid > 0)
                        n = snprintf(out, size, "tty:%llu:sid=%d@%llu", p->tty_nr, (int)p->sid,
                                     p->sid_starttime);
                else if (p->ppid > 0)
                        n = snprintf(out, size, "ppid:%d@%llu", (int)p->ppid, p->ppid_starttime);
                else
                        return -ESRCH;
                break;
        case SU_SCOPE_KEY_SESSION:
                if (p->sid <= 0)
                        return -ESRCH;
                n = snprintf(out, size, "session:%d@%llu", (int)p->sid, p->sid_starttime);
                break;
        case SU_SCOPE_KEY_USER:
                n = snprintf(out, size, "user");
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

int su_boot_id(char out[static SU_BOOT_ID_LEN + 1])
{
        char buf[64];
        int r = read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));
        if (r < 0)
                return r;
        if (r < SU_BOOT_ID_LEN)
                return -EBADMSG;
        memcpy(out, buf, SU_BOOT_ID_LEN);
        out[SU_BOOT_ID_LEN] = 0;
        return 0;
}

int64_t su_now_wall(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec;
}

int64_t su_now_boot(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_BOOTTIME, &ts);
        return (int64_t)ts.tv_sec;
}

static int64_t age_of(int64_t at_wall, int64_t at_boot, const char *row_boot, const char *boot_id,
                      int64_t now_wall, int64_t now_boot)
{
        if (strcmp(row_boot, boot_id) != 0)
                return -1;
        if (at_wall > now_wall || at_boot > now_boot)
                return -1;
        int64_t a = now_wall - at_wall, b = now_boot - at_boot;
        return a > b ? a : b;
}

int64_t su_assurance_age(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                         int64_t now_boot)
{
        return age_of(a->verified_at, a->verified_boot, a->boot_id, boot_id, now_wall, now_boot);
}

int64_t su_assurance_idle(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                          int64_t now_boot)
{
        return age_of(a->last_seen_at, a->last_seen_boot, a->boot_id, boot_id, now_wall, now_boot);
}
