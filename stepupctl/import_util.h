/* Shared by the import parsers. */
#pragma once
#include <stddef.h>

/* Writes "name:line: message" into err and returns -EINVAL. */
int su_import_fail(char *err, size_t size, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
