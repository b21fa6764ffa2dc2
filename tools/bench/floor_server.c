/* The floor for stepupd's DECIDE: a bare Unix-socket server that accepts, reads one request
 * frame, writes one reply frame of the size stepupd's ALLOW has, and closes; single-threaded
 * like stepupd, with nothing else (no peer credentials, no event loop, no policy, no store).
 * Usage: floor_server SOCKET RULE_TEXT   (RULE_TEXT sized like the rule stepupd names) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_full(int fd, uint8_t *p, size_t n)
{
        while (n) {
                ssize_t r = read(fd, p, n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return -1;
                p += r;
                n -= (size_t)r;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: %s SOCKET RULE_TEXT\n", argv[0]);
                return 2;
        }
        /* An ALLOW reply as stepupd encodes it: 'S' 1 ALLOW(64) 1 field, RULE(13) len text. */
        size_t rl = strlen(argv[2]);
        if (rl > 300)
                return 2;
        uint8_t reply[4 + 4 + 3 + 300];
        size_t plen = 4 + 3 + rl;
        reply[0] = 0, reply[1] = 0, reply[2] = (uint8_t)(plen >> 8), reply[3] = (uint8_t)plen;
        reply[4] = 'S', reply[5] = 1, reply[6] = 64, reply[7] = 1;
        reply[8] = 13, reply[9] = (uint8_t)(rl >> 8), reply[10] = (uint8_t)rl;
        memcpy(reply + 11, argv[2], rl);
        size_t total = 4 + plen;

        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(argv[1]) >= sizeof(sa.sun_path))
                return 2;
        strcpy(sa.sun_path, argv[1]);
        unlink(argv[1]);
        int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 128) < 0) {
                perror("floor_server");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        uint8_t in[4 + 16384];
        for (;;) {
                int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        continue;
                size_t len;
                if (read_full(fd, in, 4) == 0 &&
                    (len = (size_t)in[0] << 24 | (size_t)in[1] << 16 | (size_t)in[2] << 8 |
                           in[3]) <= 16384 &&
                    read_full(fd, in + 4, len) == 0) {
                        ssize_t w = write(fd, reply, total);
                        (void)w;
                }
                close(fd);
        }
}
