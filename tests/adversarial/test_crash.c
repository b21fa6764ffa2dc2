/* Crash safety.  Part 1: stepupd-faults dies (_exit) at each fault point of the verify path;
 * part 2: stepupd gets SIGKILL at random moments during N verifications (default 200; the
 * documented long run uses 1000) by 50 users, each with its own secret.  After every crash:
 * PRAGMA integrity_check is ok, a code acknowledged as accepted stays consumed, failure
 * counts never go down (unless a valid code may have reset them), and no user has an
 * assurance record without having sent a valid code.
 * Usage: test-crash [VERIFICATIONS]   (ADV_SEED=n to replay a run) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define NUSERS 50
#define PERIOD 10
#define SERVICE "adv-crash"

struct user {
        uint8_t key[20];
        int64_t last_sent_step; /* highest step sent as a valid code */
        char acked[9];          /* last code answered ALLOW, "" if none */
        long long floor;        /* consecutive failures can be no lower than this */
        bool valid_sent;        /* a valid code went out (acknowledged or not) */
};

static struct adv_env env;
static struct user users[NUSERS];
static unsigned crashes, kills_landed_in_verify;

static const char *msg_of(const struct su_msg *rep)
{
        const char *m = su_msg_str(rep, SU_T_MESSAGE);
        return m ? m : "";
}

/* "... (N of M failures before lockout)": N, or -1. */
static long long failures_in(const char *m)
{
        const char *p = strrchr(m, '(');
        long long n;
        return p && sscanf(p, "(%lld of", &n) == 1 ? n : -1;
}

static void integrity_ok(void)
{
        char out[256];
        int r = adv_sh_out(out, sizeof(out), "sqlite3 '%s' 'PRAGMA integrity_check'", env.db);
        if (r != 0 || strcmp(out, "ok") != 0)
                fprintf(stderr, "integrity_check: %s (exit %d)\n", out, r);
        CHECK(r == 0 && strcmp(out, "ok") == 0);
}

/* Every invariant, for every user, on a running daemon. */
static void check_invariants(const char *when)
{
        for (int i = 0; i < NUSERS; i++) {
                struct user *u = &users[i];
                long long f = adv_status_num(&env, adv_user(10 + i), "consecutive_failures");
                long long a = adv_status_num(&env, adv_user(10 + i), "assurance_records");
                if (f < u->floor)
                        fprintf(stderr, "%s: %s failures went down: %lld < %lld\n", when,
                                adv_user(10 + i), f, u->floor);
                CHECK(f >= u->floor);
                if (!u->valid_sent && a != 0)
                        fprintf(stderr, "%s: %s has assurance without a verification\n", when,
                                adv_user(10 + i));
                CHECK(u->valid_sent || a == 0);
                u->floor = f;
        }
}

/* The last acknowledged code of user i, replayed: refused. */
static void check_replay(int i, const char *when)
{
        struct user *u = &users[i];
        struct su_msg rep;
        if (!u->acked[0])
                return;
        int t = adv_attempt(&env, SERVICE, adv_user(10 + i), u->acked, &rep);
        if (t != SU_REP_DENY)
                fprintf(stderr, "%s: replay of %s's accepted code: reply %d %s\n", when,
                        adv_user(10 + i), t, msg_of(&rep));
        CHECK_INT(t, SU_REP_DENY);
        long long n = failures_in(msg_of(&rep));
        if (n >= 0)
                u->floor = n;
}

static void restart_after_crash(void)
{
        crashes++;
        integrity_ok();
        adv_start(&env);
}

/* A valid code for user i if one is free (a step not yet sent, inside the window). */
static bool next_valid(int i, char code[9], int64_t *step)
{
        int64_t now = adv_step_now(PERIOD);
        int64_t s = users[i].last_sent_step + 1 > now ? users[i].last_sent_step + 1 : now;
        if (s > now + 1)
                return false;
        adv_code(users[i].key, PERIOD, s, code);
        *step = s;
        return true;
}

/* --- part 1: fault points --- */
struct fault {
        const char *name;
        bool valid;    /* send a valid code (else a wrong one) */
        bool replied;  /* the client still gets its reply */
        bool consumed; /* the code is spent afterwards */
        int counted;   /* failures added */
};

static const struct fault faults[] = {
    {"before-attempt", true, false, false, 0},
    {"after-attempt", true, false, false, 0},
    {"before-commit", true, false, false, 0},
    {"mid-commit", true, false, false, 0},
    {"after-commit-before-reply", true, false, true, 0},
    {"after-reply-sent:2", true, true, true, 0},
    {"before-failure", false, false, false, 0},
    {"mid-failure", false, false, false, 0},
    {"after-failure-before-reply", false, false, false, 1},
};

