#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "factors.h"
#include "names.h"
#include "recovery.h"

int su_parse_decide(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                    size_t whysize)
{
        struct su_rq_decide *d = &out->decide;
        d->service = su_msg_str(m, SU_T_SERVICE);
        d->user = su_msg_str(m, SU_T_USER);
        d->ruser = su_msg_str(m, SU_T_RUSER);
        d->tty = su_msg_str(m, SU_T_TTY);
        d->rhost = su_msg_str(m, SU_T_RHOST);
        d->command = su_msg_str(m, SU_T_COMMAND);
        d->target_user = su_msg_str(m, SU_T_TARGET_USER);
        d->target_group = su_msg_str(m, SU_T_TARGET_GROUP);
        if (!su_msg_u32(m, SU_T_PHASE, &d->phase))
                d->phase = 0;
        if (d->tty && !*d->tty)
                d->tty = NULL;
        if (d->rhost && !*d->rhost)
                d->rhost = NULL;
        if (d->command && !*d->command)
                d->command = NULL;
        /* Names are checked when the policy request is built (request_build), where a bad
         * one is a DENY with its audit event rather than a protocol error. */
        return 0;
}

int su_parse_verify(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                    size_t whysize)
{
        out->verify.challenge = su_msg_str(m, SU_T_CHALLENGE);
        out->verify.answer = su_msg_str(m, SU_T_ANSWER);
        return 0; /* a missing id or answer spends the challenge (challenge.c) */
}

int su_parse_gate(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                  size_t whysize)
{
        out->gate.command = su_msg_str(m, SU_T_COMMAND);
        out->gate.ssh_command = su_msg_str(m, SU_T_SSH_COMMAND);
        return 0;
}

static int totp_params(const struct su_msg *m, struct su_rq_enroll *e, char *why, size_t size)
{
        uint32_t v;
        su_totp_params_default(&e->params);
        if (su_msg_u32(m, SU_T_DIGITS, &v))
                e->params.digits = v;
        if (su_msg_u32(m, SU_T_PERIOD, &v)) {
                e->params.period = v;
                e->period_given = true;
        }
        if (su_msg_u32(m, SU_T_WINDOW, &v)) {
                e->params.window = v;
                e->window_given = true;
        }
        const char *algo = su_msg_str(m, SU_T_ALGO);
        if (algo) {
                int a = su_totp_algo_from_name(algo);
                if (a < 0) {
                        snprintf(why, size, "unsupported TOTP algorithm");
                        return a;
                }
                e->params.algo = (enum su_totp_algo)a;
        }
        if (su_totp_params_check(&e->params) < 0) {
                snprintf(why, size, "unsupported TOTP parameters");
                return -EINVAL;
        }
        return 0;
}

int su_parse_enroll_begin(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                          size_t whysize)
{
        struct su_rq_enroll *e = &out->enroll;
        int r = totp_params(m, e, why, whysize);
        if (r < 0)
                return r;
        /* A wider window or a longer period makes every code valid for longer: that is the
         * admin's choice, not the user's (stepupd.conf user_totp_max_*). */
        const struct su_config *cfg = &c->ctx->cfg;
        const struct {
                unsigned asked, max;
                const char *what, *unit, *key;
        } caps[] = {
            {e->params.window, cfg->user_totp_max_window, "window", " steps",
             "user_totp_max_window"},
            {e->params.period, cfg->user_totp_max_period, "period", " s", "user_totp_max_period"},
        };
        for (size_t i = 0; c->peer.uid != 0 && i < sizeof(caps) / sizeof(caps[0]); i++)
                if (caps[i].asked > caps[i].max) {
                        snprintf(why, whysize,
                                 "a TOTP %s of %u%s is more than this host allows (%u%s: %s in "
                                 "stepupd.conf)",
                                 caps[i].what, caps[i].asked, caps[i].unit, caps[i].max,
                                 caps[i].unit, caps[i].key);
                        return -EPERM;
                }
        return 0;
}

int su_parse_enroll_set(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                        size_t whysize)
{
        struct su_rq_enroll *e = &out->enroll;
        int r = totp_params(m, e, why, whysize);
        if (r < 0)
                return r;
        e->secret = su_msg_str(m, SU_T_SECRET);
        if (!e->secret) {
                snprintf(why, whysize, "a valid user and secret are needed");
                return -EINVAL;
        }
        return 0;
}

