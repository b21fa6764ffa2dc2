/* Rate limit and lockout: at most rate_limit_attempts verifications per window per user;
 * lockout_failures consecutive failures (any service) lock the user; the lock survives a
 * restart and kill -9; only a success or `stepupctl unlock` resets the count; the user is
 * told how long to wait (DENY MESSAGE and WAIT). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define POLICY                                                                                     \
        "require totp within 15m when service adv-a\n"                                             \
        "require totp within 15m when service adv-b\n"                                             \
        "deny\n"

static struct adv_env env;
static uint8_t keys[4][20];

static unsigned wait_of(const struct su_msg *rep)
{
        uint32_t w = 0;
        return su_msg_u32(rep, SU_T_WAIT, &w) ? w : 0;
}

static const char *msg_of(const struct su_msg *rep)
{
        const char *m = su_msg_str(rep, SU_T_MESSAGE);
        return m ? m : "";
}

/* A wrong code through the whole flow; returns the final reply type. */
static int fail_once(const char *service, const char *user, const uint8_t *key, struct su_msg *rep)
{
        char wrong[9];
        adv_wrong_code(key, 30, wrong);
        return adv_attempt(&env, service, user, wrong, rep);
}

static void test_rate_limit(void)
{
        struct su_msg rep;
        const char *u = adv_user(0);
        /* Four challenges fetched first: holding challenges must not bypass the limit. */
        int fd[4];
        char id[4][33];
        for (int i = 0; i < 4; i++) {
                fd[i] = su_client_connect(env.pam_sock, 2000);
                CHECK(fd[i] >= 0);
                CHECK_INT(adv_decide(fd[i], "adv-a", u, &rep), 0);
                CHECK_INT(rep.type, SU_REP_CHALLENGE);
                snprintf(id[i], sizeof(id[i]), "%s", su_msg_str(&rep, SU_T_CHALLENGE));
        }
        char wrong[9];
        adv_wrong_code(keys[0], 30, wrong);
        for (int i = 0; i < 3; i++) {
                CHECK_INT(adv_verify(fd[i], id[i], wrong, &rep), 0);
                CHECK_INT(rep.type, SU_REP_DENY);
                CHECK(strstr(msg_of(&rep), "wrong verification code") != NULL);
        }
        /* The 4th attempt inside the window is refused before any code is compared. */
        CHECK_INT(adv_verify(fd[3], id[3], wrong, &rep), 0);
        CHECK_INT(rep.type, SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "too many attempts: wait") != NULL);
        CHECK(wait_of(&rep) >= 1 && wait_of(&rep) <= 2);
        for (int i = 0; i < 4; i++)
                close(fd[i]);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 3);
        /* ...and so is a new decision: no challenge, the wait in MESSAGE and WAIT. */
        int fdn = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fdn, "adv-b", u, &rep), 0);
        close(fdn);
        CHECK_INT(rep.type, SU_REP_DENY);
        unsigned w = wait_of(&rep);
        CHECK(w >= 1 && w <= 2);
        char expect[64];
        snprintf(expect, sizeof(expect), "wait %u seconds", w);
        CHECK(strstr(msg_of(&rep), expect) != NULL);
        /* Once the window is over the user may try again. */
        sleep(w + 1);
        CHECK_INT(fail_once("adv-a", u, keys[0], &rep), SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "wrong verification code") != NULL);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 4);
}

static void check_locked(const char *u, const char *when)
{
        struct su_msg rep;
        int fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-b", u, &rep), 0);
        close(fd);
        if (rep.type != SU_REP_DENY || !strstr(msg_of(&rep), "locked for"))
                fprintf(stderr, "not locked %s: %s\n", when, msg_of(&rep));
        CHECK_INT(rep.type, SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "locked for") != NULL);
        unsigned w = wait_of(&rep);
        CHECK(w >= 1 && w <= 4);
        char expect[64];
        snprintf(expect, sizeof(expect), "locked for %u more seconds", w);
        CHECK(strstr(msg_of(&rep), expect) != NULL);
        CHECK(adv_status_num(&env, u, "locked_seconds") > 0);
}

