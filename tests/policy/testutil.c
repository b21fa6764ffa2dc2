#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

char *tu_read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rbe");
        size_t cap = 4096, n = 0;
        char *buf;

        if (!f)
                return NULL;
        buf = malloc(cap);
        while (buf) {
                size_t r = fread(buf + n, 1, cap - n - 1, f);
                n += r;
                if (r == 0)
                        break;
                if (n + 1 == cap) {
                        char *b = realloc(buf, cap * 2);
                        if (!b) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = b;
                        cap *= 2;
                }
        }
        fclose(f);
        if (!buf)
                return NULL;
        buf[n] = '\0';
        *len = n;
        return buf;
}

char *tu_join(const char *dir, const char *name)
{
        size_t len = strlen(dir) + strlen(name) + 2;
        char *s = malloc(len);

        if (!s)
                abort();
        snprintf(s, len, "%s/%s", dir, name);
        return s;
}

static int cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tu_list(const char *dir, const char *suffix, size_t *n)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = NULL;
        size_t cnt = 0, sl = strlen(suffix);

        if (!d)
                return NULL;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (de->d_name[0] == '.' || len <= sl || strcmp(de->d_name + len - sl, suffix))
                        continue;
                v = realloc(v, (cnt + 2) * sizeof(*v));
                if (!v)
                        abort();
                v[cnt++] = strdup(de->d_name);
        }
        closedir(d);
        if (!v) {
                v = calloc(1, sizeof(*v));
                if (!v)
                        abort();
        }
        v[cnt] = NULL;
        qsort(v, cnt, sizeof(*v), cmp);
        *n = cnt;
        return v;
}

void tu_free_list(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

const char *tu_diag_line(const struct su_diag *d, char *buf, size_t size)
{
        char full[2048], *nl, *p = full;
        size_t flen = strlen(d->file);

        su_diag_format(d, full, sizeof(full));
        nl = strchr(full, '\n');
        if (nl)
                *nl = '\0';
        if (strncmp(p, d->file, flen) == 0 && p[flen] == ':')
                p += flen + 1;
        if (*p == ' ')
                p++;
        snprintf(buf, size, "%s", p);
        return buf;
}

int tu_parse_file(const char *path, const char *name, struct su_policy **ret,
                  struct su_diags *diags)
{
        size_t len = 0;
        char *text = tu_read_file(path, &len);
        int r;

        if (!text)
                return -errno;
        r = su_policy_parse_buffer(name, text, len, ret, diags);
        free(text);
        return r;
}
