/* The admin's question catalogue, /etc/stepup/questions.conf:
 *   # comment
 *   ID: question text
 * ID: 1-32 of [a-z0-9_-]; text: 1-200 bytes; at most 100 questions; IDs unique. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#define SU_QUESTIONS_MAX 100
#define SU_QUESTION_TEXT_MAX 200

struct su_question {
        char id[33];
        char text[SU_QUESTION_TEXT_MAX + 1];
};

struct su_catalogue {
        struct su_question q[SU_QUESTIONS_MAX];
        size_t n;
};

/* A missing file gives an empty catalogue (0).  Errors: negative errno, "file:line: msg". */
int su_catalogue_load(const char *path, uid_t owner, struct su_catalogue *ret, char *err,
                      size_t errsize);
const struct su_question *su_catalogue_find(const struct su_catalogue *c, const char *id);
