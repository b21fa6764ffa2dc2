#include "factors.h"

#include <string.h>

const struct su_factor_ops *const su_factors[] = {
    &su_factor_totp,
    &su_factor_idp,
    &su_factor_question,
    &su_factor_recovery,
};
const size_t su_nfactors = sizeof(su_factors) / sizeof(su_factors[0]);

const struct su_factor_ops *su_factor_by_bit(uint32_t bit)
{
        for (size_t i = 0; i < su_nfactors; i++)
                if (su_factors[i]->bit == bit)
                        return su_factors[i];
        return NULL;
}

const struct su_factor_ops *su_factor_by_name(const char *name)
{
        for (size_t i = 0; name && i < su_nfactors; i++)
                if (strcmp(su_factors[i]->name, name) == 0)
                        return su_factors[i];
        return NULL;
}

int su_factors_enrolled(struct su_call *c, const char *user, uint32_t *ret)
{
        uint32_t bits = 0;
        for (size_t i = 0; i < su_nfactors; i++) {
                bool on = false;
                int r = su_factors[i]->enrolled(c, user, &on);
                if (r < 0)
                        return r;
                if (on)
                        bits |= su_factors[i]->bit;
        }
        *ret = bits;
        return 0;
}

uint32_t su_factors_all(void)
{
        uint32_t bits = 0;
        for (size_t i = 0; i < su_nfactors; i++)
                bits |= su_factors[i]->bit;
        return bits;
}

uint32_t su_factors_provided(void)
{
        uint32_t bits = 0;
        for (size_t i = 0; i < su_nfactors; i++)
                if (su_factors[i]->provided)
                        bits |= su_factors[i]->bit;
        return bits;
}

unsigned su_factors_tables(uint32_t mask)
{
        unsigned t = 0;
        for (size_t i = 0; i < su_nfactors; i++)
                if (mask & su_factors[i]->bit)
                        t |= su_factors[i]->tables;
        return t;
}
