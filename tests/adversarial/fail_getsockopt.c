/* LD_PRELOAD shim for stepupd (test_peers): makes getsockopt(SO_PEERCRED) fail or return
 * credentials that must not be trusted.  FAIL_GETSOCKOPT selects how:
 *   error   -1 with errno EINVAL           short   a truncated struct (len 4)
 *   baduid  uid (uid_t)-1                  nopid   pid 0 (a peer already gone) */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
        static int (*real)(int, int, int, void *, socklen_t *);
        if (!real)
                real = (int (*)(int, int, int, void *, socklen_t *))dlsym(RTLD_NEXT, "getsockopt");
        const char *mode = getenv("FAIL_GETSOCKOPT");
        if (!real || level != SOL_SOCKET || name != SO_PEERCRED || !mode)
                return real ? real(fd, level, name, val, len) : (errno = ENOSYS, -1);
        if (strcmp(mode, "error") == 0) {
                errno = EINVAL;
                return -1;
        }
        int r = real(fd, level, name, val, len);
        if (r < 0 || !val || !len || *len < sizeof(struct ucred))
                return r;
        struct ucred *c = val;
        if (strcmp(mode, "short") == 0)
                *len = 4;
        else if (strcmp(mode, "baduid") == 0)
                c->uid = (uid_t)-1;
        else if (strcmp(mode, "nopid") == 0)
                c->pid = 0;
        return r;
}
