/* One way to open admin files and state: no symlinks, fstat on the same fd. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/* Opens path read-only (O_NOFOLLOW|O_CLOEXEC|O_NOCTTY), requires a regular file owned by
 * owner and not group/world-writable, at most max_size bytes, and reads it whole into a
 * NUL-terminated malloc'd buffer.  Negative errno: -ELOOP (symlink), -EPERM (owner or mode),
 * -EFBIG (too large), -EINVAL (not a regular file). */
int su_read_file_safely(const char *path, uid_t owner, size_t max_size, char **ret,
                        size_t *ret_len);

/* su_read_file_safely for the admin's files: a missing file is 0 with *ret NULL; any other
 * failure writes "PATH: reason" into err. */
int su_read_admin_file(const char *path, uid_t owner, size_t max_size, char **ret,
                       size_t *ret_len, char *err, size_t errsize);
