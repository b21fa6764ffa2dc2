/* A hostile local user (issue 13), against a private stepupd: each case is an attack that
 * worked on the single-threaded daemon, and what must hold now.
 *  hash flood:  300 pipelined QUESTIONS_SET connections from one user while root's DECIDEs
 *               flow: none times out, p99 under 100 ms; meanwhile the real pam_stepup.so with
 *               failmode=safe never lets a wrong code through; almost nothing is hashed.
 *  slot flood:  a user holding every user-socket connection it may (kept alive) plus 130
 *               prompts left open: another user's DECIDE and GATE are answered correctly and
 *               root's STATUS works.
 *  audit flood: 10,000 GATE requests from one uid write fewer than 200 audit lines, and a
 *               wrong code by another user meanwhile is logged.
 *  window:      a user may not widen its own TOTP window or period; STATUS shows the window.
 *  reset:       RESET and REMOVE end the user's grants at once.
 * Usage: test-hostile   (through run-adv.sh) */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define POLICY                                                                                     \
        "allow when service adv-allow\n"                                                           \
        "require totp within 0 when service adv-step\n"                                            \
        "require totp within 15m when service adv-fresh\n"                                         \
        "allow when service sshd-command\n"                                                        \
        "deny\n"

static struct adv_env env;

static void become(const char *user)
{
        struct passwd *pw = getpwnam(user);
        if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                _exit(90);
}

static uid_t uid_of(const char *user)
{
        struct passwd *pw = getpwnam(user);
        return pw ? pw->pw_uid : (uid_t)-1;
}

/* A connection to path that does not wait (the flood pipelines). */
static int connect_now(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
            errno != EINPROGRESS) {
                close(fd);
                return -1;
        }
        return fd;
}

static int cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;
        return x < y ? -1 : x > y;
}

/* --- the real module, failmode=safe, a wrong code typed --- */
static int conv_wrong(int n, const struct pam_message **msg, struct pam_response **resp, void *d)
{
        struct pam_response *r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++)
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
                        r[i].resp = strdup("000000");
        *resp = r;
        return PAM_SUCCESS;
}

static char confdir[160];

static void write_pam_service(void)
{
        snprintf(confdir, sizeof(confdir), "%s/pam.d", env.dir);
        mkdir(confdir, 0755);
        char path[256], text[512];
        snprintf(path, sizeof(path), "%s/adv-step", confdir);
        snprintf(text, sizeof(text),
                 "auth required %s/pam_stepup/pam_stepup.so socket=%s failmode=safe timeout=5\n"
                 "account required pam_permit.so\n",
                 env.build, env.pam_sock);
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
}

/* PAM_SUCCESS would be a grant without a code. */
static int pam_wrong_code(const char *user)
{
        struct pam_conv conv = {conv_wrong, NULL};
        pam_handle_t *h = NULL;
        int r = pam_start_confdir("adv-step", user, &conv, confdir, &h);
        if (r == PAM_SUCCESS)
                r = pam_authenticate(h, 0);
        pam_end(h, r);
        return r;
}

/* --- hash flood --- */
static void flood_questions(const char *user, long long until_ms, int nconn)
{
        struct su_msg req;
        uint8_t frame[1024];
        size_t len;
        su_msg_init(&req, SU_REQ_QUESTIONS_SET);
        su_msg_put_str(&req, SU_T_BODY, "pet\tRex\ncity\tParis\nfood\tPizza\n");
        su_msg_encode(&req, frame, sizeof(frame), &len);
        int *fd = calloc((size_t)nconn, sizeof(int));
        for (int i = 0; i < nconn; i++)
                fd[i] = -1;
        while (adv_now_ms() < until_ms) {
                for (int i = 0; i < nconn; i++) {
                        if (fd[i] < 0) {
                                fd[i] = connect_now(env.user_sock);
                                if (fd[i] >= 0)
                                        (void)!send(fd[i], frame, len, MSG_NOSIGNAL);
                                continue;
                        }
                        char buf[4096];
                        ssize_t n = recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT);
                        if (n == 0 || (n < 0 && errno != EAGAIN)) {
                                close(fd[i]); /* answered (or refused) and closed: again */
                                fd[i] = -1;
                        } else if (n > 0) {
                                /* an answer: ask again on the same connection */
                                (void)!send(fd[i], frame, len, MSG_NOSIGNAL);
                        }
                }
                usleep(2000);
        }
        _exit(0);
}

