#include "challenge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "answer.h"
#include "audit.h"
#include "faults.h"
#include "handlers.h"
#include "recovery.h"
#include "scope.h"
#include "secret.h"
#include "secret_hash.h"
#include "totp.h"

/* Order in which the factors of a set are asked. */
static const uint32_t ask_order[] = {SU_FACTOR_TOTP, SU_FACTOR_QUESTION, SU_FACTOR_RECOVERY};

bool su_factor_sets_satisfied(const uint32_t *sets, size_t nsets, uint32_t have)
{
        for (size_t i = 0; i < nsets; i++)
                if ((sets[i] & have) == sets[i])
                        return true;
        return false;
}

static void new_id(char out[33])
{
        uint8_t raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                abort(); /* no randomness: stop rather than issue guessable ids */
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The next factor to ask: from the first set the user can complete, preferring sets that do
 * not spend a recovery code.  0 when no set can be completed. */
static uint32_t next_factor(const struct su_challenge *ch)
{
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < ch->nsets; i++) {
                        uint32_t s = ch->sets[i];
                        if ((s & ch->enrolled) != s)
                                continue;
                        if (pass == 0 && (s & SU_FACTOR_RECOVERY))
                                continue;
                        for (size_t k = 0; k < sizeof(ask_order) / sizeof(ask_order[0]); k++)
                                if ((s & ask_order[k]) && !(ch->proven & ask_order[k]))
                                        return ask_order[k];
                }
        }
        return 0;
}

/* A recovery code typed at another factor's prompt counts when some set accepts it there. */
static bool recovery_accepted(const struct su_challenge *ch)
{
        if (!(ch->enrolled & SU_FACTOR_RECOVERY) || ch->current == SU_FACTOR_RECOVERY)
                return false;
        for (size_t i = 0; i < ch->nsets; i++)
                if ((ch->sets[i] & SU_FACTOR_RECOVERY) &&
                    ((ch->sets[i] & ~SU_FACTOR_RECOVERY) & ~ch->proven) == 0)
                        return true;
        return false;
}

/* Picks k of the user's enrolled questions at random (those still in the catalogue). */
static int pick_questions(struct su_manager *m, struct su_challenge *ch)
{
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        int n = su_store_questions_get(m->store, ch->user, rows, SU_QUESTIONS_PER_USER_MAX);
        if (n < 0)
                return n;
        size_t avail = 0;
        char ids[SU_QUESTIONS_PER_USER_MAX][33];
        for (int i = 0; i < n; i++)
                if (su_catalogue_find(m->questions, rows[i].qid))
                        memcpy(ids[avail++], rows[i].qid, sizeof(ids[0]));
        explicit_bzero(rows, sizeof(rows));
        size_t k = m->cfg.questions_ask < SU_ASK_MAX ? m->cfg.questions_ask : SU_ASK_MAX;
        if (avail < k)
                return -ENOKEY;
        /* Fisher-Yates with getrandom: the order and choice are not guessable. */
        for (size_t i = avail - 1; i > 0; i--) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -EIO;
                size_t j = rnd % (i + 1);
                char tmp[33];
                memcpy(tmp, ids[i], 33);
                memcpy(ids[i], ids[j], 33);
                memcpy(ids[j], tmp, 33);
        }
        for (size_t i = 0; i < k; i++)
                memcpy(ch->qids[i], ids[i], 33);
        ch->nq = k;
        ch->qpos = 0;
        return 0;
}

