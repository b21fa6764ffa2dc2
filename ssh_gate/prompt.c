#include "prompt.h"

#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* The terminal to put back if a signal arrives while echo is off. */
static volatile sig_atomic_t restore_fd = -1;
static struct termios restore_mode;

static const int fatal_signals[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP};
#define NSIG_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static void on_signal(int sig)
{
        int fd = restore_fd;
        if (fd >= 0)
                tcsetattr(fd, TCSANOW, &restore_mode);
        signal(sig, SIG_DFL);
        raise(sig);
}

static void say(int fd, const char *s)
{
        size_t len = strlen(s);
        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* the text is a courtesy; the read decides */
                s += n;
                len -= (size_t)n;
        }
}

int sshg_read_answer(const char *note, const char *prompt, unsigned flags, char *buf, size_t size)
{
        bool echo = flags & SU_ASK_ECHO;
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return -ENOTTY;
        struct termios old;
        if (tcgetattr(fd, &old) < 0) {
                close(fd);
                return -ENOTTY;
        }
        struct sigaction sa = {.sa_handler = on_signal}, saved[NSIG_FATAL], stop_saved;
        sigemptyset(&sa.sa_mask);
        restore_mode = old;
        restore_fd = fd;
        for (size_t i = 0; i < NSIG_FATAL; i++)
                sigaction(fatal_signals[i], &sa, &saved[i]);
        /* Suspending at the prompt would leave echo off in the shell that gets the terminal. */
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigemptyset(&ign.sa_mask);
        sigaction(SIGTSTP, &ign, &stop_saved);

        struct termios quiet = old;
        if (!echo)
                quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(fd, TCSAFLUSH, &quiet);
        if (note && *note) {
                say(fd, note);
                say(fd, "\n");
        }
        say(fd, prompt);

        size_t n = 0;
        bool line = false, overflow = false;
        for (;;) {
                char ch;
                ssize_t got = read(fd, &ch, 1);
                if (got < 0 && errno == EINTR)
                        continue;
                if (got <= 0)
                        break;
                if (ch == '\n' || ch == '\r') {
                        line = true;
                        break;
                }
                if (n + 1 < size)
                        buf[n++] = ch;
                else
                        overflow = true;
                explicit_bzero(&ch, sizeof(ch));
        }
        buf[n] = 0;
        tcsetattr(fd, TCSAFLUSH, &old);
        if (!echo)
                say(fd, "\n"); /* the typed newline was not shown */
        restore_fd = -1;
        for (size_t i = 0; i < NSIG_FATAL; i++)
                sigaction(fatal_signals[i], &saved[i], NULL);
        sigaction(SIGTSTP, &stop_saved, NULL);
        close(fd);
        if (overflow) {
                explicit_bzero(buf, size);
                return -E2BIG;
        }
        if (!line || (n == 0 && !(flags & SU_ASK_ENTER))) {
                explicit_bzero(buf, size);
                return -ECANCELED;
        }
        return 0;
}
