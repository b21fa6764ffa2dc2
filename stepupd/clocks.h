/* The two clocks of stepupd, the boot id, and the age of a grant by both. */
#pragma once

#include <stdint.h>

#include "local.h"

/* Wall (CLOCK_REALTIME) and boot (CLOCK_BOOTTIME, never jumps) clocks, in seconds. */
int64_t su_now_wall(void);
int64_t su_now_boot(void);
/* CLOCK_MONOTONIC in microseconds, for latencies. */
uint64_t su_now_us(void);

/* The kernel's boot id (/proc/sys/kernel/random/boot_id), 36 characters. */
int su_boot_id(char out[static SU_BOOT_ID_LEN + 1]);

/* Age of a grant in seconds, or -1 when it is void: from another boot, or verified in the
 * future by either clock.  The larger of the two clocks' ages counts, so setting the wall
 * clock back never makes a grant younger. */
int64_t su_assurance_age(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                         int64_t now_boot);
/* Seconds since the grant was last used, with the same rules. */
int64_t su_assurance_idle(const struct su_assurance *a, const char *boot_id, int64_t now_wall,
                          int64_t now_boot);