static void reply_challenge(struct su_conn *c, struct su_challenge *ch, const char *message)
{
        struct su_manager *m = c->m;
        char prompt[512];
        const char *factor = su_factor_name(ch->current);
        new_id(ch->id);
        ch->expires_boot = su_now_boot() + m->cfg.challenge_timeout;
        if (ch->current == SU_FACTOR_TOTP)
                snprintf(prompt, sizeof(prompt), "%s",
                         recovery_accepted(ch) ? "Verification code (or a recovery code): "
                                               : "Verification code: ");
        else if (ch->current == SU_FACTOR_RECOVERY)
                snprintf(prompt, sizeof(prompt), "Recovery code: ");
        else {
                const struct su_question *q = su_catalogue_find(m->questions, ch->qids[ch->qpos]);
                snprintf(prompt, sizeof(prompt), "%s ", q ? q->text : "Security question:");
        }
        su_audit(SU_EV_CHALLENGE, LOG_INFO, "step-up challenge", "STEPUP_USER", ch->user,
                 "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_DECISION",
                 "challenge", "STEPUP_FACTOR", factor, NULL);
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_CHALLENGE);
        su_msg_put_str(&rep, SU_T_CHALLENGE, ch->id);
        su_msg_put_str(&rep, SU_T_PROMPT, prompt);
        su_msg_put_str(&rep, SU_T_FACTOR, factor);
        su_msg_put_str(&rep, SU_T_RULE, ch->rule);
        if (message)
                su_msg_put_str(&rep, SU_T_MESSAGE, message);
        su_conn_reply(c, &rep);
}

/* Moves to the next factor (or next question); false when nothing is left to ask. */
static bool advance(struct su_manager *m, struct su_challenge *ch)
{
        ch->current = next_factor(ch);
        if (ch->current == SU_FACTOR_QUESTION && pick_questions(m, ch) < 0)
                ch->current = 0;
        return ch->current != 0;
}

