#include "clocks.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "procfs.h"

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

uint64_t su_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int su_boot_id(char out[static SU_BOOT_ID_LEN + 1])
{
        char buf[64];
        int r = su_read_small("/proc/sys/kernel/random/boot_id", buf, sizeof(buf));
        if (r < 0)
                return r;
        if (r < SU_BOOT_ID_LEN)
                return -EBADMSG;
        memcpy(out, buf, SU_BOOT_ID_LEN);
        out[SU_BOOT_ID_LEN] = 0;
        return 0;
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
