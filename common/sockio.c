#include "sockio.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short events, long long deadline)
{
        for (;;) {
                long long left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = {.fd = fd, .events = events};
                int r = poll(&p, 1, (int)left);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return -ETIMEDOUT;
                if (p.revents & (events | POLLHUP | POLLERR))
                        return 0;
        }
}

int su_client_connect(const char *path, int timeout_ms)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (!path || strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        long long deadline = now_ms() + timeout_ms;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                if (e != EINPROGRESS && e != EAGAIN) {
                        close(fd);
                        return -e;
                }
                int r = wait_fd(fd, POLLOUT, deadline);
                int soerr = 0;
                socklen_t sl = sizeof(soerr);
                if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                        r = -errno;
                if (r == 0 && soerr)
                        r = -soerr;
                if (r < 0) {
                        close(fd);
                        return r;
                }
        }
        return fd;
}

/* Sends (out) or receives len bytes by the deadline; a peer that closes while we read is
 * -ECONNRESET. */
static int transfer(int fd, uint8_t *p, size_t len, long long deadline, bool out)
{
        while (len > 0) {
                ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                                : recv(fd, p, len, MSG_DONTWAIT);
                if (n == 0 && !out)
                        return -ECONNRESET;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                int r = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len, long long deadline)
{
        return transfer(fd, (uint8_t *)p, len, deadline, true);
}

static int read_all(int fd, uint8_t *p, size_t len, long long deadline)
{
        return transfer(fd, p, len, deadline, false);
}

int su_client_send(int fd, const struct su_msg *m, int timeout_ms)
{
        uint8_t buf[SU_FRAME_HDR + SU_MSG_MAX];
        size_t len;
        int r = su_msg_encode(m, buf, sizeof(buf), &len);
        if (r >= 0)
                r = write_all(fd, buf, len, now_ms() + timeout_ms);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

int su_client_recv(int fd, struct su_msg *m, int timeout_ms)
{
        uint8_t buf[SU_MSG_MAX];
        long long deadline = now_ms() + timeout_ms;
        size_t len;
        int r = read_all(fd, buf, SU_FRAME_HDR, deadline);
        if (r < 0)
                return r;
        r = su_frame_len(buf, &len);
        if (r < 0)
                return r;
        r = read_all(fd, buf, len, deadline);
        if (r >= 0)
                r = su_msg_decode(buf, len, m);
        explicit_bzero(buf, sizeof(buf));
        return r;
}

int su_client_call(int fd, const struct su_msg *req, struct su_msg *rep, int timeout_ms)
{
        int r = su_client_send(fd, req, timeout_ms);
        if (r < 0)
                return r;
        return su_client_recv(fd, rep, timeout_ms);
}