int su_challenge_begin(struct su_conn *c, const struct su_challenge_spec *spec)
{
        struct su_manager *m = c->m;
        struct su_challenge *ch = calloc(1, sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        snprintf(ch->user, sizeof(ch->user), "%s", spec->user);
        snprintf(ch->service, sizeof(ch->service), "%s", spec->service);
        snprintf(ch->rule, sizeof(ch->rule), "%s", spec->rule);
        snprintf(ch->scope_key, sizeof(ch->scope_key), "%s", spec->scope_key ? spec->scope_key : "");
        ch->local = !spec->scope_key;
        ch->nsets = spec->nsets < SU_FACTOR_SETS_MAX ? spec->nsets : SU_FACTOR_SETS_MAX;
        memcpy(ch->sets, spec->sets, ch->nsets * sizeof(ch->sets[0]));
        if (su_store_enrolled(m->store, ch->user, &ch->enrolled) < 0 || !advance(m, ch)) {
                free(ch);
                return -ENOKEY;
        }
        su_conn_void_challenge(c, "replaced by a new request");
        c->pending = ch;
        reply_challenge(c, ch, spec->message);
        return 0;
}

/* Verifies one answer for the current factor.  0 = proven; -EALREADY replay; -EACCES wrong.
 * A TOTP step or recovery code is consumed here; when this answer completes a set, the grant
 * (assurance row) is written in the same transaction. */
static int check_answer(struct su_manager *m, struct su_challenge *ch, const char *answer,
                        uint32_t *proved, bool *completed)
{
        int64_t now = su_now_wall(), boot = su_now_boot();
        struct su_assurance a = {.verified_at = now, .verified_boot = boot, .last_seen_at = now,
                                 .last_seen_boot = boot};
        memcpy(a.boot_id, m->boot_id, sizeof(a.boot_id));
        const char *key = ch->local ? NULL : ch->scope_key;
        int r;

        char tag[SU_RECOVERY_TAG_LEN + 1], secret[SU_RECOVERY_SECRET_LEN + 1];
        bool as_recovery = ch->current == SU_FACTOR_RECOVERY ||
                           (recovery_accepted(ch) && (su_recovery_parse(answer, tag, secret) == 0 ||
                                                      su_recovery_is_scratch(answer)));
        if (ch->current == SU_FACTOR_TOTP && as_recovery) {
                /* An all-digit answer of the TOTP length is always a TOTP code. */
                struct su_totp_row t;
                if (su_store_totp_get(m->store, ch->user, &t) == 0 &&
                    strlen(answer) == t.params.digits)
                        as_recovery = false;
                explicit_bzero(&t, sizeof(t));
        }
        if (as_recovery) {
                *proved = SU_FACTOR_RECOVERY;
                *completed = su_factor_sets_satisfied(ch->sets, ch->nsets,
                                                      ch->proven | SU_FACTOR_RECOVERY);
                a.factors = ch->proven | SU_FACTOR_RECOVERY;
                struct su_recovery_row row;
                bool ok = false, used = false;
                if (su_recovery_parse(answer, tag, secret) == 0) {
                        int g = su_store_recovery_get(m->store, ch->user, tag, &row);
                        ok = (g == 0 || g == -EALREADY) && su_hash_check(secret, row.hash);
                        used = ok && g == -EALREADY;
                } else if (su_recovery_is_scratch(answer)) {
                        for (int i = 0; i < SU_RECOVERY_CODES_MAX && !ok; i++) {
                                snprintf(tag, sizeof(tag), "s%03d", i);
                                int g = su_store_recovery_get(m->store, ch->user, tag, &row);
                                ok = (g == 0 || g == -EALREADY) && su_hash_check(answer, row.hash);
                                used = ok && g == -EALREADY;
                        }
                }
                explicit_bzero(secret, sizeof(secret));
                if (used)
                        return -EALREADY;
                if (!ok)
                        return -EACCES;
                su_fault_point("before-commit");
                return su_store_recovery_consume(m->store, ch->user, tag, now,
                                                 *completed ? key : NULL, &a);
        }
        if (ch->current == SU_FACTOR_TOTP) {
                *proved = SU_FACTOR_TOTP;
                *completed = su_factor_sets_satisfied(ch->sets, ch->nsets,
                                                      ch->proven | SU_FACTOR_TOTP);
                a.factors = ch->proven | SU_FACTOR_TOTP;
                struct su_totp_row t;
                int64_t step;
                if (su_store_totp_get(m->store, ch->user, &t) < 0 || !t.active)
                        return -EACCES;
                r = su_totp_verify(t.secret, t.secret_len, &t.params, now, answer, t.last_step,
                                   &step);
                explicit_bzero(&t, sizeof(t));
                if (r == -EINVAL)
                        r = -EACCES;
                if (r < 0)
                        return r;
                /* Durable before the answer goes out: a crash after this keeps the step used. */
                su_fault_point("before-commit");
                return su_store_commit_totp(m->store, ch->user, step, *completed ? key : NULL, &a);
        }
        /* A security question. */
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        char norm[SU_ANSWER_NORM_MAX + 1];
        int n = su_store_questions_get(m->store, ch->user, rows, SU_QUESTIONS_PER_USER_MAX);
        bool ok = false;
        if (n > 0 && su_normalize_answer(answer, norm, sizeof(norm)) == 0)
                for (int i = 0; i < n; i++)
                        if (strcmp(rows[i].qid, ch->qids[ch->qpos]) == 0)
                                ok = su_hash_check(norm, rows[i].hash);
        explicit_bzero(norm, sizeof(norm));
        explicit_bzero(rows, sizeof(rows));
        if (!ok)
                return -EACCES;
        ch->qpos++;
        *proved = ch->qpos >= ch->nq ? SU_FACTOR_QUESTION : 0;
        *completed = *proved && su_factor_sets_satisfied(ch->sets, ch->nsets,
                                                         ch->proven | SU_FACTOR_QUESTION);
        a.factors = ch->proven | SU_FACTOR_QUESTION;
        su_fault_point("before-commit");
        return *completed ? su_store_grant(m->store, ch->user, key, &a) : 0;
}

static void reply_allow(struct su_conn *c, const struct su_challenge *ch)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_ALLOW);
        su_msg_put_str(&rep, SU_T_RULE, ch->rule);
        su_conn_reply(c, &rep);
}

