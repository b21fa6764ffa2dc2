/* The policy object: rules in file order, the file names they point to, and parsing a buffer
 * into a new policy (all or nothing). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct su_policy *policy_new(void)
{
        return calloc(1, sizeof(struct su_policy));
}

const char *policy_intern_file(struct su_policy *p, const char *name)
{
        char **v, *s;

        for (size_t i = 0; i < p->nfiles; i++)
                if (strcmp(p->files[i], name) == 0)
                        return p->files[i];
        s = strdup(name);
        if (!s)
                return NULL;
        v = realloc(p->files, (p->nfiles + 1) * sizeof(*v));
        if (!v) {
                free(s);
                return NULL;
        }
        p->files = v;
        p->files[p->nfiles++] = s;
        return s;
}

void rule_clear(struct rule *r)
{
        free(r->message);
        free(r->reason);
        cond_free(r->when);
        memset(r, 0, sizeof(*r));
}

int policy_add_rule(struct su_policy *p, struct rule *r)
{
        if (p->nrules == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 16;
                struct rule *v = realloc(p->rules, cap * sizeof(*v));
                if (!v) {
                        rule_clear(r);
                        return -ENOMEM;
                }
                p->rules = v;
                p->cap = cap;
        }
        p->rules[p->nrules++] = *r;
        memset(r, 0, sizeof(*r));
        return 0;
}

struct su_policy *su_policy_free(struct su_policy *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->nrules; i++)
                rule_clear(&p->rules[i]);
        free(p->rules);
        for (size_t i = 0; i < p->nfiles; i++)
                free(p->files[i]);
        free(p->files);
        free(p);
        return NULL;
}

size_t su_policy_rule_count(const struct su_policy *p)
{
        return p ? p->nrules : 0;
}

void policy_check_set(const struct su_policy *p, struct su_diags *d, const char *name)
{
        /* Not an error (deny-by-default is the intent of some policies), but the usual way to
         * lock everybody out of sudo and ssh at once, so say it. */
        if (!p->has_catchall)
                diag_add(d, SU_DIAG_WARNING, name, 0, 0, NULL, 0,
                         "no rule matches every request, so a request that matches no rule is "
                         "denied (end the policy with 'allow' or 'deny' to make that explicit)");
}

int su_policy_parse_buffer(const char *name, const char *text, size_t len, struct su_policy **ret,
                           struct su_diags *diags)
{
        struct source src = {name ? name : "(buffer)", text, len, diags, 0, false};
        struct su_policy *p;
        int r;

        if (!ret || (!text && len))
                return -EINVAL;
        if (len > POLICY_MAX_FILE_SIZE) {
                src_error(&src, NULL, "policy too large (%zu bytes, max %u)", len,
                          POLICY_MAX_FILE_SIZE);
                return -EINVAL;
        }
        p = policy_new();
        if (!p)
                return -ENOMEM;
        r = policy_parse_into(p, &src);
        if (r == 0 && src.errors)
                r = -EINVAL;
        if (r < 0) {
                su_policy_free(p);
                return r;
        }
        policy_check_set(p, diags, src.name);
        *ret = p;
        return 0;
}
