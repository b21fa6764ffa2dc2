/* Decision cases shared by test-golden (tables) and test-docs (examples in the documentation);
 * the case syntax is described in cases.c. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "policy.h"

struct case_stats {
        int run, skipped, checks, failures;
};

/* Parses one case line (modified in place) and checks it against p; problems are printed as
 * "where:lineno: ..." and counted in st->failures.  Returns -1 for a malformed line. */
int case_run(const struct su_policy *p, const char *where, unsigned lineno, char *line,
             struct case_stats *st);
/* "YYYY-MM-DDTHH:MM" as UTC, or (time_t)-1. */
time_t case_parse_time(const char *s);
/* /bin is /usr/bin here. */
bool case_merged_usr(void);