int su_parse_enroll_confirm(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                            size_t whysize)
{
        out->enroll.answer = su_msg_str(m, SU_T_ANSWER);
        if (!out->enroll.answer) {
                snprintf(why, whysize, "no confirmation code given");
                return -EINVAL;
        }
        return 0;
}

int su_parse_factor(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                    size_t whysize)
{
        const char *name = su_msg_str(m, SU_T_FACTOR);
        out->factor.name = name;
        if (!name) {
                out->factor.mask = su_factors_all();
                return 0;
        }
        const struct su_factor_ops *f = su_factor_by_name(name);
        if (!f) {
                char list[160] = "";
                for (size_t i = 0; i < su_nfactors; i++)
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                 i ? ", " : "", su_factors[i]->name);
                snprintf(why, whysize, "unknown factor '%.32s' (%s)", name, list);
                return -EINVAL;
        }
        out->factor.mask = f->bit;
        return 0;
}

/* BODY: one "id<TAB>answer" line per question; exactly questions_enrol distinct ids of the
 * catalogue, each answer non-empty after normalisation.  All checked here, before any
 * answer is hashed. */
int su_parse_answers(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                     size_t whysize)
{
        struct su_rq_answers *a = &out->answers;
        const char *body = su_msg_str(m, SU_T_BODY);
        const struct su_catalogue *cat = c->rules->questions;
        memset(a, 0, sizeof(*a));
        if (!cat || cat->n == 0) {
                snprintf(why, whysize, "the admin has not set up security questions");
                return -ENOENT;
        }
        if (!body) {
                snprintf(why, whysize, "no answers given");
                return -EINVAL;
        }
        out->owned = strdup(body);
        if (!out->owned)
                return -ENOMEM;
        char *save = NULL;
        for (char *line = strtok_r(out->owned, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *tab = strchr(line, '\t');
                char norm[SU_ANSWER_NORM_MAX + 1];
                if (!tab) {
                        snprintf(why, whysize, "malformed answer line");
                        return -EINVAL;
                }
                *tab = 0;
                if (!su_catalogue_find(cat, line)) {
                        snprintf(why, whysize, "unknown question '%.32s'", line);
                        return -EINVAL;
                }
                for (size_t i = 0; i < a->n; i++)
                        if (strcmp(a->qid[i], line) == 0) {
                                snprintf(why, whysize, "question '%.32s' answered twice", line);
                                return -EINVAL;
                        }
                if (a->n >= SU_QUESTIONS_PER_USER_MAX || a->n >= c->ctx->cfg.questions_enrol) {
                        snprintf(why, whysize, "answer exactly %u questions (got more)",
                                 c->ctx->cfg.questions_enrol);
                        return -EINVAL;
                }
                int r = su_normalize_answer(tab + 1, norm, sizeof(norm));
                explicit_bzero(norm, sizeof(norm));
                if (r < 0) {
                        snprintf(why, whysize, "the answer to '%.32s' is empty or invalid", line);
                        return -EINVAL;
                }
                snprintf(a->qid[a->n], sizeof(a->qid[0]), "%s", line);
                a->answer[a->n++] = tab + 1;
        }
        if (a->n != c->ctx->cfg.questions_enrol) {
                snprintf(why, whysize, "answer exactly %u questions (got %zu)",
                         c->ctx->cfg.questions_enrol, a->n);
                return -EINVAL;
        }
        return 0;
}

/* Imported scratch codes (8 digits each, one a line). */
int su_parse_codes(struct su_call *c, const struct su_msg *m, struct su_rq *out, char *why,
                   size_t whysize)
{
        struct su_rq_codes *k = &out->codes;
        const char *body = su_msg_str(m, SU_T_BODY);
        bool bad = !body;
        k->n = 0;
        for (const char *p = body; p && *p && !bad;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len == 0 || len >= sizeof(k->code[0]) || k->n >= SU_RECOVERY_CODES_MAX) {
                        bad = true;
                        break;
                }
                memcpy(k->code[k->n], p, len);
                k->code[k->n][len] = 0;
                bad = !su_recovery_is_scratch(k->code[k->n]);
                k->n++;
                p += len + (nl ? 1 : 0);
        }
        if (bad || k->n == 0) {
                explicit_bzero(k, sizeof(*k));
                snprintf(why, whysize, "recovery codes must be 1-16 lines of 8 digits");
                return -EINVAL;
        }
        return 0;
}

void su_rq_wipe(struct su_rq *rq)
{
        if (rq->owned) {
                explicit_bzero(rq->owned, strlen(rq->owned));
                free(rq->owned);
        }
        explicit_bzero(rq, sizeof(*rq));
}
