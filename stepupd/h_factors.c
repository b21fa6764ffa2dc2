/* The enrolment lifecycle of the other factors: security questions (the catalogue, one's
 * answers), recovery codes (new ones, root's import of scratch codes), and removing one's own
 * factor.  Changing a factor needs a fresh proof (fresh_proof.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "answer.h"
#include "factors.h"
#include "fresh_proof.h"
#include "handlers.h"
#include "json_text.h"
#include "recovery.h"
#include "secret_hash.h"

#define RECOVERY_CODES_NEW 10

/* A factor changed: the change log, the audit event (the message is also the reply's). */
static void changed(struct su_call *c, const char *factor, const char *change, const char *state,
                    const char *message)
{
        (void)c->db->store->ops->log_change(c->db->store, c->user, factor, change, c->peer.uid,
                                            c->ctx->host);
        su_audit(&c->audit, SU_EV_ENROLL, LOG_INFO, message, "STEPUP_USER", c->user,
                 "STEPUP_FACTOR", factor, "STEPUP_STATE", state, NULL);
}

/* Password hashing costs milliseconds of CPU: a non-root uid gets a budget of them. */
static int hashing_allowed(struct su_call *c, unsigned n, struct su_reply *rep)
{
        unsigned wait;
        if (su_limits_cost(&c->ctx->limits, c->peer.uid, n, &wait) == 0)
                return 1;
        char text[128];
        snprintf(text, sizeof(text), "too many requests: wait %u seconds before trying again",
                 wait);
        su_reply_error(rep, EBUSY, text);
        return 0;
}

int su_h_questions_get(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const struct su_catalogue *cat = c->rules->questions;
        if (!cat || cat->n == 0)
                return su_reply_error(rep, ENOENT, "the admin has not set up security questions");
        json_t *o = json_object(), *list = json_array();
        if (!o || !list) {
                json_decref(o);
                json_decref(list);
                return -ENOMEM;
        }
        json_object_set_new(o, "need", json_integer(c->ctx->cfg.questions_enrol));
        for (size_t i = 0; i < cat->n; i++) {
                json_t *q = json_object();
                json_object_set_new(q, "id", su_json_text(cat->q[i].id));
                json_object_set_new(q, "text", su_json_text(cat->q[i].text));
                json_array_append_new(list, q);
        }
        json_object_set_new(o, "questions", list);
        return su_reply_ok_data(rep, o);
}

int su_h_questions_set(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const struct su_rq_answers *a = &rq->answers;
        int r = su_fresh_proof(c, rep);
        if (r <= 0)
                return r;
        if (!hashing_allowed(c, (unsigned)a->n, rep))
                return 0;
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        r = 0;
        for (size_t i = 0; i < a->n && r == 0; i++) {
                char norm[SU_ANSWER_NORM_MAX + 1];
                snprintf(rows[i].qid, sizeof(rows[i].qid), "%s", a->qid[i]);
                r = su_normalize_answer(a->answer[i], norm, sizeof(norm));
                if (r == 0)
                        r = su_hash_make(norm, rows[i].hash, sizeof(rows[i].hash));
                explicit_bzero(norm, sizeof(norm));
        }
        if (r == 0)
                r = c->db->store->ops->questions_set(c->db->store, c->user, rows, a->n);
        explicit_bzero(rows, sizeof(rows));
        if (r < 0)
                return su_reply_error(rep, EIO, "cannot store the answers");
        changed(c, "question", "active", "active", "security questions enrolled");
        return su_reply_ok(rep, "security questions enrolled");
}

int su_h_recovery_new(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        int r = su_fresh_proof(c, rep);
        if (r <= 0)
                return r;
        if (!hashing_allowed(c, RECOVERY_CODES_NEW, rep))
                return 0;
        struct su_recovery_row rows[RECOVERY_CODES_NEW];
        size_t size = RECOVERY_CODES_NEW * (SU_RECOVERY_CODE_LEN + 1) + 1;
        char *body = calloc(1, size);
        if (!body)
                return -ENOMEM;
        for (size_t i = 0; i < RECOVERY_CODES_NEW; i++) {
                char code[SU_RECOVERY_CODE_LEN + 1];
                bool dup = false;
                if (su_recovery_new(code, &rows[i]) < 0) {
                        explicit_bzero(body, size);
                        free(body);
                        explicit_bzero(rows, sizeof(rows));
                        return su_reply_error(rep, EIO, "cannot make recovery codes");
                }
                for (size_t j = 0; j < i; j++)
                        dup |= strcmp(rows[j].tag, rows[i].tag) == 0;
                if (dup) { /* a tag must be unique per user: draw again */
                        i--;
                        continue;
                }
                strcat(body, code);
                strcat(body, "\n");
                explicit_bzero(code, sizeof(code));
        }
        r = c->db->store->ops->recovery_set(c->db->store, c->user, rows, RECOVERY_CODES_NEW);
        explicit_bzero(rows, sizeof(rows));
        if (r < 0) {
                explicit_bzero(body, size);
                free(body);
                return su_reply_error(rep, -r, "cannot store the recovery codes");
        }
        changed(c, "recovery", "new codes", "active", "recovery codes made (old ones void)");
        rep->type = SU_REP_OK;
        rep->body = body; /* shown once; wiped with the reply */
        return 0;
}

int su_h_recovery_set(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        const struct su_rq_codes *k = &rq->codes;
        struct su_recovery_row rows[SU_RECOVERY_CODES_MAX];
        int r = 0;
        for (size_t i = 0; i < k->n && r == 0; i++) {
                snprintf(rows[i].tag, sizeof(rows[i].tag), "s%03u", (unsigned)(i & 0xff));
                r = su_hash_make(k->code[i], rows[i].hash, sizeof(rows[i].hash));
        }
        if (r == 0)
                r = c->db->store->ops->recovery_set(c->db->store, c->user, rows, k->n);
        explicit_bzero(rows, sizeof(rows));
        if (r < 0)
                return su_reply_error(rep, EIO, "cannot store the recovery codes");
        changed(c, "recovery", "imported", "active", "recovery codes imported");
        return su_reply_ok(rep, "recovery codes imported");
}

int su_h_remove(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        if (!rq->factor.name)
                return su_reply_error(rep, EINVAL, "name a factor to remove");
        if (rq->factor.mask & su_factors_provided())
                return su_reply_error(rep, EINVAL,
                                      "that factor is provided by the administrator's "
                                      "configuration: there is nothing of yours to remove");
        int r = su_fresh_proof(c, rep);
        if (r <= 0)
                return r;
        /* The factor goes, and with it every grant the user holds on this host. */
        r = c->db->store->ops->reset(c->db->store, c->user, su_factors_tables(rq->factor.mask));
        if (r < 0)
                return su_reply_error(rep, EIO, "cannot remove the factor");
        changed(c, rq->factor.name, "removed", "none", "factor removed");
        return su_reply_ok(rep, "factor removed");
}
