/* Durations: "0", or number+unit pieces with units in decreasing order ("1h30m", "2d", "90s"),
 * capped at SU_DURATION_MAX_S so a typo cannot grant a step-up for years. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static uint64_t unit_seconds(char u)
{
        switch (u) {
        case 'd':
                return 86400;
        case 'h':
                return 3600;
        case 'm':
                return 60;
        case 's':
                return 1;
        default:
                return 0;
        }
}

int duration_parse(const char *s, uint64_t *ret)
{
        uint64_t total = 0, last_unit = UINT64_MAX;
        bool over = false;
        const char *p = s;

        if (!s || !*s)
                return -EINVAL;
        if (strspn(s, "0") == strlen(s)) {
                *ret = 0;
                return 0;
        }
        while (*p) {
                uint64_t v = 0, unit;

                if (*p < '0' || *p > '9')
                        return -EINVAL;
                for (; *p >= '0' && *p <= '9'; p++) {
                        if (v <= SU_DURATION_MAX_S) /* stop growing once too big: no wrap */
                                v = v * 10 + (uint64_t)(*p - '0');
                }
                if (!*p)
                        return -EDOM; /* "15": which unit? */
                unit = unit_seconds(*p++);
                if (!unit || unit >= last_unit)
                        return -EINVAL; /* unknown unit, repeated or out of order */
                last_unit = unit;
                if (v > SU_DURATION_MAX_S)
                        over = true;
                else
                        total += v * unit;
                if (total > SU_DURATION_MAX_S)
                        over = true;
        }
        if (over)
                return -ERANGE;
        *ret = total;
        return 0;
}

void duration_format(uint64_t secs, char *buf, size_t size)
{
        static const struct {
                char unit;
                uint64_t s;
        } units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
        size_t len = 0;

        if (!size)
                return;
        buf[0] = '\0';
        if (secs == 0) {
                snprintf(buf, size, "0");
                return;
        }
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                uint64_t n = secs / units[i].s;
                int w;

                if (!n)
                        continue;
                secs %= units[i].s;
                w = snprintf(buf + len, size - len, "%llu%c", (unsigned long long)n, units[i].unit);
                if (w < 0 || (size_t)w >= size - len)
                        return;
                len += (size_t)w;
        }
}
