/* Atomic replacement of a policy file: readers (stepupd) see the old file or the new one, never
 * a half-written one, and after a crash the directory holds one of the two. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_cmd.h"

static int write_all(int fd, const char *p, size_t len)
{
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int policy_install(const char *path, const char *text, size_t len, char *err, size_t errsize)
{
        char dir[PATH_MAX], base[NAME_MAX + 1], tmp[PATH_MAX];
        int fd = -1, dfd = -1, r;
        bool created = false;
        const char *step;

        if (strlen(path) >= sizeof(dir)) {
                snprintf(err, errsize, "path too long");
                return -ENAMETOOLONG;
        }
        strcpy(tmp, path);
        snprintf(base, sizeof(base), "%s", basename(tmp));
        strcpy(tmp, path);
        snprintf(dir, sizeof(dir), "%s", dirname(tmp));
        /* hidden: the policy.d loader ignores names starting with a dot */
        if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= (int)sizeof(tmp)) {
                snprintf(err, errsize, "path too long");
                return -ENAMETOOLONG;
        }

        step = "open the directory";
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                goto fail_errno;
        step = "create a temporary file";
        fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT|O_EXCL, 0600 */
        if (fd < 0)
                goto fail_errno;
        created = true;
        step = "set owner and mode";
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0644) < 0)
                goto fail_errno;
        step = "write";
        r = write_all(fd, text, len);
        if (r < 0) {
                errno = -r;
                goto fail_errno;
        }
        step = "fsync";
        if (fsync(fd) < 0)
                goto fail_errno;
        step = "close";
        r = close(fd);
        fd = -1;
        if (r < 0)
                goto fail_errno;
        step = "rename";
        if (rename(tmp, path) < 0)
                goto fail_errno;
        /* Installed.  A failed directory fsync only weakens durability across a crash. */
        r = fsync(dfd) < 0 ? 1 : 0;
        if (r)
                snprintf(err, errsize, "installed, but cannot fsync %s: %s", dir, strerror(errno));
        close(dfd);
        return r;

fail_errno:
        r = -errno;
        snprintf(err, errsize, "cannot %s in %s: %s", step, dir, strerror(errno));
        if (fd >= 0)
                close(fd);
        if (created)
                unlink(tmp);
        if (dfd >= 0)
                close(dfd);
        return r;
}
