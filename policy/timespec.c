/* Clock conditions: "HH:MM-HH:MM" ranges (end exclusive, may wrap past midnight) and weekday
 * names or ranges ("mon-fri", "fri-mon" wraps). */
#include <errno.h>
#include <strings.h>
#include <string.h>

#include "internal.h"

static const char *const days[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

const char *weekday_name(int wday)
{
        return wday >= 0 && wday < 7 ? days[wday] : "?";
}

/* "H:MM" or "HH:MM"; returns the minute of the day or -1. */
static int parse_clock(const char *s, size_t len, bool is_end)
{
        unsigned h = 0, m;
        size_t i = 0;

        while (i < len && i < 2 && s[i] >= '0' && s[i] <= '9')
                h = h * 10 + (unsigned)(s[i++] - '0');
        if (i == 0 || i + 3 != len || s[i] != ':' || s[i + 1] < '0' || s[i + 1] > '9' ||
            s[i + 2] < '0' || s[i + 2] > '9')
                return -1;
        m = (unsigned)(s[i + 1] - '0') * 10 + (unsigned)(s[i + 2] - '0');
        if (m > 59 || h > 24 || (h == 24 && (m != 0 || !is_end)))
                return -1;
        return (int)(h * 60 + m);
}

int time_range_parse(const char *s, struct time_range *r)
{
        const char *dash = strchr(s, '-');
        int a, b;

        if (!dash)
                return -EINVAL;
        a = parse_clock(s, (size_t)(dash - s), false);
        b = parse_clock(dash + 1, strlen(dash + 1), true);
        if (a < 0 || b < 0)
                return -EINVAL;
        if (a == b)
                return -EDOM;
        r->start = (unsigned)a;
        r->end = (unsigned)b;
        return 0;
}

bool time_range_contains(const struct time_range *r, unsigned minute)
{
        if (r->start < r->end)
                return minute >= r->start && minute < r->end;
        return minute >= r->start || minute < r->end; /* wraps past midnight */
}

static int day_index(const char *s, size_t len)
{
        if (len != 3)
                return -1;
        for (int i = 0; i < 7; i++)
                if (strncasecmp(s, days[i], 3) == 0)
                        return i;
        return -1;
}

int weekday_parse(const char *s, unsigned *mask)
{
        const char *dash = strchr(s, '-');
        int a, b;

        if (!dash) {
                a = day_index(s, strlen(s));
                if (a < 0)
                        return -EINVAL;
                *mask |= 1u << a;
                return 0;
        }
        a = day_index(s, (size_t)(dash - s));
        b = day_index(dash + 1, strlen(dash + 1));
        if (a < 0 || b < 0)
                return -EINVAL;
        for (int d = a;; d = (d + 1) % 7) {
                *mask |= 1u << d;
                if (d == b)
                        break;
        }
        return 0;
}
