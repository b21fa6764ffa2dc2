/* Helpers of the adversarial tests: see harness.h. */
#include "harness.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockio.h"
#include "totp.h"

static int timeout_ms(void)
{
        const char *t = getenv("ADV_TIMEOUT_MS"); /* raised for valgrind runs */
        return t ? atoi(t) : 5000;
}

long long adv_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *adv_user(unsigned i)
{
        static char names[ADV_USERS][8];
        i %= ADV_USERS;
        snprintf(names[i], sizeof(names[i]), "adv%02u", i);
        return names[i];
}

static void die(const char *what)
{
        fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
        exit(2);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
            fchmod(fd, mode) < 0)
                die(path);
        close(fd);
}

void adv_write_conf(struct adv_env *e, const char *conf)
{
        write_file(e->conf, conf ? conf : "", 0644);
}

void adv_setup(struct adv_env *e, const char *policy, const char *conf)
{
        memset(e, 0, sizeof(*e));
        e->build = getenv("ADV_BUILD");
        if (!e->build) {
                fprintf(stderr, "run through tests/adversarial/run-adv.sh\n");
                exit(2);
        }
        snprintf(e->dir, sizeof(e->dir), "/tmp/stepup-adv.XXXXXX");
        if (!mkdtemp(e->dir) || chmod(e->dir, 0711) < 0)
                die("mkdtemp");
        snprintf(e->pam_sock, sizeof(e->pam_sock), "%s/pam.sock", e->dir);
        snprintf(e->user_sock, sizeof(e->user_sock), "%s/user.sock", e->dir);
        snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
        snprintf(e->db, sizeof(e->db), "%s/stepup.db", e->state);
        snprintf(e->log, sizeof(e->log), "%s/stepupd.log", e->dir);
        snprintf(e->policy, sizeof(e->policy), "%s/policy.conf", e->dir);
        snprintf(e->conf, sizeof(e->conf), "%s/stepupd.conf", e->dir);
        snprintf(e->questions, sizeof(e->questions), "%s/questions.conf", e->dir);
        if (mkdir(e->state, 0700) < 0)
                die("mkdir state");
        write_file(e->policy, policy, 0644);
        adv_write_conf(e, conf);
        write_file(e->questions,
                   "pet: Your first pet?\ncity: Your birth city?\nfood: Your favourite food?\n",
                   0644);
}

int adv_start_ex(struct adv_env *e, const char *exe, char *const extra_env[], const char *wrapper,
                 int *status)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/stepupd/%s", e->build, exe);
        char wrap[512] = "";
        char *argv[48];
        int argc = 0;
        if (wrapper) {
                snprintf(wrap, sizeof(wrap), "%s", wrapper);
                for (char *t = strtok(wrap, " "); t && argc < 32; t = strtok(NULL, " "))
                        argv[argc++] = t;
        }
        argv[argc++] = path;
        argv[argc++] = "--socket";
        argv[argc++] = e->pam_sock;
        argv[argc++] = "--user-socket";
        argv[argc++] = e->user_sock;
        argv[argc++] = "--db";
        argv[argc++] = e->db;
        argv[argc++] = "--policy";
        argv[argc++] = e->policy;
        argv[argc++] = "--config";
        argv[argc++] = e->conf;
        argv[argc++] = "--questions";
        argv[argc++] = e->questions;
        argv[argc] = NULL;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                int log = open(e->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
                int null = open("/dev/null", O_RDONLY);
                if (log < 0 || null < 0)
                        _exit(120);
                dup2(null, 0);
                dup2(log, 1);
                dup2(log, 2);
                for (size_t i = 0; extra_env && extra_env[i]; i++)
                        putenv(extra_env[i]);
                execvp(argv[0], argv);
                _exit(121);
        }
        e->pid = pid;
        e->starts++;
        long long deadline = adv_now_ms() + (wrapper ? 60000 : 15000);
        while (adv_now_ms() < deadline) {
                int st;
                if (waitpid(pid, &st, WNOHANG) == pid) {
                        e->pid = 0;
                        if (status)
                                *status = st;
                        return -1;
                }
                int fd = su_client_connect(e->user_sock, 100);
                if (fd >= 0) {
                        close(fd);
                        return 0;
                }
                usleep(10000);
        }
        fprintf(stderr, "harness: %s did not start\n", exe);
        adv_kill9(e);
        if (status)
                *status = -1;
        return -1;
}

