/* su_policy_lint: warnings about what a policy means (a deny-list of commands), for `stepupctl
 * policy check`.  Looks only at the rules' conditions; never at the system. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define LINT_SERVICES_MAX 64

/* The services a condition can hold for: any, or a (possibly empty) list. */
struct services {
        bool any;
        size_t n;
        const char *v[LINT_SERVICES_MAX];
};

static bool has(const struct services *s, const char *name)
{
        if (s->any)
                return true;
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], name) == 0)
                        return true;
        return false;
}

static void add(struct services *s, const char *name)
{
        if (s->any || has(s, name))
                return;
        if (s->n == LINT_SERVICES_MAX)
                s->any = true; /* too many to list: "any" only makes more warnings */
        else
                s->v[s->n++] = name;
}

static void services_of(const struct cond *c, struct services *ret)
{
        struct services k;

        memset(ret, 0, sizeof(*ret));
        if (!c) {
                ret->any = true;
                return;
        }
        switch (c->kind) {
        case COND_SERVICE:
                for (size_t i = 0; i < c->n; i++)
                        add(ret, c->names[i]);
                return;
        case COND_AND: /* the intersection of the kids that name services */
                ret->any = true;
                for (size_t i = 0; i < c->n; i++) {
                        services_of(c->kids[i], &k);
                        if (k.any)
                                continue;
                        if (ret->any) {
                                *ret = k;
                                continue;
                        }
                        size_t n = 0;
                        for (size_t j = 0; j < ret->n; j++)
                                if (has(&k, ret->v[j]))
                                        ret->v[n++] = ret->v[j];
                        ret->n = n;
                }
                return;
        case COND_OR: /* the union */
                for (size_t i = 0; i < c->n && !ret->any; i++) {
                        services_of(c->kids[i], &k);
                        if (k.any)
                                ret->any = true;
                        for (size_t j = 0; j < k.n; j++)
                                add(ret, k.v[j]);
                }
                return;
        default: /* not service X, and every other condition: any service */
                ret->any = true;
                return;
        }
}

static bool overlap(const struct services *a, const struct services *b)
{
        if (a->any)
                return b->any || b->n > 0;
        for (size_t i = 0; i < a->n; i++)
                if (has(b, a->v[i]))
                        return true;
        return false;
}

/* A command condition that must hold for the rule to match (not under an odd number of
 * 'not'): the rule names commands. */
static bool names_commands(const struct cond *c, bool negated)
{
        if (!c)
                return false;
        switch (c->kind) {
        case COND_COMMAND:
                return !negated;
        case COND_NOT:
                return names_commands(c->kids[0], !negated);
        case COND_AND:
        case COND_OR:
                for (size_t i = 0; i < c->n; i++)
                        if (names_commands(c->kids[i], negated))
                                return true;
                return false;
        default:
                return false;
        }
}

/* r matches every request of the services s, whatever the command: no 'when', or only
 * "service LIST" with s in LIST. */
static bool covers(const struct rule *r, const struct services *s)
{
        if (!r->when)
                return true;
        if (r->when->kind != COND_SERVICE || s->any)
                return false;
        for (size_t i = 0; i < s->n; i++) {
                bool found = false;
                for (size_t j = 0; j < r->when->n && !found; j++)
                        found = strcmp(r->when->names[j], s->v[i]) == 0;
                if (!found)
                        return false;
        }
        return true;
}

static const char *action_word(enum su_action a)
{
        return a == SU_ACTION_DENY ? "deny" : "require";
}

int su_policy_lint(const struct su_policy *p, struct su_diags *diags)
{
        int warnings = 0;

        if (!p)
                return -EINVAL;
        for (size_t i = 0; i < p->nrules; i++) {
                const struct rule *r = &p->rules[i];
                struct services s;

                if (r->action == SU_ACTION_ALLOW || !names_commands(r->when, false))
                        continue;
                services_of(r->when, &s);
                if (!s.any && s.n == 0)
                        continue; /* no service can meet it */
                for (size_t j = i + 1; j < p->nrules; j++) {
                        const struct rule *a = &p->rules[j];
                        struct services as;

                        if (a->action != SU_ACTION_ALLOW) {
                                if (covers(a, &s))
                                        break; /* the rest of these services ends here */
                                continue;
                        }
                        if (names_commands(a->when, false))
                                continue; /* an allow-list entry */
                        services_of(a->when, &as);
                        if (!overlap(&s, &as))
                                continue;
                        char where[300];
                        if (a->file == r->file)
                                snprintf(where, sizeof(where), "line %u", a->line);
                        else
                                snprintf(where, sizeof(where), "%s:%u", a->file, a->line);
                        if (diag_add(diags, SU_DIAG_WARNING, r->file, r->line, 0, NULL, 0,
                                     "deny-list: this %s names commands, and the allow at %s "
                                     "lets every other command through, so a program that "
                                     "starts others (an editor, a pager, find -exec, python) "
                                     "dodges it; allow named commands instead",
                                     action_word(r->action), where) < 0)
                                return -ENOMEM;
                        warnings++;
                        break;
                }
        }
        return warnings;
}
