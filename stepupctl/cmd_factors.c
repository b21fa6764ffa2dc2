/* stepupctl enroll questions | recovery-codes | remove FACTOR: the caller's own factors.
 * When the caller already has a factor, stepupd first asks for a fresh proof with it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "prompt.h"

#define MAXQ 100

struct catalogue {
        unsigned need;
        size_t n;
        char id[MAXQ][33];
        char text[MAXQ][201];
};

/* QUESTIONS_GET's reply: {"need": N, "questions": [{"id": ..., "text": ...}, ...]} */
static int parse_catalogue(const struct su_msg *rep, struct catalogue *cat)
{
        json_t *o = NULL, *q;
        size_t i;
        memset(cat, 0, sizeof(*cat));
        int r = ctl_reply_data(rep, &o);
        if (r < 0)
                return r;
        json_t *need = json_object_get(o, "need");
        cat->need = json_is_integer(need) && json_integer_value(need) > 0
                        ? (unsigned)json_integer_value(need)
                        : 0;
        json_array_foreach(json_object_get(o, "questions"), i, q)
        {
                const char *id = json_string_value(json_object_get(q, "id"));
                const char *text = json_string_value(json_object_get(q, "text"));
                if (!id || !text || strlen(id) >= sizeof(cat->id[0]) || cat->n >= MAXQ)
                        continue;
                snprintf(cat->id[cat->n], sizeof(cat->id[0]), "%s", id);
                snprintf(cat->text[cat->n], sizeof(cat->text[0]), "%s", text);
                cat->n++;
        }
        json_decref(o);
        return cat->n && cat->need ? 0 : -EBADMSG;
}

/* Interactive: pick questions by number, type each answer twice with echo off. */
static int ask_answers(const struct catalogue *cat, char *body, size_t size)
{
        bool used[MAXQ] = {false};
        printf("Pick %u of these questions; answers are compared ignoring case and extra "
               "spaces.\n",
               cat->need);
        for (size_t i = 0; i < cat->n; i++)
                printf("  %2zu. %s\n", i + 1, cat->text[i]);
        size_t got = 0, len = 0;
        while (got < cat->need) {
                char line[32], a1[SU_ANSWER_MAX + 2], a2[SU_ANSWER_MAX + 2];
                printf("Question number (%zu of %u): ", got + 1, cat->need);
                fflush(stdout);
                if (ctl_read_line(line, sizeof(line)) < 0)
                        return -ECANCELED;
                unsigned long k = strtoul(line, NULL, 10);
                if (k < 1 || k > cat->n || used[k - 1]) {
                        printf("  pick an unused number from 1 to %zu\n", cat->n);
                        continue;
                }
                printf("%s\n", cat->text[k - 1]);
                if (ctl_read_secret("Answer: ", a1, sizeof(a1)) < 0 ||
                    ctl_read_secret("Again: ", a2, sizeof(a2)) < 0)
                        return -ECANCELED;
                bool same = strcmp(a1, a2) == 0 && *a1;
                if (same) {
                        int n = snprintf(body + len, size - len, "%s\t%s\n", cat->id[k - 1], a1);
                        if (n < 0 || (size_t)n >= size - len)
                                same = false;
                        else
                                len += (size_t)n;
                }
                explicit_bzero(a1, sizeof(a1));
                explicit_bzero(a2, sizeof(a2));
                if (!same) {
                        printf("  the answers differ or are empty; again\n");
                        continue;
                }
                used[k - 1] = true;
                got++;
        }
        return 0;
}

/* Scripted: "ID<TAB>ANSWER" lines on standard input, as many as stepupd asks for. */
static int read_answers(char *body, size_t size)
{
        size_t len = 0;
        char line[SU_ANSWER_MAX + 40];
        while (ctl_read_line(line, sizeof(line)) == 0) {
                if (!*line)
                        continue;
                int n = snprintf(body + len, size - len, "%s\n", line);
                explicit_bzero(line, sizeof(line));
                if (n < 0 || (size_t)n >= size - len)
                        return -E2BIG;
                len += (size_t)n;
        }
        return len ? 0 : -ENODATA;
}

int cmd_enroll_questions(const struct ctl *c, int argc, char **argv)
{
        const char *user = ctl_opt_user(argc, argv);
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_QUESTIONS_GET);
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        struct catalogue *cat = malloc(sizeof(*cat));
        if (!cat || parse_catalogue(&rep, cat) < 0) {
                free(cat);
                fprintf(stderr, "stepupctl: stepupd sent no usable question catalogue\n");
                return 1;
        }
        char body[8192] = "";
        int r = isatty(STDIN_FILENO) ? ask_answers(cat, body, sizeof(body))
                                     : read_answers(body, sizeof(body));
        free(cat);
        if (r < 0) {
                explicit_bzero(body, sizeof(body));
                fprintf(stderr, "stepupctl: %s\n",
                        r == -ENODATA ? "no answers on standard input (ID<TAB>ANSWER lines)"
                                      : "cancelled");
                return 1;
        }
        su_msg_init(&req, SU_REQ_QUESTIONS_SET);
        if ((user && su_msg_put_str(&req, SU_T_USER, user) < 0) ||
            su_msg_put_str(&req, SU_T_BODY, body) < 0) {
                explicit_bzero(body, sizeof(body));
                fprintf(stderr, "stepupctl: answers too long or with control characters\n");
                return 1;
        }
        explicit_bzero(body, sizeof(body));
        r = ctl_call_gated(c, &req, &rep);
        su_msg_wipe(&req);
        if (r < 0)
                return 1;
        return ctl_report(&rep);
}

int cmd_recovery_codes(const struct ctl *c, int argc, char **argv)
{
        const char *user = ctl_opt_user(argc, argv);
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_RECOVERY_NEW);
        if (user && su_msg_put_str(&req, SU_T_USER, user) < 0)
                return 2;
        if (ctl_call_gated(c, &req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        const char *body = su_msg_str(&rep, SU_T_BODY);
        printf("Your recovery codes (each works once; any older codes no longer work).\n"
               "Keep them somewhere safe: they are shown only now.\n\n%s\n",
               body ? body : "");
        su_msg_wipe(&rep);
        return 0;
}

int cmd_remove(const struct ctl *c, int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "Usage: stepupctl remove totp|question|recovery\n");
                return 2;
        }
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_REMOVE);
        if (su_msg_put_str(&req, SU_T_FACTOR, argv[1]) < 0)
                return 2;
        if (ctl_call_gated(c, &req, &rep) < 0)
                return 1;
        return ctl_report(&rep);
}
