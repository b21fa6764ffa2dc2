/* Safe opening of policy files and of the policy.d directory.  On failure err gets a short
 * reason ("owned by uid 1000, expected uid 0") for the caller's diagnostic. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "internal.h"

/* Regular file (or directory), owned by owner, not group/world writable, not too large. */
int safe_check_fd(int fd, uid_t owner, bool want_dir, char *err, size_t errsize);
/* Read the whole file (at most POLICY_MAX_FILE_SIZE bytes) into a malloc'd buffer. */
int safe_read_file(int dirfd, const char *name, uid_t owner, char **ret, size_t *ret_len, char *err,
                   size_t errsize);
/* Open a directory for reading its entries with the same checks. */
int safe_open_dir(const char *path, uid_t owner, int *ret, char *err, size_t errsize);