static void test_hash_flood(void)
{
        uint8_t key[20];
        CHECK_INT(adv_enroll(&env, "root", key, 30), 0);
        write_pam_service();
        long long until = adv_now_ms() + 6000;
        pid_t fl = fork();
        if (fl == 0) {
                become("adv05");
                flood_questions("adv05", until, 300);
        }
        usleep(300000); /* the flood is on */
        long long lat[4000];
        int n = 0, timeouts = 0, grants = 0, pam_runs = 0;
        while (adv_now_ms() < until - 300 && n < 4000) {
                struct su_msg rep;
                long long t0 = adv_now_ms() * 1000;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                long long u0 = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
                int fd = su_client_connect(env.pam_sock, 5000);
                int r = fd < 0 ? fd : adv_decide(fd, "adv-allow", "root", &rep);
                if (fd >= 0)
                        close(fd);
                clock_gettime(CLOCK_MONOTONIC, &ts);
                (void)t0;
                if (r < 0 || rep.type != SU_REP_ALLOW)
                        timeouts++;
                else
                        lat[n++] = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000 - u0;
                if (n % 25 == 0) {
                        pam_runs++;
                        grants += pam_wrong_code("root") == PAM_SUCCESS;
                }
                usleep(3000);
        }
        waitpid(fl, NULL, 0);
        qsort(lat, (size_t)n, sizeof(lat[0]), cmp_ll);
        long long p50 = n ? lat[n / 2] : -1, p99 = n ? lat[n * 99 / 100] : -1;
        int hashed = adv_log_count(&env, "security questions enrolled");
        int busy = adv_log_count(&env, "connection refused: too many connections");
        printf("hash flood: %d root DECIDEs (p50 %lld us, p99 %lld us), %d failed or timed out; "
               "%d PAM runs with a wrong code under failmode=safe, %d granted; "
               "answer sets hashed for the flooder: %d\n",
               n, p50, p99, timeouts, pam_runs, grants, hashed);
        CHECK(n > 100);
        CHECK_INT(timeouts, 0);
        CHECK(p99 >= 0 && p99 < 100000);
        CHECK(pam_runs > 3);
        CHECK_INT(grants, 0);
        /* The hashing budget: 12 hashes at once (4 answer sets of 3), 12 a minute after. */
        CHECK(hashed >= 1 && hashed <= 6);
        CHECK(busy >= 1); /* the flood was refused at the door, and said so */
}

