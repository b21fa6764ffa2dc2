#include "questions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_read.h"

static bool valid_id(const char *s, size_t n)
{
        if (n == 0 || n > 32)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
                      s[i] == '-'))
                        return false;
        return true;
}

int su_catalogue_load(const char *path, uid_t owner, struct su_catalogue *ret, char *err,
                      size_t errsize)
{
        char *text;
        size_t len;
        memset(ret, 0, sizeof(*ret));
        char why[160];
        int r = su_safe_read(path, owner, 256 * 1024, 0, &text, &len, why, sizeof(why));
        if (r == -ENOENT)
                return 0; /* no catalogue: no questions */
        if (r < 0) {
                snprintf(err, errsize, "%s: %s", path, why);
                return r;
        }
        unsigned lineno = 0;
        char *p = text;
        r = 0;
        while (p && *p && r == 0) {
                char *nl = strchr(p, '\n');
                if (nl)
                        *nl = 0;
                lineno++;
                char *line = p;
                p = nl ? nl + 1 : NULL;
                while (*line == ' ' || *line == '\t')
                        line++;
                size_t l = strlen(line);
                while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\t' || line[l - 1] == '\r'))
                        line[--l] = 0;
                if (!*line || *line == '#')
                        continue;
                char *colon = strchr(line, ':');
                char *q = colon ? colon + 1 : NULL;
                while (q && (*q == ' ' || *q == '\t'))
                        q++;
                if (!colon || !valid_id(line, (size_t)(colon - line))) {
                        snprintf(err, errsize,
                                 "%s:%u: expected 'ID: question text' with an ID of "
                                 "1-32 characters a-z 0-9 _ -",
                                 path, lineno);
                        r = -EINVAL;
                } else if (!*q || strlen(q) > SU_QUESTION_TEXT_MAX) {
                        snprintf(err, errsize, "%s:%u: question text must be 1-%d bytes", path,
                                 lineno, SU_QUESTION_TEXT_MAX);
                        r = -EINVAL;
                } else if (ret->n >= SU_QUESTIONS_MAX) {
                        snprintf(err, errsize, "%s:%u: more than %d questions", path, lineno,
                                 SU_QUESTIONS_MAX);
                        r = -E2BIG;
                } else {
                        *colon = 0;
                        if (su_catalogue_find(ret, line)) {
                                snprintf(err, errsize, "%s:%u: question '%s' defined twice", path,
                                         lineno, line);
                                r = -EEXIST;
                                break;
                        }
                        for (const char *c = q; *c; c++)
                                if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                                        snprintf(err, errsize,
                                                 "%s:%u: control character in "
                                                 "question text",
                                                 path, lineno);
                                        r = -EINVAL;
                                }
                        if (r == 0) {
                                snprintf(ret->q[ret->n].id, sizeof(ret->q[ret->n].id), "%s", line);
                                snprintf(ret->q[ret->n].text, sizeof(ret->q[ret->n].text), "%s", q);
                                ret->n++;
                        }
                }
        }
        free(text);
        if (r < 0)
                memset(ret, 0, sizeof(*ret));
        return r;
}

const struct su_question *su_catalogue_find(const struct su_catalogue *c, const char *id)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->q[i].id, id) == 0)
                        return &c->q[i];
        return NULL;
}
