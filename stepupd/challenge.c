#include "challenge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "clocks.h"
#include "faults.h"
#include "lockout.h"
#include "secret.h"

bool su_factor_sets_satisfied(const uint32_t *sets, size_t nsets, uint32_t have)
{
        for (size_t i = 0; i < nsets; i++)
                if ((sets[i] & have) == sets[i])
                        return true;
        return false;
}

static int new_id(char out[33])
{
        uint8_t raw[16];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return -EIO; /* no randomness: no guessable ids either */
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(out + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

static bool spends(uint32_t set)
{
        for (size_t i = 0; i < su_nfactors; i++)
                if ((set & su_factors[i]->bit) && su_factors[i]->spends)
                        return true;
        return false;
}

/* The next factor to ask: from the first set the user can complete, preferring sets that do
 * not use anything up (a recovery code).  NULL when no set can be completed. */
static const struct su_factor_ops *next_factor(const struct su_challenge *ch)
{
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < ch->nsets; i++) {
                        uint32_t s = ch->sets[i];
                        if ((s & ch->enrolled) != s || (pass == 0 && spends(s)))
                                continue;
                        for (size_t k = 0; k < su_nfactors; k++)
                                if ((s & su_factors[k]->bit) && !(ch->proven & su_factors[k]->bit))
                                        return su_factors[k];
                }
        }
        return NULL;
}

/* A factor typed at another one's prompt (a recovery code at the TOTP prompt) counts when
 * it is enrolled and some set is complete with it and what is proven. */
static bool accepted_aside(const struct su_challenge *ch, const struct su_factor_ops *f)
{
        if (!f->offered_aside || f == ch->current || !(ch->enrolled & f->bit))
                return false;
        for (size_t i = 0; i < ch->nsets; i++)
                if ((ch->sets[i] & f->bit) && ((ch->sets[i] & ~f->bit) & ~ch->proven) == 0)
                        return true;
        return false;
}

static const struct su_factor_ops *aside_of(const struct su_challenge *ch)
{
        for (size_t i = 0; i < su_nfactors; i++)
                if (accepted_aside(ch, su_factors[i]))
                        return su_factors[i];
        return NULL;
}

static void drop_state(struct su_challenge *ch)
{
        if (ch->state && ch->current && ch->current->state_free)
                ch->current->state_free(ch->state);
        ch->state = NULL;
}

static void challenge_free(struct su_ctx *x, struct su_challenge *ch)
{
        if (!ch)
                return;
        drop_state(ch);
        if (ch->counted)
                su_limits_challenge_release(&x->limits, ch->user);
        explicit_bzero(ch, sizeof(*ch));
        free(ch);
}

void su_challenge_abandon(struct su_ctx *x, const struct su_audit_req *rq, struct su_session *s,
                          const char *why)
{
        struct su_challenge *ch = s->pending;
        if (!ch)
                return;
        s->pending = NULL;
        su_audit(rq, SU_EV_ABANDON, LOG_NOTICE, "step-up challenge abandoned", "STEPUP_USER",
                 ch->user, "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_FACTOR",
                 ch->current ? ch->current->name : NULL, "STEPUP_OUTCOME", "abandoned",
                 "STEPUP_REASON", why, NULL);
        challenge_free(x, ch);
}

/* A factor that waits on the network runs on the pool, and only while fewer than the cap of
 * such calls run at once (caps.h), and a non-root caller only within its budget of costly
 * work: -ENOBUFS ("busy") otherwise.  Busy is something a local user can bring about, so it
 * is refused whatever the rule's failmode (su_challenge_failmode_applies).  (Not -EAGAIN:
 * that is -EWOULDBLOCK, "run me on the pool".) */
static int network_enter(struct su_call *c, const struct su_factor_ops *f, bool costs)
{
        unsigned wait;
        if (!f->waits_network)
                return 0;
        if (!c->in_pool)
                return -EWOULDBLOCK;
        if (costs && su_limits_cost(&c->ctx->limits, c->peer.uid, 1, &wait) < 0)
                return -ENOBUFS;
        return su_limits_network_acquire(&c->ctx->limits) < 0 ? -ENOBUFS : 0;
}

