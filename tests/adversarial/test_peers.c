/* Peers: socket node owners and modes; a non-root peer on either socket cannot decide, verify
 * or touch another user's data; a peer that goes away between challenge and answer, or in
 * the middle of a frame, gets nothing and its challenge is void; a peer whose credentials
 * cannot be read (getsockopt(SO_PEERCRED) failing, via fail_getsockopt.so) gets nothing. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define POLICY                                                                                     \
        "require totp within 15m when service adv-a\n"                                             \
        "require totp within 0 when service adv-always\n"                                          \
        "deny\n"

static struct adv_env env;

static bool dropped(int r)
{
        return r == -ECONNRESET || r == -EPIPE;
}

static void test_socket_modes(void)
{
        struct stat st;
        CHECK_INT(lstat(env.pam_sock, &st), 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK_INT(st.st_mode & 07777, 0600);
        CHECK_INT(st.st_uid, 0);
        CHECK_INT(lstat(env.user_sock, &st), 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK_INT(st.st_mode & 07777, 0666);
        CHECK_INT(st.st_uid, 0);
}

/* Runs in a child as an unprivileged user; returns a bit mask of what went wrong. */
static int non_root_peer(const char *victim)
{
        struct su_msg req, rep;
        int fails = 0, bit = 1;
        /* The PAM socket: every request dropped unanswered. */
        const uint8_t types[] = {SU_REQ_DECIDE, SU_REQ_VERIFY,     SU_REQ_STATUS,
                                 SU_REQ_REVOKE, SU_REQ_ENROLL_SET, SU_REQ_UNLOCK};
        for (size_t i = 0; i < sizeof(types); i++, bit <<= 1) {
                su_msg_init(&req, types[i]);
                su_msg_put_str(&req, SU_T_USER, victim);
                if (types[i] == SU_REQ_DECIDE) {
                        su_msg_put_str(&req, SU_T_SERVICE, "adv-a");
                        su_msg_put_u32(&req, SU_T_PHASE, SU_PHASE_AUTH);
                }
                if (!dropped(adv_call(env.pam_sock, &req, &rep)))
                        fails |= bit;
        }
        /* The user socket: refused with an ERROR that carries nothing about the victim. */
        const uint8_t utypes[] = {SU_REQ_DECIDE,       SU_REQ_VERIFY,         SU_REQ_STATUS,
                                  SU_REQ_REVOKE,       SU_REQ_ENROLL_SET,     SU_REQ_UNLOCK,
                                  SU_REQ_ENROLL_BEGIN, SU_REQ_ENROLL_CONFIRM, SU_REQ_RELOAD};
        for (size_t i = 0; i < sizeof(utypes); i++, bit <<= 1) {
                su_msg_init(&req, utypes[i]);
                su_msg_put_str(&req, SU_T_USER, victim);
                if (utypes[i] == SU_REQ_VERIFY) {
                        su_msg_put_str(&req, SU_T_CHALLENGE, "00000000000000000000000000000000");
                        su_msg_put_str(&req, SU_T_ANSWER, "123456");
                }
                if (utypes[i] == SU_REQ_ENROLL_SET)
                        su_msg_put_str(&req, SU_T_SECRET, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
                if (utypes[i] == SU_REQ_ENROLL_CONFIRM)
                        su_msg_put_str(&req, SU_T_ANSWER, "123456");
                int r = adv_call(env.user_sock, &req, &rep);
                if (r < 0 || rep.type != SU_REP_ERROR || su_msg_str(&rep, SU_T_BODY) ||
                    su_msg_str(&rep, SU_T_SECRET))
                        fails |= bit;
        }
        /* Its own status is fine, and is its own. */
        su_msg_init(&req, SU_REQ_STATUS);
        int r = adv_call(env.user_sock, &req, &rep);
        const char *data = r == 0 ? su_msg_str(&rep, SU_T_DATA) : NULL;
        if (!data || !strstr(data, "\"user\":\"adv63\"") || strstr(data, victim))
                fails |= bit;
        return fails;
}

static void test_non_root(void)
{
        struct su_msg rep;
        const char *victim = adv_user(4);
        uint8_t key[20];
        CHECK_INT(adv_enroll(&env, victim, key, 30), 0);
        char code[9], wrong[9];
        adv_code(key, 30, adv_step_now(30), code);
        adv_wrong_code(key, 30, wrong);
        CHECK_INT(adv_attempt(&env, "adv-a", victim, code, &rep), SU_REP_ALLOW);
        CHECK_INT(adv_attempt(&env, "adv-always", victim, wrong, &rep), SU_REP_DENY);
        CHECK_INT(adv_attempt(&env, "adv-always", victim, wrong, &rep), SU_REP_DENY);
        /* The PAM socket node opened up: the daemon's own SO_PEERCRED check must refuse. */
        CHECK_INT(chmod(env.pam_sock, 0666), 0);
        struct passwd *pw = getpwnam("adv63");
        CHECK(pw != NULL);
        if (!pw)
                return;
        pid_t pid = fork();
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
                        _exit(255);
                _exit(non_root_peer(victim) ? 1 : 0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st));
        CHECK_INT(WEXITSTATUS(st), 0);
        CHECK_INT(chmod(env.pam_sock, 0600), 0);
        /* The victim's state is untouched. */
        CHECK_INT(adv_status_num(&env, victim, "assurance_records"), 1);
        CHECK_INT(adv_status_num(&env, victim, "consecutive_failures"), 2);
        int fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-a", victim, &rep), 0);
        close(fd);
        CHECK_INT(rep.type, SU_REP_ALLOW);
        CHECK(adv_log_count(&env, "connection refused: PAM socket peer is not root") >= 6);
        CHECK(!adv_log_has_secret(&env, key));
}

