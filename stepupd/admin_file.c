#include "admin_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_read.h"

char *su_trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = 0;
        return s;
}

int su_admin_file_lines(const char *path, uid_t owner, size_t max_bytes, su_line_fn *fn, void *data,
                        char *err, size_t errsize)
{
        char *text, why[256];
        size_t len;
        int r = su_safe_read(path, owner, max_bytes, 0, &text, &len, why, sizeof(why));
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                snprintf(err, errsize, "%s: %s", path, why);
                return r;
        }
        unsigned lineno = 0;
        r = 0;
        for (char *p = text; p && *p && r == 0;) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                lineno++;
                char *line = su_trim(p);
                p = nl ? nl + 1 : NULL;
                if (!*line || *line == '#')
                        continue;
                why[0] = 0;
                r = fn(line, data, why, sizeof(why));
                if (r < 0)
                        snprintf(err, errsize, "%s:%u: %s", path, lineno, why);
        }
        explicit_bzero(text, len);
        free(text);
        return r;
}
