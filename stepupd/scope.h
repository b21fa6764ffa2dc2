/* What the kernel says about a caller, and the assurance scope keys built from it.
 * Nothing here comes from the message or from the caller's fds 0-2. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

struct su_peer_proc {
        pid_t pid;
        pid_t ppid;
        pid_t sid;
        unsigned long long tty_nr;         /* 0: no controlling tty */
        unsigned long long starttime;      /* of pid, clock ticks since boot */
        unsigned long long ppid_starttime; /* of the parent */
        unsigned long long sid_starttime;  /* of the session leader */
};

/* Reads /proc/PID/stat (and the parent's and session leader's) below proc_root ("/proc"). */
int su_peer_proc_read(const char *proc_root, pid_t pid, struct su_peer_proc *ret);

enum su_scope_kind { SU_SCOPE_KEY_TTY = 0, SU_SCOPE_KEY_SESSION = 1, SU_SCOPE_KEY_USER = 2 };

/* tty:    the controlling tty and its session (as sudo's tty timestamps); without a tty
 *         the parent process (as sudo's ppid timestamps).
 * session: the kernel session, identified by its leader's pid and start time.
 * user:   every session of the user on this boot. */
int su_scope_key(enum su_scope_kind kind, const struct su_peer_proc *p, char *out, size_t size);

/* The kernel's boot id (/proc/sys/kernel/random/boot_id), 36 characters. */
int su_boot_id(char out[static SU_BOOT_ID_LEN + 1]);

/* Clocks: wall (CLOCK_REALTIME) and boot (CLOCK_BOOTTIME, never jumps), in seconds. */
int64_t su_now_wall(void);
int64_t su_now_boot(void);

/* Age of an assurance row in seconds, or -1 when the row is void: from another boot, or
 * verified in the future by either clock.  The larger of the two clocks' ages counts,
 * so setting the wall clock back never makes a grant younger. */
int64_t su_assurance_age(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                         int64_t now_boot);
/* Seconds since the row was last used, with the same rules. */
int64_t su_assurance_idle(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                          int64_t now_boot);
