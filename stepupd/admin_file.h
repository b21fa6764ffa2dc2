/* The admin's line-based files (stepupd.conf, questions.conf, idp.conf): read safely (owned
 * by the expected owner, not group/world-writable: common/safe_read.h), then one call per
 * line that is neither blank nor a comment, with blanks around it trimmed.  Every error is
 * "PATH:LINE: why"; the first one stops the reading. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Handles one line (writable, trimmed): 0, or negative errno with why filled. */
typedef int su_line_fn(char *line, void *data, char *why, size_t whysize);

/* 0 (a missing file has no lines), or negative errno with err = "PATH[:LINE]: why". */
int su_admin_file_lines(const char *path, uid_t owner, size_t max_bytes, su_line_fn *fn, void *data,
                        char *err, size_t errsize);

/* s without blanks at either end (in place). */
char *su_trim(char *s);
