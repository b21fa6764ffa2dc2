/* Secrets stay in the database: stepupd (run here as an unprivileged user, as in production)
 * cannot dump core (RLIMIT_CORE 0 and not dumpable: /proc/PID files then belong to root),
 * its database is 0600 in a 0700 directory, it refuses to start when that directory is
 * group/world-writable or owned by someone else, and no secret or typed answer reaches its
 * log or a STATUS reply. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define RUN_AS "adv61"

static struct adv_env env;
static char wrapper[128];

static void test_process(void)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/limits", (int)env.pid);
        FILE *f = fopen(path, "re");
        bool core0 = false;
        while (f && fgets(line, sizeof(line), f)) {
                unsigned long long soft, hard;
                if (sscanf(line, "Max core file size %llu %llu", &soft, &hard) == 2)
                        core0 = soft == 0 && hard == 0;
        }
        if (f)
                fclose(f);
        CHECK(core0);
        /* Not dumpable: the kernel gives its /proc files to root although it runs as RUN_AS. */
        struct passwd *pw = getpwnam(RUN_AS);
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%d/status", (int)env.pid);
        f = fopen(path, "re");
        unsigned uid = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Uid: %u", &uid) == 1)
                        break;
        if (f)
                fclose(f);
        CHECK(pw && uid == pw->pw_uid);
        snprintf(path, sizeof(path), "/proc/%d/environ", (int)env.pid);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_uid, 0);
}

static void test_files(void)
{
        struct stat st;
        CHECK_INT(stat(env.state, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0700);
        CHECK_INT(stat(env.db, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0600); /* it was created 0644 by the test */
        char side[200];
        snprintf(side, sizeof(side), "%s-wal", env.db);
        if (stat(side, &st) == 0)
                CHECK_INT(st.st_mode & 077, 0);
        snprintf(side, sizeof(side), "%s-shm", env.db);
        if (stat(side, &st) == 0)
                CHECK_INT(st.st_mode & 077, 0);
}

static void expect_refusal(const char *why)
{
        int st = 0;
        int r = adv_start_ex(&env, "stepupd", NULL, wrapper, &st);
        if (r == 0)
                fprintf(stderr, "stepupd started with %s\n", why);
        CHECK(r < 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0);
        if (r == 0)
                adv_stop(&env);
}

static void test_dir_checks(void)
{
        adv_stop(&env);
        int refusals = adv_log_count(&env, "cannot open the database");
        CHECK_INT(chmod(env.state, 0777), 0);
        expect_refusal("a world-writable state directory");
        CHECK_INT(chmod(env.state, 0770), 0);
        expect_refusal("a group-writable state directory");
        CHECK_INT(chmod(env.state, 0700), 0);
        struct passwd *other = getpwnam("adv60");
        CHECK(other && chown(env.state, other->pw_uid, other->pw_gid) == 0);
        CHECK_INT(chmod(env.state, 0777), 0); /* reachable, but not its own */
        expect_refusal("a state directory owned by another user");
        CHECK_INT(adv_log_count(&env, "cannot open the database"), refusals + 3);
        struct passwd *pw = getpwnam(RUN_AS);
        CHECK(pw && chown(env.state, pw->pw_uid, pw->pw_gid) == 0);
        CHECK_INT(chmod(env.state, 0700), 0);
        int st;
        CHECK_INT(adv_start_ex(&env, "stepupd", NULL, wrapper, &st), 0);
}

static void test_no_secret_out(void)
{
        uint8_t key[20];
        CHECK_INT(adv_enroll(&env, adv_user(30), key, 30), 0);
        /* A secret the daemon makes itself (ENROLL_BEGIN) goes to the caller only. */
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_ENROLL_BEGIN);
        su_msg_put_str(&req, SU_T_USER, adv_user(31));
        CHECK_INT(adv_call(env.pam_sock, &req, &rep), 0);
        CHECK_INT(rep.type, SU_REP_OK);
        char made[129] = "";
        snprintf(made, sizeof(made), "%s",
                 su_msg_str(&rep, SU_T_SECRET) ? su_msg_str(&rep, SU_T_SECRET) : "");
        CHECK(strlen(made) >= 32);
        /* Typed answers: a canary through VERIFY and ENROLL_CONFIRM. */
        const char *canary = "canary7c1f";
        CHECK_INT(adv_attempt(&env, "adv-a", adv_user(30), canary, &rep), SU_REP_DENY);
        su_msg_init(&req, SU_REQ_ENROLL_CONFIRM);
        su_msg_put_str(&req, SU_T_USER, adv_user(31));
        su_msg_put_str(&req, SU_T_ANSWER, canary);
        CHECK_INT(adv_call(env.pam_sock, &req, &rep), 0);
        /* STATUS tells about the factor, never its secret. */
        su_msg_init(&req, SU_REQ_STATUS);
        su_msg_put_str(&req, SU_T_USER, adv_user(30));
        CHECK_INT(adv_call(env.pam_sock, &req, &rep), 0);
        CHECK(su_msg_str(&rep, SU_T_SECRET) == NULL);
        adv_stop(&env);
        CHECK(!adv_log_has_secret(&env, key));
        CHECK_INT(adv_log_count(&env, made), 0);
        CHECK_INT(adv_log_count(&env, canary), 0);
        CHECK(adv_log_count(&env, "event=verify-fail") >= 1); /* the log did see them */
}

int main(void)
{
        struct passwd *pw = getpwnam(RUN_AS);
        if (!pw) {
                fprintf(stderr, "run through tests/adversarial/run-adv.sh\n");
                return 2;
        }
        snprintf(wrapper, sizeof(wrapper), "setpriv --reuid=%u --regid=%u --clear-groups",
                 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
        adv_setup(&env, "require totp within 15m when service adv-a\ndeny\n", "");
        /* The daemon's own directories, as systemd's StateDirectory/RuntimeDirectory. */
        CHECK_INT(chown(env.dir, pw->pw_uid, pw->pw_gid), 0);
        CHECK_INT(chown(env.state, pw->pw_uid, pw->pw_gid), 0);
        FILE *f = fopen(env.db, "we");
        CHECK(f != NULL);
        if (f)
                fclose(f);
        CHECK_INT(chmod(env.db, 0644), 0);
        CHECK_INT(chown(env.db, pw->pw_uid, pw->pw_gid), 0);
        int st;
        if (adv_start_ex(&env, "stepupd", NULL, wrapper, &st) < 0) {
                adv_dump_log(&env);
                adv_cleanup(&env);
                return 1;
        }
        test_process();
        test_files();
        test_dir_checks();
        test_no_secret_out();
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