static void network_leave(struct su_call *c, const struct su_factor_ops *f)
{
        if (f->waits_network)
                su_limits_network_release(&c->ctx->limits);
}

/* Asks ch->current: a new id, the factor's prompt, the deadline.  again: the same round once
 * more (the factor is still waiting for an approval elsewhere): the deadline stays. */
static int ask(struct su_call *c, struct su_challenge *ch, const char *message, bool again,
               struct su_reply *rep)
{
        int r = network_enter(c, ch->current, !again);
        if (r < 0)
                return r;
        r = new_id(ch->id);
        su_reply_clear(rep);
        ch->aside = aside_of(ch);
        if (r == 0)
                r = ch->current->prompt(c, ch, rep);
        network_leave(c, ch->current);
        if (r < 0)
                return r;
        if (!again)
                ch->expires_boot = su_now_boot() + c->ctx->cfg.challenge_timeout;
        rep->type = SU_REP_CHALLENGE;
        snprintf(rep->challenge, sizeof(rep->challenge), "%s", ch->id);
        snprintf(rep->factor, sizeof(rep->factor), "%s", ch->current->name);
        snprintf(rep->rule, sizeof(rep->rule), "%s", ch->rule);
        if (message)
                snprintf(rep->message, sizeof(rep->message), "%s", message);
        if (again)
                return 0;
        su_audit(&c->audit, SU_EV_CHALLENGE, LOG_INFO, "step-up challenge", "STEPUP_USER", ch->user,
                 "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_DECISION",
                 "challenge", "STEPUP_FACTOR", ch->current->name, NULL);
        return 0;
}

/* Moves to the next factor that can be asked (its prompt may find it cannot: a question
 * catalogue that changed); -ENOKEY when nothing is left. */
static int advance(struct su_call *c, struct su_challenge *ch, const char *message,
                   struct su_reply *rep)
{
        for (;;) {
                drop_state(ch);
                ch->current = next_factor(ch);
                if (!ch->current)
                        return -ENOKEY;
                int r = ask(c, ch, message, false, rep);
                if (r != -ENOKEY)
                        return r;
                ch->enrolled &= ~ch->current->bit; /* cannot be asked after all */
        }
}