void su_challenge_answer(struct su_conn *c, struct su_msg *req)
{
        struct su_manager *m = c->m;
        const char *id = su_msg_str(req, SU_T_CHALLENGE);
        const char *answer = su_msg_str(req, SU_T_ANSWER);
        struct su_challenge *ch = c->pending;
        /* This challenge round is spent by this answer whatever happens next. */
        c->pending = NULL;
        if (!ch || !id || !answer || !su_ct_equal(id, strlen(id), ch->id, strlen(ch->id))) {
                su_reply_deny(c, "no such challenge on this connection", NULL, 0);
                goto out;
        }
        if (su_now_boot() > ch->expires_boot) {
                su_audit(SU_EV_ABANDON, LOG_NOTICE, "answer after the challenge expired",
                         "STEPUP_USER", ch->user, "STEPUP_OUTCOME", "abandoned", NULL);
                su_reply_deny(c, "the challenge expired", ch->rule, 0);
                goto out;
        }
        if (su_deny_if_locked(c, ch->user, ch->rule))
                goto out;
        struct su_failures f;
        su_fault_point("before-attempt");
        if (su_store_note_attempt(m->store, ch->user, su_now_wall(), m->cfg.rate_window, &f) < 0) {
                su_reply_deny(c, "step-up unavailable: cannot record the attempt", ch->rule, 0);
                goto out;
        }
        su_fault_point("after-attempt");
        uint32_t proved = 0;
        bool completed = false;
        const char *factor = su_factor_name(ch->current);
        int r = check_answer(m, ch, answer, &proved, &completed);
        if (r == 0) {
                su_fault_point("after-commit-before-reply");
                const char *pf = su_factor_name(proved ? proved : ch->current);
                ch->proven |= proved;
                su_audit(SU_EV_VERIFY_OK, LOG_INFO,
                         proved == SU_FACTOR_RECOVERY ? "recovery code used" : "factor verified",
                         "STEPUP_USER", ch->user, "STEPUP_SERVICE", ch->service, "STEPUP_RULE",
                         ch->rule, "STEPUP_FACTOR", pf, "STEPUP_OUTCOME", "success",
                         "STEPUP_DECISION", completed ? "allow" : "challenge", NULL);
                if (completed) {
                        if (ch->local)
                                c->local_proof_until = su_now_boot() + 300;
                        reply_allow(c, ch);
                        goto out;
                }
                /* More to prove: the next question of this factor, or the next factor. */
                if ((ch->current == SU_FACTOR_QUESTION && ch->qpos < ch->nq) || advance(m, ch)) {
                        c->pending = ch;
                        reply_challenge(c, ch, NULL);
                        return;
                }
                su_reply_deny(c, "no enrolled factor can complete this step-up", ch->rule, 0);
                goto out;
        }
        char text[300];
        /* Name what was tried: a recovery code typed at the TOTP prompt is a recovery try. */
        uint32_t tried = proved == SU_FACTOR_RECOVERY ? SU_FACTOR_RECOVERY : ch->current;
        factor = su_factor_name(tried);
        su_fault_point("before-failure");
        if (r == -EALREADY)
                su_count_failure(c, ch->user, ch->rule, factor,
                                 tried == SU_FACTOR_TOTP ? "verification code already used"
                                                         : "recovery code already used",
                                 text, sizeof(text));
        else if (r == -EACCES)
                su_count_failure(c, ch->user, ch->rule, factor,
                                 tried == SU_FACTOR_TOTP       ? "wrong verification code"
                                 : tried == SU_FACTOR_QUESTION ? "wrong answer"
                                                               : "wrong recovery code",
                                 text, sizeof(text));
        else
                snprintf(text, sizeof(text), "step-up unavailable: %s", strerror(-r));
        su_fault_point("after-failure-before-reply");
        su_reply_deny(c, text, ch->rule, 0);
out:
        if (ch) {
                explicit_bzero(ch, sizeof(*ch));
                free(ch);
        }
}
