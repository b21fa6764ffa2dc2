#include "import_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

int su_import_fail(char *err, size_t size, const char *name, unsigned line, const char *fmt, ...)
{
        int n = snprintf(err, size, "%s:%u: ", name, line);
        va_list ap;
        va_start(ap, fmt);
        if (n >= 0 && (size_t)n < size)
                vsnprintf(err + n, size - (size_t)n, fmt, ap);
        va_end(ap);
        return -EINVAL;
}
