/* Is a caller's session remote (ssh), and from which host?  For every DECIDE and GATE:
 *  1. logind (sd-login), when the caller is in one of its sessions;
 *  2. sshd's own word: a DECIDE for service sshd from root on the PAM socket carries
 *     PAM_RHOST; the sshd process that sent it is remembered (pid and start time), and a
 *     caller below that process in the process tree is remote from that host;
 *  3. a root-owned sshd above the caller in the process tree: remote, host unknown.
 * Nothing the caller sends is believed.  What this can and cannot tell: docs/ssh.md.
 * The verdict for an ancestor is cached by (pid, start time), which names one process for its
 * life: a process's ancestry only ever moves up (to init or a subreaper, never to an sshd),
 * so "local" stays local and "below sshd S" stays true of it. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "peer.h"

#define SU_REMOTE_TABLE_MAX 4096 /* remembered sshd processes; the oldest goes first */
#define SU_REMOTE_DEPTH_MAX 64   /* ancestors looked at */
#define SU_REMOTE_CACHE_SLOTS 8192

struct su_remote_entry {
        pid_t pid;
        unsigned long long start; /* /proc/PID/stat starttime: tells a reused pid apart */
        uint64_t seq;             /* insertion order, for eviction */
        char rhost[SU_REMOTE_HOST_MAX + 1];
};

/* What is known about one ancestor: whether a root sshd is at or above it, and which. */
struct su_remote_verdict {
        pid_t pid;
        unsigned long long start;
        pid_t sshd_pid; /* 0: no sshd above (local) */
        unsigned long long sshd_start;
};

struct su_remote {
        pthread_mutex_t lock;
        const char *proc_root;
        bool use_logind;
        struct su_remote_entry e[SU_REMOTE_TABLE_MAX];
        size_t cap; /* entries used at most; 0 = SU_REMOTE_TABLE_MAX (tests use fewer) */
        size_t n;
        uint64_t seq;
        uint64_t next_sweep; /* seq before which a full table is not swept again */
        struct su_remote_verdict cache[SU_REMOTE_CACHE_SLOTS];
        uint64_t cache_hits, cache_misses;
};

/* proc_root is "/proc" in the daemon; use_logind when booted with systemd. */
void su_remote_init(struct su_remote *t, const char *proc_root, bool use_logind);
void su_remote_done(struct su_remote *t);

/* Remembers that pid, a root sshd that sent a DECIDE with rhost, serves a connection from
 * rhost; its parent too when that is a root sshd (sshd runs keyboard-interactive PAM in a
 * child of the connection's monitor process).  -EPERM when pid is not a root sshd. */
int su_remote_note(struct su_remote *t, const struct su_peer *peer, const char *rhost);

/* Sources 2 and 3 for the peer: walks up from the caller (itself included) to the first
 * root-owned sshd, using and filling the verdict cache. */
int su_remote_from_ancestry(struct su_remote *t, const struct su_peer *peer,
                            struct su_remote_info *ret);

/* All three sources: fills peer->remote (once per request). */
void su_remote_detect(struct su_remote *t, struct su_peer *peer);
