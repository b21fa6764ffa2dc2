/* The security-question factor: k of the user's enrolled questions, asked one a round;
 * answers normalised and checked against yescrypt hashes (costly: the pool runs it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "answer.h"
#include "factor.h"
#include "secret_hash.h"

#define ASK_MAX 8 /* questions asked in one challenge */

struct asked {
        char qids[ASK_MAX][SU_QID_MAX + 1];
        size_t n, pos;
};

static int question_enrolled(struct su_call *c, const char *user, bool *ret)
{
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        int n =
            c->db->store->ops->questions_get(c->db->store, user, rows, SU_QUESTIONS_PER_USER_MAX);
        explicit_bzero(rows, sizeof(rows));
        *ret = n > 0;
        return n < 0 ? n : 0;
}

/* Picks k of the user's enrolled questions at random (those still in the catalogue). */
static int pick(struct su_call *c, const char *user, struct asked *a)
{
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        const struct su_catalogue *cat = c->rules->questions;
        int n =
            c->db->store->ops->questions_get(c->db->store, user, rows, SU_QUESTIONS_PER_USER_MAX);
        if (n < 0)
                return n;
        size_t avail = 0;
        char ids[SU_QUESTIONS_PER_USER_MAX][SU_QID_MAX + 1];
        for (int i = 0; i < n; i++)
                if (su_catalogue_find(cat, rows[i].qid))
                        memcpy(ids[avail++], rows[i].qid, sizeof(ids[0]));
        explicit_bzero(rows, sizeof(rows));
        size_t k = c->ctx->cfg.questions_ask < ASK_MAX ? c->ctx->cfg.questions_ask : ASK_MAX;
        if (avail < k || k == 0)
                return -ENOKEY;
        /* Fisher-Yates with getrandom: the order and choice are not guessable. */
        for (size_t i = avail - 1; i > 0; i--) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -EIO;
                size_t j = rnd % (i + 1);
                char tmp[SU_QID_MAX + 1];
                memcpy(tmp, ids[i], sizeof(tmp));
                memcpy(ids[i], ids[j], sizeof(tmp));
                memcpy(ids[j], tmp, sizeof(tmp));
        }
        for (size_t i = 0; i < k; i++)
                memcpy(a->qids[i], ids[i], sizeof(a->qids[0]));
        a->n = k;
        a->pos = 0;
        return 0;
}

static int question_prompt(struct su_call *c, struct su_challenge *ch, struct su_reply *rep)
{
        struct asked *a = ch->state;
        if (!a) {
                a = calloc(1, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                int r = pick(c, ch->user, a);
                if (r < 0) {
                        free(a);
                        return r;
                }
                ch->state = a;
        }
        const struct su_question *q = su_catalogue_find(c->rules->questions, a->qids[a->pos]);
        if (!q)
                return -ENOKEY; /* the catalogue changed under the challenge */
        char p[SU_QUESTION_TEXT_MAX + 2];
        snprintf(p, sizeof(p), "%s ", q->text);
        rep->prompt = strdup(p);
        return rep->prompt ? 0 : -ENOMEM;
}

static int question_verify(struct su_call *c, struct su_challenge *ch, const char *answer,
                           const struct su_grant *grant, bool *done)
{
        struct asked *a = ch->state;
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        char norm[SU_ANSWER_NORM_MAX + 1];
        *done = false;
        if (!a || a->pos >= a->n)
                return -EACCES;
        int n = c->db->store->ops->questions_get(c->db->store, ch->user, rows,
                                                 SU_QUESTIONS_PER_USER_MAX);
        if (n < 0)
                return n;
        bool ok = false;
        if (su_normalize_answer(answer, norm, sizeof(norm)) == 0)
                for (int i = 0; i < n; i++)
                        if (strcmp(rows[i].qid, a->qids[a->pos]) == 0)
                                ok = su_hash_check(norm, rows[i].hash);
        explicit_bzero(norm, sizeof(norm));
        explicit_bzero(rows, sizeof(rows));
        if (!ok)
                return -EACCES;
        a->pos++;
        *done = a->pos >= a->n;
        if (!*done)
                return 0;
        struct su_store *s = c->db->store;
        return grant ? s->ops->grant(s, ch->user, grant) : 0;
}

static int question_status(struct su_call *c, const char *user, json_t *obj)
{
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        int n =
            c->db->store->ops->questions_get(c->db->store, user, rows, SU_QUESTIONS_PER_USER_MAX);
        explicit_bzero(rows, sizeof(rows));
        if (n < 0)
                return n;
        json_object_set_new(obj, "enrolled", json_integer(n));
        return 0;
}

static void asked_free(void *state)
{
        explicit_bzero(state, sizeof(struct asked));
        free(state);
}

const struct su_factor_ops su_factor_question = {
    .bit = SU_FACTOR_QUESTION,
    .name = "question",
    .noun = "answer",
    .tables = SU_TAB_QUESTIONS,
    .slow_verify = true,
    .wrong = "wrong answer",
    .replay = "answer already used",
    .enrolled = question_enrolled,
    .prompt = question_prompt,
    .verify = question_verify,
    .status = question_status,
    .state_free = asked_free,
};