void adv_start(struct adv_env *e)
{
        int st;
        if (adv_start_ex(e, "stepupd", NULL, getenv("ADV_WRAPPER"), &st) < 0) {
                fprintf(stderr, "harness: stepupd exited at start (status 0x%x)\n", st);
                adv_dump_log(e);
                adv_cleanup(e);
                exit(1);
        }
}

static int wait_pid(pid_t pid, int ms, int *st)
{
        long long deadline = adv_now_ms() + ms;
        while (adv_now_ms() < deadline) {
                pid_t r = waitpid(pid, st, WNOHANG);
                if (r == pid || (r < 0 && errno == ECHILD))
                        return 0;
                usleep(5000);
        }
        return -1;
}

int adv_stop(struct adv_env *e)
{
        int st = -1;
        if (e->pid <= 0)
                return -1;
        kill(e->pid, SIGTERM);
        if (wait_pid(e->pid, getenv("ADV_WRAPPER") ? 60000 : 10000, &st) < 0) {
                kill(e->pid, SIGKILL);
                waitpid(e->pid, &st, 0);
                st = -1;
        }
        e->pid = 0;
        return st;
}

void adv_kill9(struct adv_env *e)
{
        if (e->pid <= 0)
                return;
        kill(e->pid, SIGKILL);
        waitpid(e->pid, NULL, 0);
        e->pid = 0;
}

int adv_wait_exit(struct adv_env *e, int ms)
{
        int st = -1;
        if (e->pid <= 0)
                return -1;
        if (wait_pid(e->pid, ms, &st) < 0)
                return -1;
        e->pid = 0;
        return st;
}

void adv_cleanup(struct adv_env *e)
{
        adv_kill9(e);
        if (e->dir[0] && !getenv("ADV_KEEP"))
                adv_sh("rm -rf '%s'", e->dir);
}

int adv_call(const char *sock, struct su_msg *req, struct su_msg *rep)
{
        int fd = su_client_connect(sock, timeout_ms());
        if (fd < 0)
                return fd;
        int r = su_client_call(fd, req, rep, timeout_ms());
        close(fd);
        return r;
}

int adv_enroll(struct adv_env *e, const char *user, uint8_t key[20], unsigned period)
{
        char b32[64];
        if (getrandom(key, 20, 0) != 20)
                die("getrandom");
        su_base32_encode(key, 20, b32, sizeof(b32));
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_ENROLL_SET);
        su_msg_put_str(&req, SU_T_USER, user);
        su_msg_put_str(&req, SU_T_SECRET, b32);
        su_msg_put_u32(&req, SU_T_PERIOD, period ? period : 30);
        explicit_bzero(b32, sizeof(b32));
        int r = adv_call(e->pam_sock, &req, &rep);
        su_msg_wipe(&req);
        if (r < 0)
                return r;
        return rep.type == SU_REP_OK ? 0 : -EPROTO;
}

int adv_decide(int fd, const char *service, const char *user, struct su_msg *rep)
{
        struct su_msg req;
        su_msg_init(&req, SU_REQ_DECIDE);
        su_msg_put_str(&req, SU_T_SERVICE, service);
        su_msg_put_str(&req, SU_T_USER, user);
        su_msg_put_u32(&req, SU_T_PHASE, SU_PHASE_AUTH);
        return su_client_call(fd, &req, rep, timeout_ms());
}

int adv_verify(int fd, const char *id, const char *answer, struct su_msg *rep)
{
        struct su_msg req;
        su_msg_init(&req, SU_REQ_VERIFY);
        su_msg_put_str(&req, SU_T_CHALLENGE, id);
        su_msg_put_str(&req, SU_T_ANSWER, answer);
        int r = su_client_call(fd, &req, rep, timeout_ms());
        su_msg_wipe(&req);
        return r;
}

int adv_attempt(struct adv_env *e, const char *service, const char *user, const char *answer,
                struct su_msg *rep)
{
        int fd = su_client_connect(e->pam_sock, timeout_ms());
        if (fd < 0)
                return fd;
        int r = adv_decide(fd, service, user, rep);
        if (r >= 0 && rep->type == SU_REP_CHALLENGE) {
                char id[33];
                snprintf(id, sizeof(id), "%s",
                         su_msg_str(rep, SU_T_CHALLENGE) ? su_msg_str(rep, SU_T_CHALLENGE) : "");
                r = adv_verify(fd, id, answer, rep);
        }
        close(fd);
        return r < 0 ? r : rep->type;
}