int su_challenge_begin(struct su_call *c, const struct su_challenge_spec *spec,
                       struct su_reply *rep)
{
        if (su_call_must_defer(c))
                return -EWOULDBLOCK;
        struct su_challenge *ch = calloc(1, sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        snprintf(ch->user, sizeof(ch->user), "%s", spec->user);
        snprintf(ch->service, sizeof(ch->service), "%s", spec->service);
        snprintf(ch->rule, sizeof(ch->rule), "%s", spec->rule);
        snprintf(ch->scope_key, sizeof(ch->scope_key), "%s",
                 spec->scope_key ? spec->scope_key : "");
        ch->local = !spec->scope_key;
        ch->failmode = spec->failmode;
        ch->nsets = spec->nsets < SU_FACTOR_SETS_MAX ? spec->nsets : SU_FACTOR_SETS_MAX;
        memcpy(ch->sets, spec->sets, ch->nsets * sizeof(ch->sets[0]));
        ch->started_wall = su_now_wall();
        int r = su_factors_enrolled(c, ch->user, &ch->enrolled);
        if (r < 0) {
                free(ch);
                return r;
        }
        if (!next_factor(ch)) {
                free(ch);
                return -ENOKEY;
        }
        if (su_limits_challenge_acquire(&c->ctx->limits, ch->user) < 0) {
                free(ch);
                return -EBUSY;
        }
        ch->counted = true;
        r = advance(c, ch, spec->message, rep);
        if (r < 0) {
                su_reply_clear(rep);
                challenge_free(c->ctx, ch);
                return r;
        }
        su_challenge_abandon(c->ctx, &c->audit, c->session, "replaced by a new request");
        c->session->pending = ch;
        return 0;
}

const char *su_challenge_unavailable_text(int err)
{
        if (err == -ENOBUFS)
                return "busy: too many step-ups are waiting on a network service";
        return strerror(-err);
}

bool su_challenge_failmode_applies(int err)
{
        return err != -ENOBUFS;
}

/* A factor's network service cannot be reached (down, slow, busy) after the challenge began:
 * the rule's failmode decides, as decide.c does when it cannot begin.  Safe allows without
 * recording a grant; a local proof (an enrolment change) never takes that way. */
static void network_unavailable(struct su_call *c, struct su_challenge *ch,
                                const struct su_factor_ops *f, int err, struct su_reply *rep)
{
        char why[200];
        snprintf(why, sizeof(why), "step-up service unavailable: %s",
                 ch->reason ? ch->reason : su_challenge_unavailable_text(err));
        if (ch->failmode == SU_FAILMODE_SAFE && !ch->local && su_challenge_failmode_applies(err)) {
                su_audit(&c->audit, SU_EV_DECISION, LOG_CRIT,
                         "step-up unavailable: allowed by the rule's failmode safe", "STEPUP_USER",
                         ch->user, "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule,
                         "STEPUP_FACTOR", f->name, "STEPUP_DECISION", "allow", "STEPUP_REASON", why,
                         NULL);
                su_reply_allow(rep, ch->rule);
                snprintf(rep->message, sizeof(rep->message), "%s (allowed: failmode safe)", why);
                return;
        }
        su_audit(&c->audit, SU_EV_VERIFY_FAIL, LOG_ERR, why, "STEPUP_USER", ch->user,
                 "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_FACTOR", f->name,
                 "STEPUP_OUTCOME", "error", "STEPUP_DECISION", "deny", "STEPUP_REASON",
                 "unavailable", NULL);
        su_reply_deny(rep, why, ch->rule, 0);
}

/* Which factor answers: the current one, or one offered aside whose answer this looks like
 * (and the current factor's does not). */
static const struct su_factor_ops *answering(struct su_call *c, struct su_challenge *ch,
                                             const char *answer)
{
        const struct su_factor_ops *aside = aside_of(ch);
        if (aside && aside->claims && aside->claims(c, ch, answer) &&
            !(ch->current->claims && ch->current->claims(c, ch, answer)))
                return aside;
        return ch->current;
}

int su_challenge_answer(struct su_call *c, const char *id, const char *answer, struct su_reply *rep)
{
        struct su_session *s = c->session;
        struct su_challenge *ch = s->pending;
        if (!ch || !id || !answer || !su_ct_equal(id, strlen(id), ch->id, strlen(ch->id))) {
                /* Spent all the same: a wrong id is no second chance. */
                s->pending = NULL;
                challenge_free(c->ctx, ch);
                su_reply_deny(rep, "no such challenge on this connection", NULL, 0);
                return 0;
        }
        const struct su_factor_ops *f = answering(c, ch, answer);
        if (!c->in_pool && (f->slow_verify || f->waits_network || c->db->store->ops->blocking))
                return -EWOULDBLOCK; /* nothing spent: the pool runs it again */
        /* This round is spent by this answer whatever happens next. */
        s->pending = NULL;
        if (su_now_boot() > ch->expires_boot) {
                su_audit(&c->audit, SU_EV_ABANDON, LOG_NOTICE, "answer after the challenge expired",
                         "STEPUP_USER", ch->user, "STEPUP_FACTOR", ch->current->name,
                         "STEPUP_OUTCOME", "abandoned", NULL);
                su_reply_deny(rep, "the challenge expired", ch->rule, 0);
                goto out;
        }
        if (f->slow_verify || f->waits_network) {
                unsigned wait;
                if (su_limits_cost(&c->ctx->limits, c->peer.uid, 1, &wait) < 0) {
                        char text[128];
                        snprintf(text, sizeof(text),
                                 "too many requests: wait %u seconds before trying again", wait);
                        su_reply_deny(rep, text, ch->rule, wait);
                        goto out;
                }
        }
        su_fault_point("before-attempt");
        /* An answer that proves nothing by itself is no guess: only a lockout refuses it. */
        int r = f->unguessable ? su_lockout_check(c, ch->user, ch->rule, rep)
                               : su_lockout_admit(c, ch->user, ch->rule, rep);
        if (r != 0) {
                if (r < 0)
                        su_reply_deny(rep, "step-up unavailable: cannot record the attempt",
                                      ch->rule, 0);
                goto out;
        }
        su_fault_point("after-attempt");

        /* The grant goes with the proof that completes a set, in the same transaction. */
        struct su_grant grant = {.scope_key = ch->scope_key};
        int64_t now = su_now_wall(), boot = su_now_boot();
        grant.a = (struct su_assurance){.factors = ch->proven | f->bit,
                                        .verified_at = now,
                                        .verified_boot = boot,
                                        .last_seen_at = now,
                                        .last_seen_boot = boot};
        memcpy(grant.a.boot_id, c->ctx->boot_id, sizeof(grant.a.boot_id));
        bool completes = su_factor_sets_satisfied(ch->sets, ch->nsets, ch->proven | f->bit);
        bool done = false;
        su_fault_point("before-commit");
        ch->reason = NULL;
        r = network_enter(c, f, false); /* the attempt paid for itself above */
        if (r == 0) {
                r = f->verify(c, ch, answer, completes && !ch->local ? &grant : NULL, &done);
                network_leave(c, f);
        } else if (r == -ENOBUFS) {
                ch->reason = su_challenge_unavailable_text(r);
        }
        if (r == -EINPROGRESS) {
                /* Not yet (an approval elsewhere still pending): the same round again, with
                 * nothing counted and the deadline kept. */
                r = ask(c, ch, NULL, true, rep);
                if (r == 0) {
                        s->pending = ch;
                        return 0;
                }
                if (f->waits_network) {
                        network_unavailable(c, ch, f, r, rep);
                        goto out;
                }
                su_reply_deny(rep, "step-up unavailable: cannot ask again", ch->rule, 0);
                goto out;
        }
        if (r == 0) {
                su_fault_point("after-commit-before-reply");
                if (done)
                        ch->proven |= f->bit;
                bool complete = done && completes;
                su_audit(&c->audit, SU_EV_VERIFY_OK, LOG_INFO,
                         f->spends ? "recovery code used" : "factor verified", "STEPUP_USER",
                         ch->user, "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule,
                         "STEPUP_FACTOR", f->name, "STEPUP_OUTCOME", "success", "STEPUP_DECISION",
                         complete ? "allow" : "challenge", NULL);
                if (complete) {
                        if (ch->local)
                                s->local_proof_until = su_now_boot() + 300;
                        su_reply_allow(rep, ch->rule);
                        goto out;
                }
                /* More to prove: another round of this factor, or the next factor. */
                if (!done)
                        r = ask(c, ch, NULL, false, rep);
                else
                        r = advance(c, ch, NULL, rep);
                if (r == 0) {
                        s->pending = ch;
                        return 0;
                }
                if (r != -ENOKEY && ch->current && ch->current->waits_network) {
                        network_unavailable(c, ch, ch->current, r, rep);
                        goto out;
                }
                su_reply_deny(rep, "no enrolled factor can complete this step-up", ch->rule, 0);
                goto out;
        }
        char text[400];
        su_fault_point("before-failure");
        if (r == -ETIME) {
                /* The proof's time ran out at its source (a device code expired): nobody
                 * failed; the step-up ends, and the trail says why. */
                const char *why = ch->reason ? ch->reason : "the proof expired";
                su_audit(&c->audit, SU_EV_ABANDON, LOG_NOTICE, why, "STEPUP_USER", ch->user,
                         "STEPUP_SERVICE", ch->service, "STEPUP_RULE", ch->rule, "STEPUP_FACTOR",
                         f->name, "STEPUP_OUTCOME", "expired", "STEPUP_REASON", why, NULL);
                su_reply_deny(rep, why, ch->rule, 0);
                goto out;
        }
        if (r == -EALREADY || r == -EACCES) {
                const char *why = ch->reason ? ch->reason : r == -EALREADY ? f->replay : f->wrong;
                su_lockout_failure(c, ch->user, ch->rule, f->name, why, text, sizeof(text));
        } else if (f->waits_network) {
                network_unavailable(c, ch, f, r, rep);
                goto out;
        } else {
                snprintf(text, sizeof(text), "step-up unavailable: %s", strerror(-r));
        }
        su_fault_point("after-failure-before-reply");
        su_reply_deny(rep, text, ch->rule, 0);
out:
        challenge_free(c->ctx, ch);
        return 0;
}
