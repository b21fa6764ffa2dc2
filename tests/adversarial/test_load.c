/* Load: a non-root user floods the user socket with 1000 connections (reconnecting whenever
 * one is closed) and 200 slow clients that send one byte a second; meanwhile root's
 * decisions on the PAM socket keep flowing (latency reported), and afterwards the daemon
 * holds no more descriptors than before and its memory stayed bounded.  First, alone: a
 * client that trickles bytes is closed after idle_timeout (the timer is not re-armed by a
 * partial frame).
 * Usage: test-load [SECONDS]   (6 by default; the benchmark in docs/security.md uses 60) */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define IDLE 3
#define FLOOD 1000
#define SLOW 200

static struct adv_env env;

static int count_fds(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        DIR *d = opendir(path);
        int n = 0;
        if (!d)
                return -1;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        return n;
}

static long rss_kb(pid_t pid)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *f = fopen(path, "re");
        long kb = -1;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}

static void become_user(void)
{
        struct passwd *pw = getpwnam("adv62");
        if (!pw || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                _exit(90);
}

/* One byte of a DECIDE frame per second on each of n connections, until deadline (ms);
 * reconnects closed ones when again.  Writes the longest lifetime seen (ms) to out_fd. */
static void slow_clients(int n, long long deadline, bool again, int out_fd)
{
        struct su_msg req;
        su_msg_init(&req, SU_REQ_STATUS);
        su_msg_put_str(&req, SU_T_USER, "adv62");
        uint8_t frame[128];
        size_t len;
        su_msg_encode(&req, frame, sizeof(frame), &len);
        int fd[SLOW];
        long long born[SLOW], longest = 0;
        size_t pos[SLOW];
        int open_n = 0;
        for (int i = 0; i < n; i++) {
                fd[i] = su_client_connect(env.user_sock, 2000);
                born[i] = adv_now_ms();
                pos[i] = 0;
                open_n += fd[i] >= 0;
        }
        while (adv_now_ms() < deadline && (open_n > 0 || again)) {
                for (int i = 0; i < n; i++) {
                        if (fd[i] < 0) {
                                if (!again)
                                        continue;
                                fd[i] = su_client_connect(env.user_sock, 2000);
                                born[i] = adv_now_ms();
                                pos[i] = 0;
                                open_n += fd[i] >= 0;
                                continue;
                        }
                        char b;
                        ssize_t r = recv(fd[i], &b, 1, MSG_DONTWAIT);
                        bool closed = r == 0 || (r < 0 && errno != EAGAIN);
                        if (!closed && pos[i] < len - 1) /* never the last byte */
                                closed = send(fd[i], frame + pos[i]++, 1, MSG_NOSIGNAL) < 0;
                        if (closed) {
                                long long life = adv_now_ms() - born[i];
                                if (life > longest)
                                        longest = life;
                                close(fd[i]);
                                fd[i] = -1;
                                open_n--;
                        }
                }
                usleep(1000000);
        }
        for (int i = 0; i < n; i++)
                if (fd[i] >= 0) {
                        long long life = adv_now_ms() - born[i];
                        if (life > longest)
                                longest = life;
                }
        (void)!write(out_fd, &longest, sizeof(longest));
}

/* FLOOD idle connections held open; every closed one is opened again at once. */
static void flood(long long deadline)
{
        static struct pollfd p[FLOOD];
        for (int i = 0; i < FLOOD; i++) {
                p[i].fd = su_client_connect(env.user_sock, 2000);
                p[i].events = POLLIN;
        }
        while (adv_now_ms() < deadline) {
                poll(p, FLOOD, 50);
                for (int i = 0; i < FLOOD; i++) {
                        if (p[i].fd >= 0 && !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        if (p[i].fd >= 0)
                                close(p[i].fd);
                        p[i].fd = su_client_connect(env.user_sock, 100);
                        p[i].revents = 0;
                }
                usleep(2000);
        }
}

static pid_t spawn_slow(int n, long long deadline, bool again, int *rd)
{
        int pfd[2];
        if (pipe(pfd) < 0)
                exit(2);
        pid_t pid = fork();
        if (pid == 0) {
                close(pfd[0]);
                become_user();
                slow_clients(n, deadline, again, pfd[1]);
                _exit(0);
        }
        close(pfd[1]);
        *rd = pfd[0];
        return pid;
}

static void test_trickle_alone(void)
{
        int rd;
        long long deadline = adv_now_ms() + (IDLE + 4) * 1000;
        pid_t pid = spawn_slow(SLOW, deadline, false, &rd);
        long long longest = -1;
        CHECK((size_t)read(rd, &longest, sizeof(longest)) == sizeof(longest));
        close(rd);
        waitpid(pid, NULL, 0);
        printf("%d clients trickling a byte a second: the longest lived %lld ms "
               "(idle_timeout %d s)\n",
               SLOW, longest, IDLE);
        CHECK(longest >= (IDLE - 1) * 1000 && longest <= (IDLE + 2) * 1000);
}

static long long now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;
        return x < y ? -1 : x > y;
}

static void test_flood(int seconds)
{
        usleep((IDLE + 1) * 1000000); /* the previous clients' connections are gone */
        /* Baseline: 500 decisions with nobody else around. */
        long long base[500];
        for (int i = 0; i < 500; i++) {
                long long u0 = now_us();
                struct su_msg rep;
                int fd = su_client_connect(env.pam_sock, 5000);
                int r = fd < 0 ? fd : adv_decide(fd, "adv-allow", "root", &rep);
                if (fd >= 0)
                        close(fd);
                CHECK(r == 0 && rep.type == SU_REP_ALLOW);
                base[i] = now_us() - u0;
        }
        qsort(base, 500, sizeof(base[0]), cmp_ll);
        printf("baseline, no load: latency p50 %lld us, p99 %lld us, max %lld us\n", base[250],
               base[495], base[499]);
        usleep(200000); /* the baseline's last connection closed on both sides */
        int fds_before = count_fds(env.pid);
        long rss_before = rss_kb(env.pid), rss_peak = rss_before;
        int fds_peak = fds_before;
        long long start = adv_now_ms(), deadline = start + seconds * 1000LL;
        pid_t fl = fork();
        if (fl == 0) {
                become_user();
                flood(deadline);
                _exit(0);
        }
        int rd;
        pid_t sl = spawn_slow(SLOW, deadline, true, &rd);
        usleep(500000); /* let the flood fill the slots */
        size_t cap = 200000, n = 0;
        long long *lat = malloc(cap * sizeof(*lat));
        unsigned failed = 0;
        long long next_sample = 0;
        while (adv_now_ms() < deadline && n < cap) {
                long long t0 = adv_now_ms(), u0 = now_us();
                struct su_msg rep;
                int fd = su_client_connect(env.pam_sock, 5000);
                int r = fd < 0 ? fd : adv_decide(fd, "adv-allow", "root", &rep);
                if (fd >= 0)
                        close(fd);
                if (r < 0 || rep.type != SU_REP_ALLOW) {
                        if (failed++ < 5)
                                fprintf(stderr, "a decision failed: %s\n", strerror(-r));
                } else {
                        lat[n++] = now_us() - u0;
                }
                if (t0 >= next_sample) {
                        long kb = rss_kb(env.pid);
                        int nfd = count_fds(env.pid);
                        if (kb > rss_peak)
                                rss_peak = kb;
                        if (nfd > fds_peak)
                                fds_peak = nfd;
                        next_sample = t0 + 100;
                }
                usleep(2000);
        }
        waitpid(fl, NULL, 0);
        long long longest;
        (void)!read(rd, &longest, sizeof(longest));
        close(rd);
        waitpid(sl, NULL, 0);
        qsort(lat, n, sizeof(*lat), cmp_ll);
        long long p50 = n ? lat[n / 2] : -1, p99 = n ? lat[n * 99 / 100] : -1,
                  max = n ? lat[n - 1] : -1;
        /* Every connection closed by the clients' exit or the idle timer. */
        usleep((IDLE + 1) * 1000000);
        int fds_after = count_fds(env.pid);
        long rss_after = rss_kb(env.pid);
        printf("flood of %d idle + %d trickling connections for %d s: %zu decisions, %u failed; "
               "latency p50 %lld us, p99 %lld us, max %lld us\n",
               FLOOD, SLOW, seconds, n, failed, p50, p99, max);
        printf("daemon fds: %d before, %d during, %d after; VmRSS: %ld kB before, %ld kB peak, "
               "%ld kB after\n",
               fds_before, fds_peak, fds_after, rss_before, rss_peak, rss_after);
        int lines = adv_log_count(&env, "connection refused: too many connections");
        printf("refusal lines logged: %d\n", lines);
        CHECK(n > 100);
        CHECK_INT(failed, 0);
        CHECK(p99 >= 0 && p99 < 500000); /* well under the module's 5 s timeout */
        CHECK(fds_peak >= 384);          /* the flood filled the user socket's 384 slots */
        CHECK(fds_after <= fds_before);  /* no descriptor leaked */
        CHECK(rss_peak - rss_before < 64 * 1024);
        CHECK(rss_after - rss_before < 16 * 1024);
        /* Refusals are summarised (one line per 10 s), not one line each. */
        CHECK(lines >= 1 && lines <= seconds / 10 + 2);
        free(lat);
}

int main(int argc, char **argv)
{
        int seconds = argc > 1 ? atoi(argv[1]) : 6;
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
                rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        signal(SIGPIPE, SIG_IGN);
        char conf[128];
        /* One uid may fill the whole user socket here, to show that the PAM socket's slots
         * are its own (the default per-uid cap would stop the flood much earlier). */
        snprintf(conf, sizeof(conf),
                 "idle_timeout = %d\nmax_connections = 512\nuser_connections = 384\n"
                 "user_connections_per_uid = 2000\n",
                 IDLE);
        adv_setup(&env, "allow when service adv-allow\ndeny\n", conf);
        adv_start(&env);
        test_trickle_alone();
        test_flood(seconds < 2 ? 2 : seconds);
        if (check_failures)
                adv_sh("grep -v 'too many connections' '%s' | tail -n 40 >&2", env.log);
        adv_cleanup(&env);
        return check_done();
}
