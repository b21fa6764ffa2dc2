/* Reading an admin-owned file without trusting the path: open without following symlinks,
 * then check the open fd itself (type, owner, mode, size), so nothing can be swapped in
 * between the check and the read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_read.h"

int safe_check_fd(int fd, uid_t owner, bool want_dir, char *err, size_t errsize)
{
        struct stat st;

        if (fstat(fd, &st) < 0) {
                int e = errno;
                snprintf(err, errsize, "cannot stat: %s", strerror(e));
                return -e;
        }
        if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
                snprintf(err, errsize, "not a %s", want_dir ? "directory" : "regular file");
                return -EPERM;
        }
        if (st.st_uid != owner) {
                snprintf(err, errsize, "owned by uid %u, expected uid %u", (unsigned)st.st_uid,
                         (unsigned)owner);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(err, errsize, "group or world writable (mode %04o)",
                         (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        if (!want_dir && st.st_size > (off_t)POLICY_MAX_FILE_SIZE) {
                snprintf(err, errsize, "too large (%lld bytes, max %u)", (long long)st.st_size,
                         POLICY_MAX_FILE_SIZE);
                return -EFBIG;
        }
        return 0;
}

static int open_error(int e, char *err, size_t errsize)
{
        if (e == ELOOP)
                snprintf(err, errsize, "is a symbolic link (refusing to follow it)");
        else
                snprintf(err, errsize, "cannot open: %s", strerror(e));
        return -e;
}

int safe_read_file(int dirfd, const char *name, uid_t owner, char **ret, size_t *ret_len, char *err,
                   size_t errsize)
{
        size_t len = 0, cap = POLICY_MAX_FILE_SIZE + 1;
        char *buf;
        int fd, r;

        /* O_NONBLOCK: a FIFO named *.conf must not hang the daemon; it is refused below. */
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return open_error(errno, err, errsize);
        r = safe_check_fd(fd, owner, false, err, errsize);
        if (r < 0) {
                close(fd);
                return r;
        }
        buf = malloc(cap);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        /* Read up to one byte past the limit: the file may have grown since fstat. */
        while (len < cap) {
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        snprintf(err, errsize, "cannot read: %s", strerror(-r));
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        close(fd);
        if (r == 0 && len > POLICY_MAX_FILE_SIZE) {
                snprintf(err, errsize, "too large (more than %u bytes)", POLICY_MAX_FILE_SIZE);
                r = -EFBIG;
        }
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

int safe_open_dir(const char *path, uid_t owner, int *ret, char *err, size_t errsize)
{
        int fd, r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return open_error(errno, err, errsize);
        r = safe_check_fd(fd, owner, true, err, errsize);
        if (r < 0) {
                close(fd);
                return r;
        }
        *ret = fd;
        return 0;
}
