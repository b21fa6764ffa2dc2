/* Who is asking, as the kernel says: SO_PEERCRED and /proc of the caller, its parent and its
 * session leader, read once per request into one snapshot that scope, remote detection and
 * the gate share.  Nothing here comes from the message or from the caller's fds 0-2. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "procfs.h"

#define SU_REMOTE_HOST_MAX 255

enum su_remote_source {
        SU_REMOTE_LOCAL = 0,     /* no sign of a remote session */
        SU_REMOTE_LOGIND,        /* logind's session says so */
        SU_REMOTE_SSHD_RHOST,    /* below an sshd that told us its PAM_RHOST */
        SU_REMOTE_SSHD_ANCESTOR, /* below a root sshd we know nothing else about */
};

struct su_remote_info {
        bool remote;
        enum su_remote_source source;
        char rhost[SU_REMOTE_HOST_MAX + 1]; /* "" when unknown */
};

struct su_peer {
        pid_t pid;
        uid_t uid;
        gid_t gid;
        int proc_err; /* 0, or why the caller's own /proc entry could not be read */
        struct su_proc_stat self;
        struct su_proc_stat parent; /* pid 0 when unknown */
        struct su_proc_stat leader; /* the session leader; pid 0 when unknown */
        bool remote_known;          /* remote.c filled remote */
        struct su_remote_info remote;
};

/* Reads the caller's /proc facts below proc_root ("/proc"): its stat, its parent's and its
 * session leader's, each once.  A parent or leader that is gone leaves that part empty. */
int su_peer_read(const char *proc_root, pid_t pid, uid_t uid, gid_t gid, struct su_peer *ret);

enum su_scope_kind { SU_SCOPE_KEY_TTY = 0, SU_SCOPE_KEY_SESSION = 1, SU_SCOPE_KEY_USER = 2 };

/* tty:     the controlling tty and its session (as sudo's tty timestamps); without a tty
 *          the parent process (as sudo's ppid timestamps).
 * session: the kernel session, identified by its leader's pid and start time.
 * user:    every session of the user on this boot.
 * -ESRCH when a process the key needs is gone. */
int su_scope_key(enum su_scope_kind kind, const struct su_peer *p, char *out, size_t size);

/* The controlling terminal's name from tty_nr: "pts/N" or "ttyN", else NULL. */
const char *su_peer_tty_name(const struct su_peer *p, char *buf, size_t size);
