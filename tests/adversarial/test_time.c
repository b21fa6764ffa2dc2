/* Time: setting the wall clock back or forward never extends or revives assurance, and does
 * not lift a lockout or a rate limit; a record from the future (by either clock) or from
 * another boot is void.  The daemon's wall clock is moved with libfaketime
 * (FAKETIME_TIMESTAMP_FILE, re-read on every call) while CLOCK_BOOTTIME stays real
 * (FAKETIME_DONT_FAKE_MONOTONIC=1, checked first); rows are edited with the sqlite3 CLI
 * while the daemon is stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
#define POLICY                                                                                     \
        "require totp within 3s when service adv-short\n"                                          \
        "require totp within 15m when service adv-long\n"                                          \
        "require totp within 0 when service adv-always\n"                                          \
        "deny\n"

static struct adv_env env;
static char ftfile[160];

static void set_offset(const char *off)
{
        FILE *f = fopen(ftfile, "we");
        if (!f)
                exit(2);
        fprintf(f, "%s\n", off);
        fclose(f);
}

static int decide(const char *service, const char *user, struct su_msg *rep)
{
        int fd = su_client_connect(env.pam_sock, 3000);
        if (fd < 0)
                return fd;
        int r = adv_decide(fd, service, user, rep);
        close(fd);
        return r < 0 ? r : rep->type;
}

static unsigned wait_of(const struct su_msg *rep)
{
        uint32_t w = 0;
        return su_msg_u32(rep, SU_T_WAIT, &w) ? w : 0;
}

static void good_code(const uint8_t *key, char out[9])
{
        adv_code(key, 30, adv_step_now(30), out);
}

/* libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 moves CLOCK_REALTIME only. */
static void test_faketime_keeps_boottime(const char *self)
{
        char out[128];
        struct timespec b, w;
        clock_gettime(CLOCK_BOOTTIME, &b);
        clock_gettime(CLOCK_REALTIME, &w);
        int r = adv_sh_out(out, sizeof(out),
                           "FAKETIME=-1d FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=%s '%s' --probe",
                           FAKETIME_LIB, self);
        long long fw = 0, fb = 0;
        CHECK(r == 0 && sscanf(out, "%lld %lld", &fw, &fb) == 2);
        CHECK(llabs(fb - (long long)b.tv_sec) <= 2);           /* boot clock real */
        CHECK(llabs(fw - ((long long)w.tv_sec - 86400)) <= 2); /* wall clock moved */
}

static void test_clock_moves(void)
{
        struct su_msg rep;
        uint8_t k20[20], k21[20], k22[20], k23[20];
        const char *u20 = adv_user(20), *u21 = adv_user(21), *u22 = adv_user(22),
                   *u23 = adv_user(23);
        CHECK_INT(adv_enroll(&env, u20, k20, 30), 0);
        CHECK_INT(adv_enroll(&env, u21, k21, 30), 0);
        CHECK_INT(adv_enroll(&env, u22, k22, 30), 0);
        CHECK_INT(adv_enroll(&env, u23, k23, 30), 0);
        char code[9], wrong[9];
        /* Offset 0: grants, a lockout, a rate limit. */
        good_code(k20, code);
        CHECK_INT(adv_attempt(&env, "adv-short", u20, code, &rep), SU_REP_ALLOW);
        good_code(k21, code);
        CHECK_INT(adv_attempt(&env, "adv-long", u21, code, &rep), SU_REP_ALLOW);
        CHECK_INT(decide("adv-short", u20, &rep), SU_REP_ALLOW);
        adv_wrong_code(k22, 30, wrong);
        for (int i = 0; i < 3; i++)
                CHECK_INT(adv_attempt(&env, "adv-always", u22, wrong, &rep), SU_REP_DENY);
        adv_wrong_code(k23, 30, wrong);
        for (int i = 0; i < 2; i++)
                CHECK_INT(adv_attempt(&env, "adv-always", u23, wrong, &rep), SU_REP_DENY);
        good_code(k23, code);
        CHECK_INT(adv_attempt(&env, "adv-always", u23, code, &rep), SU_REP_ALLOW);
        CHECK_INT(adv_status_num(&env, u23, "consecutive_failures"), 0);

        /* An expired grant is not revived by setting the clock back. */
        sleep(4);
        CHECK_INT(decide("adv-short", u20, &rep), SU_REP_CHALLENGE);
        set_offset("-4");
        CHECK_INT(decide("adv-short", u20, &rep), SU_REP_CHALLENGE);
        set_offset("-2");
        CHECK_INT(decide("adv-short", u20, &rep), SU_REP_CHALLENGE);

        /* Far back: the grant is from the future, void; the lock and the limit hold. */
        set_offset("-3600");
        CHECK_INT(decide("adv-long", u21, &rep), SU_REP_CHALLENGE);
        CHECK_INT(decide("adv-always", u22, &rep), SU_REP_DENY);
        CHECK(strstr(su_msg_str(&rep, SU_T_MESSAGE), "locked") != NULL);
        CHECK_INT(wait_of(&rep), 60);
        CHECK_INT(decide("adv-always", u23, &rep), SU_REP_DENY);
        CHECK(strstr(su_msg_str(&rep, SU_T_MESSAGE), "too many attempts") != NULL);
        CHECK_INT(wait_of(&rep), 30);

        /* Forward is checked on the row itself in test_rows (verified_at an hour back):
         * libfaketime also shifts the daemon's timerfd deadlines, so with a forward
         * offset sd-event's CLOCK_MONOTONIC idle timers fire at once. */
        set_offset("+0");
        /* Control: the row itself is still good at the right time. */
        CHECK_INT(decide("adv-long", u21, &rep), SU_REP_ALLOW);
        CHECK(!adv_log_has_secret(&env, k20) && !adv_log_has_secret(&env, k21));
}

