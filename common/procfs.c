#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The files under /proc are made whole by the kernel at the first read(): one read with room
 * to spare gets all of it, and the read that would only see the end is a system call per
 * process per request saved.  A file that fills the buffer may go on: refused, never cut. */
int su_read_small(const char *path, char *buf, size_t size)
{
        if (size < 2)
                return -EINVAL;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0)
                return -errno;
        ssize_t got;
        do
                got = read(fd, buf, size - 1);
        while (got < 0 && errno == EINTR);
        int r = got < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
                return r;
        if ((size_t)got >= size - 1)
                return -EFBIG;
        buf[got] = 0;
        return (int)got;
}

int su_proc_stat_read(const char *proc_root, pid_t pid, struct su_proc_stat *ret)
{
        char path[256], buf[1024];
        struct su_proc_stat p = {.pid = pid};
        if (pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid);
        int r = su_read_small(path, buf, sizeof(buf));
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        /* comm is in parentheses and may itself hold ')' and spaces: the last ')' ends it. */
        char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
        if (!open_paren || !close_paren || close_paren < open_paren)
                return -EBADMSG;
        size_t clen = (size_t)(close_paren - open_paren - 1);
        if (clen >= sizeof(p.comm))
                return -EBADMSG;
        memcpy(p.comm, open_paren + 1, clen);
        p.comm[clen] = 0;
        int pp, pg, s, tty;
        /* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice num_threads itrealvalue starttime */
        if (sscanf(close_paren + 1,
                   " %c %d %d %d %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                   &p.state, &pp, &pg, &s, &tty, &p.starttime) != 6)
                return -EBADMSG;
        if (p.state == 'Z' || p.state == 'X')
                return -ESRCH;
        p.ppid = pp;
        p.pgrp = pg;
        p.sid = s;
        p.tty_nr = (unsigned long long)(unsigned)tty;
        *ret = p;
        return 0;
}

int su_proc_uids_read(const char *proc_root, pid_t pid, uid_t *ret_real, uid_t *ret_effective)
{
        char path[256], buf[4096];
        if (pid <= 0)
                return -ESRCH;
        snprintf(path, sizeof(path), "%s/%d/status", proc_root, (int)pid);
        int r = su_read_small(path, buf, sizeof(buf));
        if (r == -ENOENT)
                return -ESRCH;
        if (r < 0)
                return r;
        const char *uid = strstr(buf, "\nUid:");
        unsigned real, eff;
        if (!uid || sscanf(uid + 5, "%u %u", &real, &eff) != 2)
                return -EBADMSG;
        *ret_real = (uid_t)real;
        *ret_effective = (uid_t)eff;
        return 0;
}