static void test_faults(void)
{
        for (size_t f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
                const struct fault *ft = &faults[f];
                int i = (int)f;
                struct user *u = &users[i];
                const char *name = adv_user(10 + i);
                long long before = adv_status_num(&env, name, "consecutive_failures");
                adv_stop(&env);
                char envv[96];
                snprintf(envv, sizeof(envv), "STEPUPD_FAULT=%s", ft->name);
                char *extra[] = {envv, NULL};
                int st;
                CHECK_INT(adv_start_ex(&env, "stepupd-faults", extra, NULL, &st), 0);
                char code[9];
                int64_t step = 0;
                if (ft->valid) {
                        CHECK(next_valid(i, code, &step));
                        u->last_sent_step = step;
                        u->valid_sent = true;
                } else {
                        adv_wrong_code(u->key, PERIOD, code);
                }
                struct su_msg rep;
                int t = adv_attempt(&env, SERVICE, name, code, &rep);
                if (ft->replied)
                        CHECK_INT(t, SU_REP_ALLOW);
                else
                        CHECK(t == -ECONNRESET || t == -EPIPE);
                st = adv_wait_exit(&env, 5000);
                if (!(WIFEXITED(st) && WEXITSTATUS(st) == 99))
                        fprintf(stderr, "fault %s: the daemon did not stop there\n", ft->name);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 99);
                restart_after_crash();
                long long after = adv_status_num(&env, name, "consecutive_failures");
                CHECK_INT(after, before + ft->counted);
                CHECK_INT(adv_status_num(&env, name, "assurance_records"), ft->consumed ? 1 : 0);
                /* The same code again: accepted only if it was not spent. */
                t = adv_attempt(&env, SERVICE, name, code, &rep);
                bool want_allow = ft->valid && !ft->consumed;
                if (t != (want_allow ? SU_REP_ALLOW : SU_REP_DENY))
                        fprintf(stderr, "fault %s: the code again gave %d (%s)\n", ft->name, t,
                                msg_of(&rep));
                CHECK_INT(t, want_allow ? SU_REP_ALLOW : SU_REP_DENY);
                if (t == SU_REP_ALLOW)
                        snprintf(u->acked, sizeof(u->acked), "%s", code);
                else if (ft->valid)
                        CHECK(strstr(msg_of(&rep), "already used") != NULL);
                printf("fault point %-28s ok\n", ft->name);
        }
        check_invariants("after the fault points");
}

/* --- part 2: SIGKILL at random moments --- */
static pid_t start_killer(unsigned max_us)
{
        pid_t daemon = env.pid;
        useconds_t d = (useconds_t)(random() % max_us);
        fflush(NULL);
        pid_t k = fork();
        if (k == 0) {
                usleep(d);
                kill(daemon, SIGKILL);
                _exit(0);
        }
        return k;
}

static void test_random_kills(int n)
{
        unsigned acked = 0, failures = 0;
        for (int it = 0; it < n; it++) {
                int i = it % NUSERS;
                struct user *u = &users[i];
                const char *name = adv_user(10 + i);
                char code[9];
                int64_t step = 0;
                bool valid = (random() & 1) && next_valid(i, code, &step);
                if (valid) {
                        u->last_sent_step = step;
                        u->valid_sent = true;
                } else {
                        adv_wrong_code(u->key, PERIOD, code);
                }
                struct su_msg rep;
                int fd = su_client_connect(env.pam_sock, 5000);
                CHECK(fd >= 0);
                CHECK_INT(adv_decide(fd, SERVICE, name, &rep), 0);
                CHECK_INT(rep.type, SU_REP_CHALLENGE);
                char id[33];
                snprintf(id, sizeof(id), "%s", su_msg_str(&rep, SU_T_CHALLENGE));
                bool kill_now = random() % 5 == 0;
                pid_t killer = kill_now ? start_killer(1500) : 0;
                int r = adv_verify(fd, id, code, &rep);
                close(fd);
                if (r == 0 && rep.type == SU_REP_ALLOW) {
                        CHECK(valid);
                        snprintf(u->acked, sizeof(u->acked), "%s", code);
                        u->floor = 0; /* a success resets the count */
                        acked++;
                } else if (r == 0) {
                        if (valid)
                                fprintf(stderr, "a valid code was refused: %s\n", msg_of(&rep));
                        CHECK(!valid);
                        long long c = failures_in(msg_of(&rep));
                        CHECK(c >= u->floor + 1);
                        u->floor = c;
                        failures++;
                } else {
                        CHECK(kill_now);
                        kills_landed_in_verify++;
                        if (valid)
                                u->floor = 0; /* it may have been accepted */
                }
                if (killer) {
                        waitpid(killer, NULL, 0);
                        waitpid(env.pid, NULL, 0);
                        env.pid = 0;
                        restart_after_crash();
                        check_invariants("after a random kill");
                        check_replay(i, "after a random kill");
                }
        }
        /* The end: one more kill -9, then every accepted code replayed. */
        adv_kill9(&env);
        restart_after_crash();
        check_invariants("at the end");
        for (int i = 0; i < NUSERS; i++)
                check_replay(i, "at the end");
        printf("%d verifications: %u accepted, %u refused, %u crashes (%u during a verify)\n", n,
               acked, failures, crashes, kills_landed_in_verify);
}

int main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 200;
        unsigned seed = getenv("ADV_SEED") ? (unsigned)atoi(getenv("ADV_SEED"))
                                           : (unsigned)time(NULL) ^ (unsigned)getpid();
        srandom(seed);
        printf("seed %u\n", seed);
        adv_setup(&env, "require totp within 0 when service " SERVICE "\ndeny\n",
                  "rate_limit_attempts = 1000\nlockout_failures = 100\n");
        adv_start(&env);
        for (int i = 0; i < NUSERS; i++) {
                CHECK_INT(adv_enroll(&env, adv_user(10 + i), users[i].key, PERIOD), 0);
                users[i].last_sent_step = -1;
        }
        test_faults();
        test_random_kills(n);
        for (int i = 0; i < NUSERS; i++)
                CHECK(!adv_log_has_secret(&env, users[i].key));
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
