#include "questions.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_file.h"

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

static int one_question(char *line, void *data, char *why, size_t whysize)
{
        struct su_catalogue *cat = data;
        char *colon = strchr(line, ':');
        if (!colon || !valid_id(line, (size_t)(colon - line))) {
                snprintf(why, whysize,
                         "expected 'ID: question text' with an ID of 1-32 characters a-z 0-9 _ -");
                return -EINVAL;
        }
        char *q = su_trim(colon + 1);
        if (!*q || strlen(q) > SU_QUESTION_TEXT_MAX) {
                snprintf(why, whysize, "question text must be 1-%d bytes", SU_QUESTION_TEXT_MAX);
                return -EINVAL;
        }
        if (cat->n >= SU_QUESTIONS_MAX) {
                snprintf(why, whysize, "more than %d questions", SU_QUESTIONS_MAX);
                return -E2BIG;
        }
        *colon = 0;
        if (su_catalogue_find(cat, line)) {
                snprintf(why, whysize, "question '%s' defined twice", line);
                return -EEXIST;
        }
        for (const char *c = q; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                        snprintf(why, whysize, "control character in question text");
                        return -EINVAL;
                }
        snprintf(cat->q[cat->n].id, sizeof(cat->q[cat->n].id), "%s", line);
        snprintf(cat->q[cat->n].text, sizeof(cat->q[cat->n].text), "%s", q);
        cat->n++;
        return 0;
}

int su_catalogue_load(const char *path, uid_t owner, struct su_catalogue *ret, char *err,
                      size_t errsize)
{
        memset(ret, 0, sizeof(*ret));
        /* A missing file gives no lines: no catalogue, no questions. */
        int r = su_admin_file_lines(path, owner, 256 * 1024, one_question, ret, err, errsize);
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
