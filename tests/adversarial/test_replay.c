/* Replay under concurrency: 32 connections, each with its own challenge, answer with the same
 * valid code at once: exactly one succeeds.  N wrong guesses at once add exactly N failures.
 * Usage: test-replay [CONNECTIONS] (32 by default). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define MAXC 256

static struct adv_env env;

/* Opens n connections, each with a challenge for user; returns how many succeeded. */
static int challenge_all(int n, const char *user, int *fd, char (*id)[33])
{
        struct su_msg rep;
        int ok = 0;
        for (int i = 0; i < n; i++) {
                fd[i] = su_client_connect(env.pam_sock, 5000);
                if (fd[i] < 0 || adv_decide(fd[i], "adv-always", user, &rep) < 0 ||
                    rep.type != SU_REP_CHALLENGE) {
                        id[i][0] = 0;
                        continue;
                }
                snprintf(id[i], 33, "%s", su_msg_str(&rep, SU_T_CHALLENGE));
                ok++;
        }
        return ok;
}

/* Sends every answer before reading any reply; counts the reply types. */
static void answer_all(int n, int *fd, char (*id)[33], const char *code, int *allow, int *deny,
                       int *replay)
{
        struct su_msg req, rep;
        *allow = *deny = *replay = 0;
        for (int i = 0; i < n; i++) {
                su_msg_init(&req, SU_REQ_VERIFY);
                su_msg_put_str(&req, SU_T_CHALLENGE, id[i]);
                su_msg_put_str(&req, SU_T_ANSWER, code);
                CHECK_INT(su_client_send(fd[i], &req, 5000), 0);
        }
        for (int i = 0; i < n; i++) {
                CHECK_INT(su_client_recv(fd[i], &rep, 10000), 0);
                if (rep.type == SU_REP_ALLOW)
                        (*allow)++;
                if (rep.type == SU_REP_DENY) {
                        (*deny)++;
                        const char *m = su_msg_str(&rep, SU_T_MESSAGE);
                        if (m && strstr(m, "already used"))
                                (*replay)++;
                }
                close(fd[i]);
        }
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 32;
        if (n < 2 || n > MAXC)
                n = 32;
        /* Every racer holds a challenge for the same user at once: allow that many. */
        adv_setup(&env, "require totp within 0 when service adv-always\ndeny\n",
                  "rate_limit_attempts = 1000\nlockout_failures = 100\n"
                  "challenges_per_user = 64\n");
        adv_start(&env);
        uint8_t key[20];
        const char *u = adv_user(3);
        CHECK_INT(adv_enroll(&env, u, key, 30), 0);

        int fd[MAXC];
        char id[MAXC][33];
        int allow, deny, replay;
        CHECK_INT(challenge_all(n, u, fd, id), n);
        char code[9];
        adv_code(key, 30, adv_step_now(30), code);
        answer_all(n, fd, id, code, &allow, &deny, &replay);
        printf("%d parallel answers with one valid code: %d allowed, %d denied (%d as replays)\n",
               n, allow, deny, replay);
        CHECK_INT(allow, 1);
        CHECK_INT(deny, n - 1);
        CHECK_INT(replay, n - 1);
        /* The success reset the count; each replay after it is a failure. */
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), n - 1);

        /* N wrong guesses at once: exactly N more failures. */
        CHECK_INT(adv_unlock(&env, u), 0);
        long long before = adv_status_num(&env, u, "consecutive_failures");
        CHECK_INT(before, 0);
        int wrong_n = n < 40 ? n : 40; /* stay under lockout_failures */
        CHECK_INT(challenge_all(wrong_n, u, fd, id), wrong_n);
        char wrong[9];
        adv_wrong_code(key, 30, wrong);
        answer_all(wrong_n, fd, id, wrong, &allow, &deny, &replay);
        CHECK_INT(allow, 0);
        CHECK_INT(deny, wrong_n);
        long long after = adv_status_num(&env, u, "consecutive_failures");
        printf("%d parallel wrong guesses: failures %lld -> %lld\n", wrong_n, before, after);
        CHECK_INT(after - before, wrong_n);

        CHECK(!adv_log_has_secret(&env, key));
        int st = adv_stop(&env);
        /* Under valgrind (ADV_WRAPPER) a memory error or leak makes the exit status non-zero. */
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
