/* Factor names and factor expressions in disjunctive normal form ("any one of these sets, all
 * factors of the set"), kept minimal so the daemon never asks for more than necessary. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const struct {
        unsigned bit;
        const char *name;
} factors[] = {
    {SU_FACTOR_TOTP, "totp"},
    {SU_FACTOR_QUESTION, "question"},
    {SU_FACTOR_RECOVERY, "recovery"},
    {SU_FACTOR_IDP, "idp"},
};

const char *su_factor_name(unsigned factor_bit)
{
        for (size_t i = 0; i < sizeof(factors) / sizeof(factors[0]); i++)
                if (factors[i].bit == factor_bit)
                        return factors[i].name;
        return NULL;
}

int su_factor_from_name(const char *name)
{
        if (!name)
                return -EINVAL;
        for (size_t i = 0; i < sizeof(factors) / sizeof(factors[0]); i++)
                if (strcmp(factors[i].name, name) == 0)
                        return (int)factors[i].bit;
        return -EINVAL;
}

/* Keep the candidates that no other candidate makes redundant: drop duplicates and supersets
 * ({totp} already satisfies anything {totp, question} would).  First appearance wins. */
static int minimise(const uint32_t *cand, size_t n, struct dnf *out)
{
        struct dnf r = {.n = 0};

        for (size_t i = 0; i < n; i++) {
                bool redundant = false;

                for (size_t j = 0; j < n && !redundant; j++) {
                        if (j == i || (cand[j] & cand[i]) != cand[j])
                                continue; /* cand[j] is not a subset of cand[i] */
                        /* a strict subset, or an equal set seen earlier */
                        redundant = cand[j] != cand[i] || j < i;
                }
                if (redundant)
                        continue;
                if (r.n == SU_FACTOR_SETS_MAX)
                        return -E2BIG;
                r.set[r.n++] = cand[i];
        }
        *out = r;
        return 0;
}

int dnf_or(struct dnf *a, const struct dnf *b)
{
        uint32_t cand[2 * SU_FACTOR_SETS_MAX];
        size_t n = 0;

        for (size_t i = 0; i < a->n; i++)
                cand[n++] = a->set[i];
        for (size_t i = 0; i < b->n; i++)
                cand[n++] = b->set[i];
        return minimise(cand, n, a);
}

int dnf_and(struct dnf *a, const struct dnf *b)
{
        uint32_t cand[SU_FACTOR_SETS_MAX * SU_FACTOR_SETS_MAX];
        size_t n = 0;

        for (size_t i = 0; i < a->n; i++)
                for (size_t j = 0; j < b->n; j++)
                        cand[n++] = a->set[i] | b->set[j];
        return minimise(cand, n, a);
}
