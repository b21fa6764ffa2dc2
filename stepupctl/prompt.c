#include "prompt.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int ctl_read_line(char *buf, size_t size)
{
        if (!fgets(buf, (int)size, stdin))
                return -EIO;
        buf[strcspn(buf, "\r\n")] = 0;
        return 0;
}

int ctl_read_secret(const char *prompt, char *buf, size_t size)
{
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || !isatty(STDIN_FILENO)) {
                if (fd >= 0)
                        close(fd);
                fputs(prompt, stderr);
                fflush(stderr);
                return ctl_read_line(buf, size);
        }
        struct termios old, quiet;
        bool restore = tcgetattr(fd, &old) == 0;
        if (restore) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
                tcsetattr(fd, TCSAFLUSH, &quiet);
        }
        if (write(fd, prompt, strlen(prompt)) < 0) {
                /* the prompt is a courtesy; the read below decides */
        }
        size_t n = 0;
        int r = -EIO;
        for (;;) {
                char ch;
                ssize_t got = read(fd, &ch, 1);
                if (got <= 0)
                        break;
                if (ch == '\n' || ch == '\r') {
                        r = 0;
                        break;
                }
                if (n + 1 < size)
                        buf[n++] = ch;
        }
        buf[n] = 0;
        if (restore)
                tcsetattr(fd, TCSAFLUSH, &old);
        if (write(fd, "\n", 1) < 0) {
                /* cosmetic */
        }
        close(fd);
        return r;
}
