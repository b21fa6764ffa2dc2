/* The one reader of /proc/PID/stat and /proc/PID/status, for every part of stepup.
 * Nothing here comes from the process's own fds 0-2 or its environment. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct su_proc_stat {
        pid_t pid;
        pid_t ppid;
        pid_t pgrp;
        pid_t sid;
        unsigned long long tty_nr;    /* 0: no controlling tty */
        unsigned long long starttime; /* clock ticks since boot: with pid, names one process */
        char state;
        char comm[17];
};

/* Reads PROC_ROOT/PID/stat ("/proc" in production).  -ESRCH for a zombie or a pid that is
 * gone, -EBADMSG for a file that does not parse, another negative errno otherwise. */
int su_proc_stat_read(const char *proc_root, pid_t pid, struct su_proc_stat *ret);

/* Real and effective uid from PROC_ROOT/PID/status. */
int su_proc_uids_read(const char *proc_root, pid_t pid, uid_t *ret_real, uid_t *ret_effective);

/* Reads a small /proc file in one read() (at most size - 2 bytes, NUL-terminated): the
 * length, -EFBIG when it fills the buffer (it may go on), or -errno. */
int su_read_small(const char *path, char *buf, size_t size);
