/* Reading an admin's file without trusting the path: open without following a symbolic link
 * and without blocking (a FIFO or a device answers the open at once and is refused by the
 * checks), then check the open fd itself, so nothing can be swapped in between the check and
 * the read.  The read goes to the end of the file: the size fstat gave is only a hint (files
 * grow; /proc files say 0). */
#include "safe_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPEN_FLAGS (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
#define SAFE_READ_CHUNK 4096

__attribute__((format(printf, 4, 5))) static int fail(int r, char *why, size_t whysize,
                                                      const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, whysize, fmt, ap);
        va_end(ap);
        return r;
}

static int open_failed(int e, char *why, size_t whysize)
{
        if (e == ELOOP)
                return fail(-e, why, whysize, "is a symbolic link (refusing to follow it)");
        return fail(-e, why, whysize, "cannot open: %s", strerror(e));
}

static int check_fd(int fd, uid_t owner, unsigned flags, bool want_dir, size_t max_size,
                    struct stat *st, char *why, size_t whysize)
{
        if (fstat(fd, st) < 0)
                return fail(-errno, why, whysize, "cannot stat: %s", strerror(errno));
        if (want_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
                return fail(-EPERM, why, whysize, "not a %s",
                            want_dir ? "directory" : "regular file");
        if (st->st_uid != owner && !((flags & SU_SAFE_ROOT_TOO) && st->st_uid == 0)) {
                if (owner == 0)
                        return fail(-EPERM, why, whysize, "owned by uid %u, must be root",
                                    (unsigned)st->st_uid);
                return fail(-EPERM, why, whysize, "owned by uid %u, must be uid %u%s",
                            (unsigned)st->st_uid, (unsigned)owner,
                            flags & SU_SAFE_ROOT_TOO ? " or root" : "");
        }
        unsigned mode = (unsigned)(st->st_mode & 07777);
        if ((flags & SU_SAFE_SECRET) && (mode & 077))
                return fail(-EPERM, why, whysize,
                            "group or others have access (mode %04o), a secret must be %s", mode,
                            want_dir ? "0700" : "0600 or 0400");
        if (mode & (S_IWGRP | S_IWOTH))
                return fail(-EPERM, why, whysize, "group or world writable (mode %04o)", mode);
        if (!want_dir && (uintmax_t)st->st_size > max_size)
                return fail(-EFBIG, why, whysize, "too large (%jd bytes, max %zu)",
                            (intmax_t)st->st_size, max_size);
        return 0;
}

/* Grows *buf to cap bytes; the old copy is wiped (it may hold a secret). */
static int grow(char **buf, size_t len, size_t cap)
{
        char *n = malloc(cap);

        if (!n)
                return -ENOMEM;
        if (*buf) {
                memcpy(n, *buf, len);
                explicit_bzero(*buf, len);
                free(*buf);
        }
        *buf = n;
        return 0;
}

/* Reads fd to the end: at most max_size bytes, plus one to notice a file that grew. */
static int read_all(int fd, size_t hint, size_t max_size, char **ret, size_t *ret_len, char *why,
                    size_t whysize)
{
        size_t len = 0, cap = (hint < max_size ? hint : max_size) + 2;
        char *buf = NULL;
        int r = grow(&buf, 0, cap);

        while (r == 0) {
                if (len + 1 == cap) {
                        if (len > max_size) {
                                r = fail(-EFBIG, why, whysize, "too large (more than %zu bytes)",
                                         max_size);
                                break;
                        }
                        size_t want = cap + (cap < SAFE_READ_CHUNK ? SAFE_READ_CHUNK : cap);
                        if (want > max_size + 2)
                                want = max_size + 2;
                        r = grow(&buf, len, want);
                        if (r < 0)
                                break;
                        cap = want;
                }
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = fail(-errno, why, whysize, "cannot read: %s", strerror(errno));
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        if (r == 0 && len > max_size)
                r = fail(-EFBIG, why, whysize, "too large (more than %zu bytes)", max_size);
        if (r == -ENOMEM)
                fail(r, why, whysize, "out of memory");
        if (r < 0) {
                if (buf)
                        explicit_bzero(buf, len);
                free(buf);
                return r;
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

int su_safe_read_at(int dirfd, const char *path, uid_t owner, size_t max_size, unsigned flags,
                    char **ret, size_t *ret_len, char *why, size_t whysize)
{
        struct stat st;
        char *buf = NULL;
        size_t len = 0;
        int fd, r;

        if (!path || !ret || !ret_len || max_size > SIZE_MAX / 4)
                return fail(-EINVAL, why, whysize, "invalid arguments");
        fd = openat(dirfd, path, OPEN_FLAGS);
        if (fd < 0)
                return open_failed(errno, why, whysize);
        r = check_fd(fd, owner, flags, false, max_size, &st, why, whysize);
        if (r == 0)
                r = read_all(fd, (size_t)st.st_size, max_size, &buf, &len, why, whysize);
        close(fd);
        if (r < 0)
                return r;
        if (!(flags & SU_SAFE_BINARY) && memchr(buf, '\0', len)) {
                size_t at = (size_t)((char *)memchr(buf, '\0', len) - buf);
                explicit_bzero(buf, len);
                free(buf);
                return fail(-EINVAL, why, whysize, "a NUL byte at offset %zu: not a text file", at);
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int su_safe_read(const char *path, uid_t owner, size_t max_size, unsigned flags, char **ret,
                 size_t *ret_len, char *why, size_t whysize)
{
        return su_safe_read_at(AT_FDCWD, path, owner, max_size, flags, ret, ret_len, why, whysize);
}

int su_safe_open_dir(const char *path, uid_t owner, unsigned flags, int *ret, char *why,
                     size_t whysize)
{
        struct stat st;
        int fd, r;

        if (!path || !ret)
                return fail(-EINVAL, why, whysize, "invalid arguments");
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                /* O_DIRECTORY on something else says ENOTDIR: the same words as a read */
                if (errno == ENOTDIR)
                        return fail(-EPERM, why, whysize, "not a directory");
                return open_failed(errno, why, whysize);
        }
        r = check_fd(fd, owner, flags, true, 0, &st, why, whysize);
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}