/* --- slot flood --- */
static void test_slot_flood(void)
{
        uint8_t key6[20], key7[20];
        CHECK_INT(adv_enroll(&env, "adv06", key6, 30), 0);
        CHECK_INT(adv_enroll(&env, "adv07", key7, 30), 0);
        int p[2];
        if (pipe(p) < 0)
                abort();
        long long until = adv_now_ms() + 8000;
        pid_t fl = fork();
        if (fl == 0) {
                /* adv06 holds every user-socket connection it can, kept alive by STATUS. */
                become("adv06");
                close(p[0]);
                int fd[600], held = 0;
                for (int i = 0; i < 600; i++) {
                        fd[i] = su_client_connect(env.user_sock, 2000);
                        struct su_msg req, rep;
                        su_msg_init(&req, SU_REQ_STATUS);
                        if (fd[i] >= 0 && su_client_call(fd[i], &req, &rep, 2000) == 0 &&
                            rep.type == SU_REP_OK) {
                                held++;
                        } else if (fd[i] >= 0) {
                                close(fd[i]);
                                fd[i] = -1;
                        }
                }
                (void)!write(p[1], &held, sizeof(held));
                while (adv_now_ms() < until) {
                        for (int i = 0; i < 600; i++) {
                                struct su_msg req, rep;
                                su_msg_init(&req, SU_REQ_STATUS);
                                if (fd[i] >= 0)
                                        su_client_call(fd[i], &req, &rep, 2000);
                        }
                        sleep(1);
                }
                _exit(0);
        }
        close(p[1]);
        int held = 0;
        (void)!read(p[0], &held, sizeof(held));
        close(p[0]);
        /* 130 prompts for adv06 left open on the PAM socket (sudo -S left at the prompt). */
        int hung[130], open_challenges = 0, refused = 0;
        for (int i = 0; i < 130; i++) {
                struct su_msg rep;
                hung[i] = su_client_connect(env.pam_sock, 2000);
                if (hung[i] >= 0 && adv_decide(hung[i], "adv-step", "adv06", &rep) == 0) {
                        open_challenges += rep.type == SU_REP_CHALLENGE;
                        refused += rep.type == SU_REP_DENY &&
                                   strstr(su_msg_str(&rep, SU_T_MESSAGE) ?: "", "too many");
                }
        }
        /* Another user, meanwhile: root's module decides for adv07, adv07's own GATE, and
         * root's STATUS, all answered correctly. */
        struct su_msg rep;
        char code[9];
        adv_code(key7, 30, adv_step_now(30), code);
        int r = adv_attempt(&env, "adv-step", "adv07", code, &rep);
        CHECK_INT(r, SU_REP_ALLOW);
        int fd = su_client_connect(env.pam_sock, 2000);
        CHECK(fd >= 0 && adv_decide(fd, "adv-allow", "adv07", &rep) == 0 &&
              rep.type == SU_REP_ALLOW);
        if (fd >= 0)
                close(fd);
        int gp[2];
        if (pipe(gp) < 0)
                abort();
        pid_t g = fork();
        if (g == 0) {
                become("adv07");
                struct su_msg req, grep_;
                su_msg_init(&req, SU_REQ_GATE);
                su_msg_put_str(&req, SU_T_COMMAND, "/usr/bin/true");
                int gr = adv_call(env.user_sock, &req, &grep_);
                char t = gr == 0 ? (char)grep_.type : 0;
                (void)!write(gp[1], &t, 1);
                _exit(0);
        }
        char gtype = 0;
        close(gp[1]);
        (void)!read(gp[0], &gtype, 1);
        close(gp[0]);
        waitpid(g, NULL, 0);
        CHECK_INT(gtype, SU_REP_ALLOW);
        CHECK(adv_status_num(&env, "root", "consecutive_failures") >= 0);
        printf("slot flood: adv06 holds %d user-socket connections; of 130 open prompts for "
               "adv06, %d are open and %d refused (too many); adv07's DECIDE+VERIFY, DECIDE and "
               "GATE and root's STATUS answered\n",
               held, open_challenges, refused);
        CHECK(held >= 1 && held <= 8);
        CHECK(open_challenges <= 8 && open_challenges + refused == 130);
        for (int i = 0; i < 130; i++)
                if (hung[i] >= 0)
                        close(hung[i]);
        kill(fl, SIGTERM);
        waitpid(fl, NULL, 0);
}

/* --- audit flood --- */
static void test_audit_flood(void)
{
        uint8_t key9[20];
        CHECK_INT(adv_enroll(&env, "adv09", key9, 30), 0);
        int before = adv_log_count(&env, "\n");
        pid_t fl = fork();
        if (fl == 0) {
                become("adv08");
                int fd = -1, sent = 0;
                while (sent < 10000) {
                        struct su_msg req, rep;
                        if (fd < 0)
                                fd = su_client_connect(env.user_sock, 2000);
                        su_msg_init(&req, SU_REQ_GATE);
                        su_msg_put_str(&req, SU_T_COMMAND, "/usr/bin/true");
                        if (fd < 0 || su_client_call(fd, &req, &rep, 2000) < 0) {
                                if (fd >= 0)
                                        close(fd);
                                fd = -1;
                        }
                        sent++;
                }
                _exit(0);
        }
        usleep(200000);
        struct su_msg rep;
        char wrong[9];
        adv_wrong_code(key9, 30, wrong);
        CHECK_INT(adv_attempt(&env, "adv-step", "adv09", wrong, &rep), SU_REP_DENY);
        waitpid(fl, NULL, 0);
        char needle[64];
        snprintf(needle, sizeof(needle), "caller_uid=%u ", (unsigned)uid_of("adv08"));
        int lines = adv_log_count(&env, needle);
        /* what was held back is counted, and said once the uid's window has passed */
        int summaries = 0;
        for (int i = 0; i < 150 && !summaries; i++) {
                usleep(100000);
                summaries = adv_log_count(&env, "suppressed (flood)");
        }
        int total = adv_log_count(&env, "\n") - before;
        int wrong_logged = adv_log_count(&env, "user=adv09 rule=");
        printf("audit flood: 10000 GATEs from adv08 wrote %d lines naming it (%d summaries), %d "
               "lines in all; adv09's wrong code logged: %s\n",
               lines, summaries, total, wrong_logged ? "yes" : "no");
        CHECK(total < 200);
        CHECK(lines >= 1);
        CHECK(summaries >= 1);
        CHECK(wrong_logged >= 1);
}