static int sql(const char *stmt)
{
        return adv_sh("sqlite3 '%s' \"%s\"", env.db, stmt);
}

static void restart_and_expect(const char *user, int type, const char *why)
{
        adv_start(&env);
        struct su_msg rep;
        int t = decide("adv-long", user, &rep);
        if (t != type)
                fprintf(stderr, "%s: reply %d, expected %d\n", why, t, type);
        CHECK_INT(t, type);
        adv_stop(&env);
}

static void test_rows(void)
{
        struct su_msg rep;
        uint8_t key[20];
        const char *u = adv_user(24);
        CHECK_INT(adv_enroll(&env, u, key, 30), 0);
        char code[9];
        good_code(key, code);
        CHECK_INT(adv_attempt(&env, "adv-long", u, code, &rep), SU_REP_ALLOW);
        adv_stop(&env);
        restart_and_expect(u, SU_REP_ALLOW, "same boot, after a restart");

        CHECK_INT(sql("CREATE TABLE keep AS SELECT * FROM assurance"), 0);
        CHECK_INT(sql("UPDATE assurance SET boot_id = '00000000-0000-4000-8000-000000000000'"), 0);
        restart_and_expect(u, SU_REP_CHALLENGE, "a row from another boot");
        CHECK_INT(sql("DELETE FROM assurance; INSERT INTO assurance SELECT * FROM keep"), 0);
        restart_and_expect(u, SU_REP_ALLOW, "the row restored");

        CHECK_INT(sql("UPDATE assurance SET verified_at = verified_at + 3600"), 0);
        restart_and_expect(u, SU_REP_CHALLENGE, "a row from the future (wall clock)");
        CHECK_INT(sql("DELETE FROM assurance; INSERT INTO assurance SELECT * FROM keep"), 0);

        CHECK_INT(sql("UPDATE assurance SET verified_boot = verified_boot + 3600"), 0);
        restart_and_expect(u, SU_REP_CHALLENGE, "a row from the future (boot clock)");
        CHECK_INT(sql("DELETE FROM assurance; INSERT INTO assurance SELECT * FROM keep"), 0);

        CHECK_INT(sql("UPDATE assurance SET verified_at = verified_at - 3600"), 0);
        restart_and_expect(u, SU_REP_CHALLENGE, "a row an hour old by the wall clock only");
        CHECK_INT(sql("DELETE FROM assurance; INSERT INTO assurance SELECT * FROM keep"), 0);

        CHECK_INT(sql("UPDATE assurance SET verified_boot = verified_boot - 3600"), 0);
        restart_and_expect(u, SU_REP_CHALLENGE, "a row an hour old by the boot clock only");
        CHECK_INT(sql("DELETE FROM assurance; INSERT INTO assurance SELECT * FROM keep"), 0);
        restart_and_expect(u, SU_REP_ALLOW, "the row restored again");
        CHECK(!adv_log_has_secret(&env, key));
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--probe") == 0) {
                struct timespec w, b;
                clock_gettime(CLOCK_REALTIME, &w);
                clock_gettime(CLOCK_BOOTTIME, &b);
                printf("%lld %lld\n", (long long)w.tv_sec, (long long)b.tv_sec);
                return 0;
        }
        if (access(FAKETIME_LIB, R_OK) != 0) {
                fprintf(stderr, "SKIP: libfaketime is not installed (tools/deps test)\n");
                return 77;
        }
        test_faketime_keeps_boottime(argv[0]);
        adv_setup(&env, POLICY,
                  "rate_limit_attempts = 3\nrate_limit_window = 30\n"
                  "lockout_failures = 3\nlockout_duration = 60\n");
        snprintf(ftfile, sizeof(ftfile), "%s/faketime", env.dir);
        set_offset("+0");
        char pre[256], file[200];
        snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", FAKETIME_LIB);
        snprintf(file, sizeof(file), "FAKETIME_TIMESTAMP_FILE=%s", ftfile);
        char *extra[] = {pre, file, "FAKETIME_NO_CACHE=1", "FAKETIME_DONT_FAKE_MONOTONIC=1", NULL};
        int st;
        CHECK_INT(adv_start_ex(&env, "stepupd", extra, NULL, &st), 0);
        test_clock_moves();
        adv_stop(&env);
        adv_start(&env); /* the real clock from here on */
        test_rows();
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
