/* The one way to read an admin's file (policy, stepupd.conf, questions, imports, key files):
 * no symbolic link, no blocking on a FIFO, every check on the opened fd itself (type, owner,
 * mode, size), read to the end with every error reported.  Libraries never log: a failure is
 * a negative errno plus a short reason that the caller prints after "PATH: ". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
        /* Root may own the file as well as the expected owner (a user's own file). */
        SU_SAFE_ROOT_TOO = 1u << 0,
        /* A secret (key, client secret): no permission bits for group or others at all,
         * i.e. 0600 or 0400, instead of only "not group/world-writable". */
        SU_SAFE_SECRET = 1u << 1,
        /* Binary content: NUL bytes allowed (otherwise a NUL byte refuses the file as text). */
        SU_SAFE_BINARY = 1u << 2,
};

/* Reads path (relative to dirfd, or AT_FDCWD) whole into a NUL-terminated malloc'd buffer.
 * The open is O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC|O_NOCTTY; the same fd must be a
 * regular file owned by owner (see SU_SAFE_ROOT_TOO), not group/world-writable (see
 * SU_SAFE_SECRET), at most max_size bytes, and for text without NUL bytes.  On success *ret
 * and *ret_len are set (the caller frees, and wipes a secret).  On failure nothing is
 * returned, the reason is written to why (never NULL), and the result is:
 *   -ENOENT  the file (or a directory on its path) does not exist: callers may mean defaults
 *   -ELOOP   a symbolic link
 *   -EPERM   not a regular file, wrong owner, too open a mode
 *   -EFBIG   larger than max_size
 *   -EINVAL  a NUL byte in a text file
 *   -ENOMEM, or any other open/fstat/read errno (-EIO, -EACCES...). */
int su_safe_read_at(int dirfd, const char *path, uid_t owner, size_t max_size, unsigned flags,
                    char **ret, size_t *ret_len, char *why, size_t whysize);
int su_safe_read(const char *path, uid_t owner, size_t max_size, unsigned flags, char **ret,
                 size_t *ret_len, char *why, size_t whysize);

/* Opens the directory path with the same owner and mode checks (for listing drop-ins).
 * Returns 0 and the fd (O_CLOEXEC) in *ret, or a negative errno as above with why set. */
int su_safe_open_dir(const char *path, uid_t owner, unsigned flags, int *ret, char *why,
                     size_t whysize);
