/* common/safe_read: the one reader of admin files.  Each refusal with its errno and reason;
 * a FIFO must not block (an alarm ends the test if it does). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "safe_read.h"

static char dir[] = "/tmp/test-safe-read.XXXXXX";
static char path[512], why[256];

static const char *at(const char *name)
{
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return path;
}

static void put(const char *name, const char *text, size_t len, mode_t mode)
{
        const char *p = at(name);
        unlink(p);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
                abort();
        close(fd);
}

/* Reads name with the given checks; the text read (or NULL) stays in *text. */
static int rd(const char *name, uid_t owner, size_t max, unsigned flags, char **text, size_t *len)
{
        *text = NULL;
        *len = 0;
        why[0] = '\0';
        return su_safe_read(at(name), owner, max, flags, text, len, why, sizeof(why));
}

static long long ms_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_good_and_missing(void)
{
        uid_t me = geteuid();
        char *t;
        size_t n;

        put("ok", "hello\n", 6, 0644);
        CHECK_INT(rd("ok", me, 100, 0, &t, &n), 0);
        CHECK_INT(n, 6);
        CHECK_STREQ(t, "hello\n");
        free(t);
        put("empty", "", 0, 0644);
        CHECK_INT(rd("empty", me, 100, 0, &t, &n), 0);
        CHECK_INT(n, 0);
        CHECK_STREQ(t, "");
        free(t);

        /* missing: -ENOENT, so callers can mean "defaults"; a missing directory too */
        CHECK_INT(rd("nope", me, 100, 0, &t, &n), -ENOENT);
        CHECK(t == NULL);
        CHECK_STREQ(why, "cannot open: No such file or directory");
        CHECK_INT(rd("nodir/nope", me, 100, 0, &t, &n), -ENOENT);
}

static void test_fifo(void)
{
        char *t;
        size_t n;

        if (mkfifo(at("fifo"), 0644) < 0)
                abort();
        alarm(10); /* a blocking open ends the test with SIGALRM */
        long long t0 = ms_now();
        CHECK_INT(rd("fifo", geteuid(), 100, 0, &t, &n), -EPERM);
        CHECK(ms_now() - t0 < 1000);
        alarm(0);
        CHECK_STREQ(why, "not a regular file");
        CHECK(t == NULL);
}

static void test_symlink_and_type(void)
{
        char target[512], *t;
        size_t n;

        put("real", "x\n", 2, 0644);
        snprintf(target, sizeof(target), "%s", at("real"));
        if (symlink(target, at("link")) < 0)
                abort();
        CHECK_INT(rd("link", geteuid(), 100, 0, &t, &n), -ELOOP);
        CHECK_STREQ(why, "is a symbolic link (refusing to follow it)");

        /* a directory opens, and is refused by its type */
        if (mkdir(at("adir"), 0755) < 0)
                abort();
        CHECK_INT(rd("adir", geteuid(), 100, 0, &t, &n), -EPERM);
        CHECK_STREQ(why, "not a regular file");

        /* a device: opens without blocking or becoming our tty, refused by its type */
        t = NULL;
        why[0] = '\0';
        CHECK_INT(su_safe_read("/dev/null", 0, 100, 0, &t, &n, why, sizeof(why)), -EPERM);
        CHECK_STREQ(why, "not a regular file");
}

static void test_owner_and_mode(void)
{
        uid_t me = geteuid();
        char want[128], *t;
        size_t n;

        put("own", "x\n", 2, 0644);
        CHECK_INT(rd("own", me + 1, 100, 0, &t, &n), -EPERM);
        snprintf(want, sizeof(want), "owned by uid %u, must be uid %u", (unsigned)me,
                 (unsigned)me + 1);
        CHECK_STREQ(why, want);
        if (me != 0) {
                CHECK_INT(rd("own", 0, 100, 0, &t, &n), -EPERM);
                snprintf(want, sizeof(want), "owned by uid %u, must be root", (unsigned)me);
                CHECK_STREQ(why, want);
        } else {
                /* root may own a user's file with SU_SAFE_ROOT_TOO, nobody else may */
                CHECK_INT(rd("own", 4242, 100, SU_SAFE_ROOT_TOO, &t, &n), 0);
                free(t);
                if (chown(at("own"), 4242, 4242) < 0)
                        abort();
                CHECK_INT(rd("own", 4242, 100, 0, &t, &n), 0);
                free(t);
                CHECK_INT(rd("own", 4243, 100, SU_SAFE_ROOT_TOO, &t, &n), -EPERM);
                CHECK_STREQ(why, "owned by uid 4242, must be uid 4243 or root");
                CHECK_INT(rd("own", 0, 100, 0, &t, &n), -EPERM);
                CHECK_STREQ(why, "owned by uid 4242, must be root");
        }

        put("open", "x\n", 2, 0666);
        CHECK_INT(rd("open", me, 100, 0, &t, &n), -EPERM);
        CHECK_STREQ(why, "group or world writable (mode 0666)");
        put("open", "x\n", 2, 0620);
        CHECK_INT(rd("open", me, 100, 0, &t, &n), -EPERM);
        CHECK_STREQ(why, "group or world writable (mode 0620)");
        put("open", "x\n", 2, 0400);
        CHECK_INT(rd("open", me, 100, 0, &t, &n), 0);
        free(t);
}