static bool wait_log(const char *needle, int count)
{
        for (int i = 0; i < 200; i++) {
                if (adv_log_count(&env, needle) >= count)
                        return true;
                usleep(10000);
        }
        return false;
}

static void test_abandon(void)
{
        struct su_msg rep;
        const char *u = adv_user(5);
        uint8_t key[20];
        CHECK_INT(adv_enroll(&env, u, key, 30), 0);
        char code[9];
        adv_code(key, 30, adv_step_now(30), code);
        int before = adv_log_count(&env, "event=abandon");

        /* 1. Gone between challenge and answer. */
        int fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-a", u, &rep), 0);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        char old_id[33];
        snprintf(old_id, sizeof(old_id), "%s", su_msg_str(&rep, SU_T_CHALLENGE));
        close(fd);
        CHECK(wait_log("event=abandon", before + 1));
        /* The old id on a new connection: refused, with or without a challenge of its own. */
        fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_verify(fd, old_id, code, &rep), 0);
        CHECK_INT(rep.type, SU_REP_DENY);
        CHECK(strstr(su_msg_str(&rep, SU_T_MESSAGE), "no such challenge") != NULL);
        close(fd);
        fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-a", u, &rep), 0);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        CHECK(strcmp(su_msg_str(&rep, SU_T_CHALLENGE), old_id) != 0);
        CHECK_INT(adv_verify(fd, old_id, code, &rep), 0);
        CHECK_INT(rep.type, SU_REP_DENY);
        close(fd);

        /* 2. Gone in the middle of a VERIFY frame. */
        fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-a", u, &rep), 0);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        struct su_msg req;
        su_msg_init(&req, SU_REQ_VERIFY);
        su_msg_put_str(&req, SU_T_CHALLENGE, su_msg_str(&rep, SU_T_CHALLENGE));
        su_msg_put_str(&req, SU_T_ANSWER, code);
        uint8_t buf[256];
        size_t len;
        CHECK_INT(su_msg_encode(&req, buf, sizeof(buf), &len), 0);
        CHECK(send(fd, buf, len / 2, MSG_NOSIGNAL) == (ssize_t)(len / 2));
        usleep(50000);
        close(fd);
        CHECK(wait_log("event=abandon", before + 2));

        /* 3. Half a DECIDE frame: no decision at all. */
        su_msg_init(&req, SU_REQ_DECIDE);
        su_msg_put_str(&req, SU_T_SERVICE, "adv-a");
        su_msg_put_str(&req, SU_T_USER, adv_user(7));
        su_msg_put_u32(&req, SU_T_PHASE, SU_PHASE_AUTH);
        CHECK_INT(su_msg_encode(&req, buf, sizeof(buf), &len), 0);
        fd = su_client_connect(env.pam_sock, 2000);
        CHECK(send(fd, buf, len - 1, MSG_NOSIGNAL) == (ssize_t)(len - 1));
        usleep(50000);
        close(fd);

        /* 4. An oversized length: an ERROR and the connection closed. */
        fd = su_client_connect(env.pam_sock, 2000);
        const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
        CHECK(send(fd, huge, 4, MSG_NOSIGNAL) == 4);
        CHECK_INT(su_client_recv(fd, &rep, 2000), 0);
        CHECK_INT(rep.type, SU_REP_ERROR);
        CHECK(dropped(su_client_recv(fd, &rep, 2000)));
        close(fd);

        /* Nothing was spent or counted: the code still works, no failure recorded. */
        usleep(100000);
        CHECK_INT(adv_log_count(&env, "user=adv07"), 0);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 0);
        CHECK_INT(adv_log_count(&env, "event=verify-ok user=adv05"), 0);
        CHECK_INT(adv_log_count(&env, "event=verify-fail user=adv05"), 0);
        CHECK_INT(adv_attempt(&env, "adv-a", u, code, &rep), SU_REP_ALLOW);
        CHECK(!adv_log_has_secret(&env, key));
}

