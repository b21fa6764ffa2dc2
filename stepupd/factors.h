/* The table of factors (factor.h's ops, one per factor file), and what is asked of all of
 * them at once. */
#pragma once

#include <stdint.h>

#include "factor.h"

/* Every factor, in the order a set's factors are asked. */
extern const struct su_factor_ops *const su_factors[];
extern const size_t su_nfactors;

const struct su_factor_ops *su_factor_by_bit(uint32_t bit);
const struct su_factor_ops *su_factor_by_name(const char *name);
/* Bits of every factor the user is enrolled in. */
int su_factors_enrolled(struct su_call *c, const char *user, uint32_t *ret);
/* Bits of every factor, of those the admin provides (nothing enrolled by the user), and the
 * store tables of the factors in mask. */
uint32_t su_factors_all(void);
uint32_t su_factors_provided(void);
unsigned su_factors_tables(uint32_t mask);