static void test_secret(void)
{
        uid_t me = geteuid();
        char *t;
        size_t n;

        put("key", "s3cret\n", 7, 0644);
        CHECK_INT(rd("key", me, 100, 0, &t, &n), 0); /* fine as a plain admin file */
        free(t);
        CHECK_INT(rd("key", me, 100, SU_SAFE_SECRET, &t, &n), -EPERM);
        CHECK_STREQ(why, "group or others have access (mode 0644), a secret must be 0600 or 0400");
        put("key", "s3cret\n", 7, 0640);
        CHECK_INT(rd("key", me, 100, SU_SAFE_SECRET, &t, &n), -EPERM);
        put("key", "s3cret\n", 7, 0604);
        CHECK_INT(rd("key", me, 100, SU_SAFE_SECRET, &t, &n), -EPERM);
        put("key", "s3cret\n", 7, 0600);
        CHECK_INT(rd("key", me, 100, SU_SAFE_SECRET, &t, &n), 0);
        CHECK_STREQ(t, "s3cret\n");
        free(t);
        put("key", "s3cret\n", 7, 0400);
        CHECK_INT(rd("key", me, 100, SU_SAFE_SECRET, &t, &n), 0);
        free(t);
        /* the owner check still holds for secrets */
        CHECK_INT(rd("key", me + 1, 100, SU_SAFE_SECRET, &t, &n), -EPERM);
}

static void test_size_and_content(void)
{
        uid_t me = geteuid();
        char *t;
        size_t n;

        put("ten", "0123456789", 10, 0644);
        CHECK_INT(rd("ten", me, 10, 0, &t, &n), 0);
        CHECK_INT(n, 10);
        free(t);
        CHECK_INT(rd("ten", me, 9, 0, &t, &n), -EFBIG);
        CHECK_STREQ(why, "too large (10 bytes, max 9)");
        CHECK(t == NULL);

        /* a NUL byte is refused in text, allowed in a binary file */
        put("nul", "ab\0cd", 5, 0644);
        CHECK_INT(rd("nul", me, 100, 0, &t, &n), -EINVAL);
        CHECK_STREQ(why, "a NUL byte at offset 2: not a text file");
        CHECK_INT(rd("nul", me, 100, SU_SAFE_BINARY, &t, &n), 0);
        CHECK_INT(n, 5);
        CHECK(memcmp(t, "ab\0cd", 5) == 0);
        free(t);

        /* fstat's size is only a hint: /proc files say 0 and are read to the end, within
         * the cap (/proc/self/status is ours, 0444) */
        t = NULL;
        CHECK_INT(su_safe_read("/proc/self/status", me, 1 << 16, 0, &t, &n, why, sizeof(why)), 0);
        CHECK(n > 100 && t && strncmp(t, "Name:", 5) == 0);
        free(t);
        t = NULL;
        CHECK_INT(su_safe_read("/proc/self/status", me, 64, 0, &t, &n, why, sizeof(why)), -EFBIG);
        CHECK_STREQ(why, "too large (more than 64 bytes)");
        CHECK(t == NULL);
}

static void test_read_error(void)
{
        char *t = NULL;
        size_t n;

        /* /proc/self/mem is a regular file of ours (0600) whose read at offset 0 fails with
         * EIO: the error is reported, never a short file */
        CHECK_INT(su_safe_read("/proc/self/mem", geteuid(), 1 << 16, SU_SAFE_SECRET, &t, &n, why,
                               sizeof(why)),
                  -EIO);
        CHECK_STREQ(why, "cannot read: Input/output error");
        CHECK(t == NULL);
}

static void test_dir(void)
{
        uid_t me = geteuid();
        char target[512];
        int fd = -1;

        if (mkdir(at("d"), 0755) < 0)
                abort();
        CHECK_INT(su_safe_open_dir(at("d"), me, 0, &fd, why, sizeof(why)), 0);
        CHECK(fd >= 0);
        close(fd);
        chmod(at("d"), 0777);
        CHECK_INT(su_safe_open_dir(at("d"), me, 0, &fd, why, sizeof(why)), -EPERM);
        CHECK_STREQ(why, "group or world writable (mode 0777)");
        chmod(at("d"), 0755);
        CHECK_INT(su_safe_open_dir(at("d"), me + 1, 0, &fd, why, sizeof(why)), -EPERM);
        snprintf(target, sizeof(target), "%s", at("d"));
        if (symlink(target, at("dlink")) < 0)
                abort();
        CHECK(su_safe_open_dir(at("dlink"), me, 0, &fd, why, sizeof(why)) < 0);
        put("notdir", "x", 1, 0644);
        CHECK_INT(su_safe_open_dir(at("notdir"), me, 0, &fd, why, sizeof(why)), -EPERM);
        CHECK_STREQ(why, "not a directory");
        CHECK_INT(su_safe_open_dir(at("missing"), me, 0, &fd, why, sizeof(why)), -ENOENT);
}

int main(void)
{
        if (!mkdtemp(dir))
                abort();
        test_good_and_missing();
        test_fifo();
        test_symlink_and_type();
        test_owner_and_mode();
        test_secret();
        test_size_and_content();
        test_read_error();
        test_dir();
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return check_done();
}
