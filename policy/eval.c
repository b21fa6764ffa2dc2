/* su_policy_eval: walk the rules top to bottom; the first whose condition holds decides.  No
 * match is a DENY with matched = false: a gap in the policy never lets anyone through. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void su_explain_free(struct su_explain *e)
{
        if (!e)
                return;
        free(e->v);
        memset(e, 0, sizeof(*e));
}

static int explain_add(struct su_explain *e, const struct rule *r, bool matched, const char *why)
{
        struct su_explain_entry *x;

        if (e->n == e->cap) {
                size_t cap = e->cap ? e->cap * 2 : 16;
                struct su_explain_entry *v = realloc(e->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                e->v = v;
                e->cap = cap;
        }
        x = &e->v[e->n++];
        memset(x, 0, sizeof(*x));
        x->file = r->file;
        x->line = r->line;
        x->matched = matched;
        if (!r->when)
                snprintf(x->why, sizeof(x->why), "matches every request (no 'when')");
        else
                snprintf(x->why, sizeof(x->why), "%s%s", matched ? "matched: " : "", why);
        return 0;
}

static void decide(const struct rule *r, struct su_decision *d)
{
        memset(d, 0, sizeof(*d));
        d->action = r->action;
        memcpy(d->factor_sets, r->factor_sets, sizeof(d->factor_sets));
        d->nfactor_sets = r->nfactor_sets;
        d->within_s = r->within_s;
        d->idle_s = r->idle_s;
        d->scope = r->scope;
        d->failmode = r->failmode;
        d->message = r->message;
        d->reason = r->reason;
        d->file = r->file;
        d->line = r->line;
        d->matched = true;
}

/* explain is rewritten from the start on every call (its buffer is reused). */
int su_policy_eval(const struct su_policy *p, const struct su_request *req, struct su_decision *ret,
                   struct su_explain *explain)
{
        struct su_decision d = {
            .action = SU_ACTION_DENY,
            .file = "(default)",
            .matched = false,
        };

        if (!p || !req || !ret)
                return -EINVAL;
        if (explain)
                explain->n = 0;
        for (size_t i = 0; i < p->nrules; i++) {
                const struct rule *r = &p->rules[i];
                char why[sizeof(explain->v[0].why)] = "";
                int m = 1, e;

                if (r->when) {
                        m = cond_eval(r->when, req, explain ? why : NULL, sizeof(why));
                        if (m < 0)
                                return m;
                        /* Unknown (an unresolved command): the careful reading.  An allow
                         * needs a sure match; a deny or require may ask too much, never too
                         * little. */
                        if (m == COND_UNKNOWN) {
                                m = r->action != SU_ACTION_ALLOW;
                                if (explain)
                                        buf_append(why, sizeof(why), "%s",
                                                   m ? "; taken as a match, as the command "
                                                       "cannot be resolved"
                                                     : "; an allow needs a sure match");
                        }
                }
                if (explain) {
                        e = explain_add(explain, r, m, why);
                        if (e < 0)
                                return e;
                }
                if (m) {
                        decide(r, &d);
                        break;
                }
        }
        *ret = d;
        return 0;
}