long long adv_status_num(struct adv_env *e, const char *user, const char *key)
{
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_STATUS);
        su_msg_put_str(&req, SU_T_USER, user);
        if (adv_call(e->pam_sock, &req, &rep) < 0 || rep.type != SU_REP_OK)
                return -2;
        const char *data = su_msg_str(&rep, SU_T_DATA);
        json_t *o = data ? json_loads(data, 0, NULL) : NULL;
        json_t *v = json_object_get(o, key);
        long long n = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
        json_decref(o);
        return n;
}

static int simple(struct adv_env *e, uint8_t type, const char *user)
{
        struct su_msg req, rep;
        su_msg_init(&req, type);
        su_msg_put_str(&req, SU_T_USER, user);
        int r = adv_call(e->pam_sock, &req, &rep);
        return r < 0 ? r : rep.type == SU_REP_OK ? 0 : -EPROTO;
}

int adv_unlock(struct adv_env *e, const char *user)
{
        return simple(e, SU_REQ_UNLOCK, user);
}

int adv_revoke(struct adv_env *e, const char *user)
{
        return simple(e, SU_REQ_REVOKE, user);
}

static struct su_totp_params params(unsigned period)
{
        struct su_totp_params p;
        su_totp_params_default(&p);
        p.period = period ? period : 30;
        return p;
}

int64_t adv_step_now(unsigned period)
{
        struct su_totp_params p = params(period);
        return su_totp_step(&p, time(NULL));
}

void adv_code(const uint8_t key[20], unsigned period, int64_t step, char out[9])
{
        static bool init;
        if (!init) {
                su_totp_init();
                init = true;
        }
        struct su_totp_params p = params(period);
        su_totp_code(key, 20, &p, step, out);
}

void adv_wrong_code(const uint8_t key[20], unsigned period, char out[9])
{
        int64_t now = adv_step_now(period);
        char near[5][9];
        for (int i = 0; i < 5; i++)
                adv_code(key, period, now - 2 + i, near[i]);
        for (unsigned v = 100000;; v += 7919) {
                snprintf(out, 9, "%06u", v % 1000000);
                bool clash = false;
                for (int i = 0; i < 5; i++)
                        clash |= strcmp(out, near[i]) == 0;
                if (!clash)
                        return;
        }
}

static char *read_log(struct adv_env *e)
{
        FILE *f = fopen(e->log, "re");
        if (!f)
                return NULL;
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);
        size_t n;
        while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
                len += n;
                if (cap - len < 4096) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                buf = NULL;
                                break;
                        }
                        buf = nb;
                        cap *= 2;
                }
        }
        fclose(f);
        if (buf)
                buf[len] = 0;
        return buf;
}

int adv_log_count(struct adv_env *e, const char *needle)
{
        char *log = read_log(e);
        int n = 0;
        for (const char *p = log; p && (p = strstr(p, needle)); p += strlen(needle))
                n++;
        free(log);
        return n;
}

bool adv_log_has_secret(struct adv_env *e, const uint8_t key[20])
{
        char hex[41], b32[64];
        for (int i = 0; i < 20; i++)
                snprintf(hex + 2 * i, 3, "%02x", key[i]);
        su_base32_encode(key, 20, b32, sizeof(b32));
        char *log = read_log(e);
        bool found = log && (strstr(log, hex) || strcasestr(log, b32));
        free(log);
        return found;
}

void adv_dump_log(struct adv_env *e)
{
        fprintf(stderr, "--- %s (last 60 lines)\n", e->log);
        adv_sh("tail -n 60 '%s' >&2", e->log);
}

int adv_sh(const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        fflush(NULL);
        int st = system(cmd);
        return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

int adv_sh_out(char *out, size_t size, const char *fmt, ...)
{
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        fflush(NULL);
        FILE *p = popen(cmd, "r");
        if (!p)
                return -1;
        out[0] = 0;
        if (fgets(out, (int)size, p))
                out[strcspn(out, "\n")] = 0;
        int st = pclose(p);
        return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}
