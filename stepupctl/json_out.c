/* stepupctl's JSON output through jansson. */
#include "json_out.h"

#include "json_text.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *ctl_json_textn(const char *s, size_t n)
{
        return su_json_textn(s, n);
}

json_t *ctl_json_text(const char *s)
{
        return su_json_text(s);
}

json_t *ctl_json_number_or_text(const char *s, size_t n)
{
        char buf[24];
        size_t digits = n > 0 && s[0] == '-' ? n - 1 : n;
        if (digits == 0 || n >= sizeof(buf) || strspn(s + (n - digits), "0123456789") != digits)
                return ctl_json_textn(s, n);
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        char *end;
        long long x = strtoll(buf, &end, 10);
        if (errno || *end)
                return ctl_json_textn(s, n);
        return json_integer(x);
}

json_t *ctl_json_real(double v, int decimals)
{
        char buf[64];
        if (v < 0)
                return json_null();
        /* rounded in decimal, so the output shows no binary noise (0.1667, not 0.166699...) */
        snprintf(buf, sizeof(buf), "%.*f", decimals, v);
        return json_real(strtod(buf, NULL));
}

int ctl_json_print(json_t *v, bool pretty)
{
        if (!v)
                return -ENOMEM;
        size_t flags = JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : 0);
        int r = json_dumpf(v, stdout, flags);
        json_decref(v);
        if (r < 0 || putchar('\n') == EOF)
                return -EIO;
        return 0;
}
