/* Shared helpers of the adversarial tests: a private stepupd on a temporary directory, the
 * protocol spoken directly (common/sockio.h), TOTP codes computed with stepupd's own totp
 * library.  Every test runs through run-adv.sh (root, private mount namespace, test users
 * adv00..adv63 in a bind-mounted /etc/passwd). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define ADV_USERS 64 /* adv00..adv63 exist inside run-adv.sh's namespace */

struct adv_env {
        char dir[64]; /* mkdtemp, 0711 */
        char pam_sock[128], user_sock[128], state[128], db[160], log[128], policy[128], conf[128],
            questions[128];
        const char *build;
        pid_t pid; /* the running daemon, 0 when none */
        unsigned starts;
};

/* Creates the temporary directory and writes policy and stepupd.conf (conf may be "").  */
void adv_setup(struct adv_env *e, const char *policy, const char *conf);
/* Rewrites stepupd.conf (read at the next start). */
void adv_write_conf(struct adv_env *e, const char *conf);
/* Starts BUILD/stepupd/<exe> ("stepupd" or "stepupd-faults") with extra environment entries
 * (NULL-terminated, may be NULL) and an optional wrapper command ("valgrind ..."); waits
 * until the user socket answers.  Returns 0, or -1 when the daemon exited (*status set). */
int adv_start_ex(struct adv_env *e, const char *exe, char *const extra_env[], const char *wrapper,
                 int *status);
void adv_start(struct adv_env *e); /* plain stepupd; aborts the test when it fails */
/* SIGTERM and wait: the exit status (as waitpid). */
int adv_stop(struct adv_env *e);
/* SIGKILL and wait. */
void adv_kill9(struct adv_env *e);
/* Waits for the daemon to exit by itself (fault points); returns the waitpid status. */
int adv_wait_exit(struct adv_env *e, int timeout_ms);
/* Stops any daemon and removes the directory. */
void adv_cleanup(struct adv_env *e);

/* One request on a new connection. */
int adv_call(const char *sock, struct su_msg *req, struct su_msg *rep);
/* ENROLL_SET as root: a fresh random secret, period 30 or as given. */
int adv_enroll(struct adv_env *e, const char *user, uint8_t key[20], unsigned period);
/* DECIDE (auth phase) / VERIFY on an open PAM-socket connection. */
int adv_decide(int fd, const char *service, const char *user, struct su_msg *rep);
int adv_verify(int fd, const char *id, const char *answer, struct su_msg *rep);
/* DECIDE then, on CHALLENGE, VERIFY with answer on the same connection: the final reply
 * type (SU_REP_*), or negative errno.  rep gets the last reply. */
int adv_attempt(struct adv_env *e, const char *service, const char *user, const char *answer,
                struct su_msg *rep);
/* A number from STATUS BODY ("consecutive_failures", "assurance_records"...), -1 if absent. */
long long adv_status_num(struct adv_env *e, const char *user, const char *key);
int adv_unlock(struct adv_env *e, const char *user);
int adv_revoke(struct adv_env *e, const char *user);

/* The code of key for the step at now + offset_steps, period seconds. */
void adv_code(const uint8_t key[20], unsigned period, int64_t step, char out[9]);
int64_t adv_step_now(unsigned period);
/* A valid-looking code that matches no step near now. */
void adv_wrong_code(const uint8_t key[20], unsigned period, char out[9]);

/* Occurrences of needle in the daemon's log. */
int adv_log_count(struct adv_env *e, const char *needle);
/* True when a secret (as hex or base32) appears in the log: the tests call it at the end. */
bool adv_log_has_secret(struct adv_env *e, const uint8_t key[20]);
/* Prints the log (on failure). */
void adv_dump_log(struct adv_env *e);

/* Runs a shell command; returns its exit status (or -1). */
int adv_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Runs a shell command and reads its first line of output into out. */
int adv_sh_out(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long long adv_now_ms(void);
const char *adv_user(unsigned i); /* "advNN" */
