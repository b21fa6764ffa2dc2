/* Small helpers shared by the policy tests: reading data files and listing directories. */
#pragma once

#include <stddef.h>

#include "policy.h"

/* The whole file, NUL-terminated (len excludes the NUL); NULL with errno on failure. */
char *tu_read_file(const char *path, size_t *len);
/* "a/b": malloc'd; aborts on OOM (tests only). */
char *tu_join(const char *dir, const char *name);
/* Names in dir ending in suffix, sorted with strcmp; NULL-terminated, free with tu_free_list. */
char **tu_list(const char *dir, const char *suffix, size_t *n);
void tu_free_list(char **v);
/* The first line of su_diag_format(d) with "file:" removed, e.g. "3:17: error: ...". */
const char *tu_diag_line(const struct su_diag *d, char *buf, size_t size);
/* Parse a file from disk with su_policy_parse_buffer (the tests never depend on the source
 * tree's file modes); name is the base name used in diagnostics. */
int tu_parse_file(const char *path, const char *name, struct su_policy **ret,
                  struct su_diags *diags);
