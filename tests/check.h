/* Minimal test helpers: each CHECK prints its location on failure and the test exits 1. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
        do {                                                                                       \
                check_count++;                                                                     \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
                        check_failures++;                                                          \
                }                                                                                  \
        } while (0)

#define CHECK_STREQ(a, b)                                                                          \
        do {                                                                                       \
                const char *check_a_ = (a), *check_b_ = (b);                                       \
                check_count++;                                                                     \
                if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                   \
                        fprintf(stderr, "%s:%d: CHECK_STREQ failed: '%s' != '%s'\n", __FILE__,     \
                                __LINE__, check_a_ ? check_a_ : "(null)",                          \
                                check_b_ ? check_b_ : "(null)");                                   \
                        check_failures++;                                                          \
                }                                                                                  \
        } while (0)

#define CHECK_INT(a, b)                                                                            \
        do {                                                                                       \
                long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
                check_count++;                                                                     \
                if (check_a_ != check_b_) {                                                        \
                        fprintf(stderr, "%s:%d: CHECK_INT failed: %s = %lld, expected %lld\n",     \
                                __FILE__, __LINE__, #a, check_a_, check_b_);                       \
                        check_failures++;                                                          \
                }                                                                                  \
        } while (0)

static inline int check_done(void)
{
        printf("%d checks, %d failed\n", check_count, check_failures);
        return check_failures ? 1 : 0;
}
