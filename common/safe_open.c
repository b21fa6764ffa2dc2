#include "safe_open.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int su_read_file_safely(const char *path, uid_t owner, size_t max_size, char **ret, size_t *ret_len)
{
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        struct stat st;
        int r = 0;
        char *buf = NULL;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISREG(st.st_mode))
                r = -EINVAL;
        else if (st.st_uid != owner || (st.st_mode & 022))
                r = -EPERM;
        else if ((size_t)st.st_size > max_size)
                r = -EFBIG;
        if (r < 0)
                goto out;
        buf = malloc((size_t)st.st_size + 1);
        if (!buf) {
                r = -ENOMEM;
                goto out;
        }
        size_t got = 0;
        while (got < (size_t)st.st_size) {
                ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        buf[got] = 0;
        *ret = buf;
        *ret_len = got;
        buf = NULL;
out:
        free(buf);
        close(fd);
        return r;
}

int su_read_admin_file(const char *path, uid_t owner, size_t max_size, char **ret, size_t *ret_len,
                       char *err, size_t errsize)
{
        int r = su_read_file_safely(path, owner, max_size, ret, ret_len);
        if (r == -ENOENT) {
                *ret = NULL;
                *ret_len = 0;
                return 0;
        }
        if (r < 0)
                snprintf(err, errsize, "%s: %s", path,
                         r == -EPERM ? "must be owned by root and not group/world-writable"
                                     : strerror(-r));
        return r;
}
