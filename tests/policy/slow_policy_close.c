/* Test shim (LD_PRELOAD into stepupd, tests/policy/run-reload-tests.sh): while the file named
 * by STEPUP_TEST_SLOW_FLAG exists, a thread other than the main one that closes a file named
 * policy.conf (after reading it) waits 3 s first.  It stands for a slow load on a pool thread
 * (a RELOAD), so that a SIGHUP reload on the main thread can overlap it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int close(int fd)
{
        static int (*real_close)(int);
        if (!real_close)
                real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
        const char *flag = getenv("STEPUP_TEST_SLOW_FLAG");
        if (flag && syscall(SYS_gettid) != getpid() && access(flag, F_OK) == 0) {
                char link[64], target[4096];
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                ssize_t n = readlink(link, target, sizeof(target) - 1);
                const char *name = "/policy.conf";
                if (n > (ssize_t)strlen(name)) {
                        target[n] = 0;
                        if (strcmp(target + n - strlen(name), name) == 0)
                                sleep(3);
                }
        }
        return real_close(fd);
}
