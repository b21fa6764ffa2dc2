/* Whole-process PAM runs, timed with clock_gettime around fork/exec/wait of pamtester.
 * Reads a plan on stdin, one run a line:   VARIANT SERVICE USER SECRET_HEX|-
 * and for each runs `pamtester SERVICE USER authenticate`, typing the current TOTP code of
 * SECRET_HEX (or an empty line) on its stdin.  Prints   VARIANT NANOSECONDS EXIT_STATUS.
 * The plan interleaves the variants, so that a noisy machine slows them alike. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "totp.h"

static long long now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
        if (su_totp_init() < 0)
                return 1;
        signal(SIGPIPE, SIG_IGN);
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        char variant[64], service[64], user[64], hex[160];
        while (scanf("%63s %63s %63s %159s", variant, service, user, hex) == 4) {
                char line[16] = "\n";
                if (strcmp(hex, "-") != 0) {
                        uint8_t key[64];
                        size_t n = strlen(hex) / 2;
                        for (size_t i = 0; i < n && i < sizeof(key); i++) {
                                unsigned v;
                                sscanf(hex + 2 * i, "%2x", &v);
                                key[i] = (uint8_t)v;
                        }
                        struct su_totp_params p;
                        su_totp_params_default(&p);
                        char code[9];
                        su_totp_code(key, n, &p, su_totp_step(&p, time(NULL)), code);
                        snprintf(line, sizeof(line), "%s\n", code);
                }
                /* The answer goes into the pipe before the fork: a child that never reads
                 * it (pam_permit) cannot make the write fail. */
                int pfd[2];
                if (pipe2(pfd, O_CLOEXEC) < 0 ||
                    write(pfd[1], line, strlen(line)) != (ssize_t)strlen(line))
                        return 1;
                close(pfd[1]);
                long long t0 = now_ns();
                pid_t pid = fork();
                if (pid == 0) {
                        dup2(pfd[0], 0);
                        dup2(devnull, 1);
                        dup2(devnull, 2);
                        execlp("pamtester", "pamtester", service, user, "authenticate",
                               (char *)NULL);
                        _exit(127);
                }
                close(pfd[0]);
                int st = 0;
                waitpid(pid, &st, 0);
                long long dt = now_ns() - t0;
                printf("%s %lld %d\n", variant, dt, WIFEXITED(st) ? WEXITSTATUS(st) : 128);
                fflush(stdout);
        }
        return 0;
}