static void test_lockout(void)
{
        struct su_msg rep;
        const char *u = adv_user(1);
        /* A challenge held from before the lock. */
        int held = su_client_connect(env.pam_sock, 2000);
        for (int i = 0; i < 9; i++) {
                CHECK_INT(fail_once(i % 2 ? "adv-b" : "adv-a", u, keys[1], &rep), SU_REP_DENY);
                CHECK(strstr(msg_of(&rep), "of 10 failures before lockout") != NULL);
        }
        CHECK_INT(adv_decide(held, "adv-a", u, &rep), 0);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        char held_id[33];
        snprintf(held_id, sizeof(held_id), "%s", su_msg_str(&rep, SU_T_CHALLENGE));
        /* The 10th failure, on the other service, locks. */
        CHECK_INT(fail_once("adv-b", u, keys[1], &rep), SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "locked for 4 seconds") != NULL);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 10);
        check_locked(u, "after 10 failures");
        /* Even the right code on the challenge held from before is refused now. */
        char good[9];
        adv_code(keys[1], 30, adv_step_now(30), good);
        CHECK_INT(adv_verify(held, held_id, good, &rep), 0);
        close(held);
        CHECK_INT(rep.type, SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "locked for") != NULL);

        /* Durable: a clean restart and a kill -9. */
        CHECK(adv_stop(&env) == 0);
        adv_start(&env);
        check_locked(u, "after a restart");
        adv_kill9(&env);
        adv_start(&env);
        check_locked(u, "after kill -9");
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 10);

        /* The lock ends after lockout_duration, but the count does not: one more failure
         * locks again at once. */
        sleep(5);
        CHECK_INT(fail_once("adv-a", u, keys[1], &rep), SU_REP_DENY);
        CHECK(strstr(msg_of(&rep), "locked for 4 seconds") != NULL);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 11);
        check_locked(u, "after the lock expired and one more failure");

        /* stepupctl unlock resets it. */
        CHECK_INT(adv_sh("'%s/stepupctl/stepupctl' --socket '%s' unlock --user %s >/dev/null",
                         env.build, env.pam_sock, u),
                  0);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 0);
        CHECK_INT(adv_status_num(&env, u, "locked_seconds"), 0);
        adv_code(keys[1], 30, adv_step_now(30), good);
        CHECK_INT(adv_attempt(&env, "adv-a", u, good, &rep), SU_REP_ALLOW);
}

static void test_success_resets(void)
{
        struct su_msg rep;
        const char *u = adv_user(2);
        for (int i = 0; i < 5; i++)
                CHECK_INT(fail_once("adv-a", u, keys[2], &rep), SU_REP_DENY);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 5);
        char good[9];
        adv_code(keys[2], 30, adv_step_now(30), good);
        CHECK_INT(adv_attempt(&env, "adv-b", u, good, &rep), SU_REP_ALLOW);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 0);
        CHECK_INT(adv_revoke(&env, u), 0);
        /* 9 more failures: not locked (5 + 9 would be). */
        for (int i = 0; i < 9; i++)
                CHECK_INT(fail_once("adv-a", u, keys[2], &rep), SU_REP_DENY);
        int fd = su_client_connect(env.pam_sock, 2000);
        CHECK_INT(adv_decide(fd, "adv-a", u, &rep), 0);
        close(fd);
        CHECK_INT(rep.type, SU_REP_CHALLENGE);
        /* Failure counts survive kill -9 exactly. */
        adv_kill9(&env);
        adv_start(&env);
        CHECK_INT(adv_status_num(&env, u, "consecutive_failures"), 9);
}

int main(void)
{
        adv_setup(&env, POLICY,
                  "rate_limit_attempts = 3\nrate_limit_window = 2\n"
                  "lockout_failures = 10\nlockout_duration = 4\n");
        adv_start(&env);
        for (int i = 0; i < 3; i++)
                CHECK_INT(adv_enroll(&env, adv_user(i), keys[i], 30), 0);
        test_rate_limit();
        /* The lockout part with the rate limit out of the way. */
        CHECK_INT(adv_stop(&env), 0);
        adv_write_conf(&env, "rate_limit_attempts = 100\nrate_limit_window = 2\n"
                             "lockout_failures = 10\nlockout_duration = 4\n");
        adv_start(&env);
        test_lockout();
        test_success_resets();
        for (int i = 0; i < 3; i++)
                CHECK(!adv_log_has_secret(&env, keys[i]));
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