static void test_no_credentials(void)
{
        static const char *const modes[] = {"error", "short", "baduid", "nopid"};
        char preload[600];
        snprintf(preload, sizeof(preload), "LD_PRELOAD=%s/tests/adversarial/fail_getsockopt.so",
                 env.build);
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                adv_stop(&env);
                char mode[64];
                snprintf(mode, sizeof(mode), "FAIL_GETSOCKOPT=%s", modes[i]);
                char *extra[] = {preload, mode, NULL};
                int st;
                CHECK_INT(adv_start_ex(&env, "stepupd", extra, NULL, &st), 0);
                int decisions =
                    adv_log_count(&env, "event=decision") + adv_log_count(&env, "event=challenge");
                int refused = adv_log_count(&env, "no peer credentials");
                struct su_msg req, rep;
                su_msg_init(&req, SU_REQ_DECIDE);
                su_msg_put_str(&req, SU_T_SERVICE, "adv-a");
                su_msg_put_str(&req, SU_T_USER, adv_user(4));
                su_msg_put_u32(&req, SU_T_PHASE, SU_PHASE_AUTH);
                int r = adv_call(env.pam_sock, &req, &rep);
                if (!dropped(r))
                        fprintf(stderr, "mode %s: PAM socket answered (%d, type %d)\n", modes[i], r,
                                rep.type);
                CHECK(dropped(r));
                su_msg_init(&req, SU_REQ_STATUS);
                r = adv_call(env.user_sock, &req, &rep);
                CHECK(dropped(r));
                usleep(50000);
                CHECK_INT(adv_log_count(&env, "event=decision") +
                              adv_log_count(&env, "event=challenge"),
                          decisions);
                CHECK(adv_log_count(&env, "no peer credentials") >= refused + 2);
        }
        adv_stop(&env);
        adv_start(&env);
}

int main(void)
{
        adv_setup(&env, POLICY, "rate_limit_attempts = 1000\nlockout_failures = 100\n");
        adv_start(&env);
        test_socket_modes();
        test_non_root();
        test_abandon();
        test_no_credentials();
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
