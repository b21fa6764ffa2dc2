/* Is a caller's session remote (ssh), and from which host?  For every DECIDE and GATE:
 *  1. logind (sd-login), when the caller is in one of its sessions;
 *  2. sshd's own word: a DECIDE for service sshd from root on the PAM socket carries
 *     PAM_RHOST; the sshd process that sent it is remembered (pid and start time), and a
 *     caller below that process in the process tree is remote from that host;
 *  3. a root-owned sshd above the caller in the process tree: remote, host unknown.
 * Nothing the caller sends is believed.  What this can and cannot tell: docs/ssh.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SU_REMOTE_TABLE_MAX 4096 /* remembered sshd processes; the oldest goes first */
#define SU_REMOTE_DEPTH_MAX 64   /* ancestors looked at */
#define SU_REMOTE_HOST_MAX 255

enum su_remote_source {
        SU_REMOTE_LOCAL = 0,     /* no sign of a remote session */
        SU_REMOTE_LOGIND,        /* logind's session says so */
        SU_REMOTE_SSHD_RHOST,    /* below an sshd that told us its PAM_RHOST */
        SU_REMOTE_SSHD_ANCESTOR, /* below a root sshd we know nothing else about */
};

struct su_remote_entry {
        pid_t pid;
        unsigned long long start; /* /proc/PID/stat starttime: tells a reused pid apart */
        uint64_t seq;             /* insertion order, for eviction */
        char rhost[SU_REMOTE_HOST_MAX + 1];
};

struct su_remote_table {
        struct su_remote_entry e[SU_REMOTE_TABLE_MAX];
        size_t cap; /* entries used at most; 0 = SU_REMOTE_TABLE_MAX (tests use fewer) */
        size_t n;
        uint64_t seq;
        uint64_t next_sweep; /* seq before which a full table is not swept again */
};

struct su_remote_info {
        bool remote;
        enum su_remote_source source;
        char rhost[SU_REMOTE_HOST_MAX + 1]; /* "" when unknown */
};

/* What /proc says about one process. */
struct su_proc_facts {
        pid_t ppid;
        unsigned long long start;
        bool root; /* real and effective uid 0 (/proc/PID/status); read only when comm is
                    * sshd or sshd-session, false for any other process */
        char comm[17];
};

int su_proc_facts_read(const char *proc_root, pid_t pid, struct su_proc_facts *ret);

/* Remembers that pid, a root sshd that sent a DECIDE with rhost, serves a connection from
 * rhost; its parent too when that is a root sshd (sshd runs keyboard-interactive PAM in a
 * child of the connection's monitor process).  -EPERM when pid is not a root sshd. */
int su_remote_note(struct su_remote_table *t, const char *proc_root, pid_t pid, const char *rhost);

/* Sources 2 and 3: walks up from pid (itself included) to the first root-owned sshd. */
int su_remote_from_ancestry(const struct su_remote_table *t, const char *proc_root, pid_t pid,
                            struct su_remote_info *ret);

/* Source 1: -ENODATA (or another error) when logind knows no session for pid. */
int su_remote_from_logind(pid_t pid, struct su_remote_info *ret);

/* The daemon's table. */
struct su_remote_table *su_remote_table(void);

struct su_conn;
struct su_request;
/* For a request from connection c: remembers sshd's PAM_RHOST (service sshd, root on the
 * PAM socket), then sets q->remote and, when q has no rhost, q->rhost (pointing into
 * info, which must outlive q's use). */
void su_remote_apply(struct su_conn *c, struct su_request *q, struct su_remote_info *info);