/* --- a user widening its own window --- */
static void test_window(void)
{
        int p[2];
        if (pipe(p) < 0)
                abort();
        pid_t c = fork();
        if (c == 0) {
                become("adv11");
                close(p[0]);
                struct su_msg req, rep;
                char out[256] = "";
                su_msg_init(&req, SU_REQ_ENROLL_BEGIN);
                su_msg_put_u32(&req, SU_T_PERIOD, 300);
                su_msg_put_u32(&req, SU_T_WINDOW, 10);
                if (adv_call(env.user_sock, &req, &rep) == 0)
                        snprintf(out, sizeof(out), "%d %s", rep.type,
                                 su_msg_str(&rep, SU_T_MESSAGE) ?: "");
                (void)!write(p[1], out, strlen(out) + 1);
                _exit(0);
        }
        close(p[1]);
        char out[256] = "";
        (void)!read(p[0], out, sizeof(out) - 1);
        close(p[0]);
        waitpid(c, NULL, 0);
        printf("window: a user asking for window 10, period 300: %s\n", out);
        CHECK(atoi(out) == SU_REP_ERROR);
        CHECK(strstr(out, "user_totp_max_window") != NULL);
        /* root may, and STATUS shows it */
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_ENROLL_SET);
        su_msg_put_str(&req, SU_T_USER, "adv11");
        su_msg_put_str(&req, SU_T_SECRET, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        su_msg_put_u32(&req, SU_T_WINDOW, 3);
        CHECK(adv_call(env.pam_sock, &req, &rep) == 0 && rep.type == SU_REP_OK);
        su_msg_init(&req, SU_REQ_STATUS);
        su_msg_put_str(&req, SU_T_USER, "adv11");
        CHECK(adv_call(env.pam_sock, &req, &rep) == 0 && rep.type == SU_REP_OK);
        const char *data = su_msg_str(&rep, SU_T_DATA);
        CHECK(data && strstr(data, "\"window\":3"));
}

/* --- reset and REMOVE end grants --- */
static void test_reset_revokes(void)
{
        uint8_t key[20];
        struct su_msg req, rep;
        char code[9];
        for (int round = 0; round < 2; round++) {
                const char *u = round ? "adv13" : "adv12";
                CHECK_INT(adv_enroll(&env, u, key, 30), 0);
                adv_code(key, 30, adv_step_now(30), code);
                CHECK_INT(adv_attempt(&env, "adv-fresh", u, code, &rep), SU_REP_ALLOW);
                CHECK_INT(adv_status_num(&env, u, "assurance_records"), 1);
                su_msg_init(&req, round ? SU_REQ_REMOVE : SU_REQ_RESET);
                su_msg_put_str(&req, SU_T_USER, u);
                su_msg_put_str(&req, SU_T_FACTOR, "totp");
                CHECK(adv_call(env.pam_sock, &req, &rep) == 0 && rep.type == SU_REP_OK);
                CHECK_INT(adv_status_num(&env, u, "assurance_records"), 0);
                /* the session that stepped up with the old factor is asked again */
                int fd = su_client_connect(env.pam_sock, 2000);
                CHECK(fd >= 0 && adv_decide(fd, "adv-fresh", u, &rep) == 0 &&
                      rep.type != SU_REP_ALLOW);
                if (fd >= 0)
                        close(fd);
        }
}

int main(void)
{
        adv_setup(&env, POLICY, "");
        adv_start(&env);
        test_window();
        test_reset_revokes();
        test_hash_flood();
        test_slot_flood();
        test_audit_flood();
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
