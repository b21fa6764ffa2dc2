/* common/client.c, the one client conversation, and its front ends stepup-ssh and stepupctl,
 * against fake stepupd servers (forked here, one per case, on a temporary directory):
 * why a conversation failed decides the failmode, so each kind of failure is checked, and
 * failmode safe may allow only when stepupd is not running (no socket file, or nobody
 * listening).  The PAM module's side is tests/adversarial/test_failmode.c.
 * Usage: test-client STEPUP_SSH STEPUPCTL */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "client.h"

#define ANSWER "424242"
#define CHAL_ID "0123456789abcdef0123456789abcdef"

enum mode {
        F_ABSENT,   /* no socket file */
        F_REFUSED,  /* a socket file, nobody listening */
        F_NOACCEPT, /* listening, never accepting: connect works, no answer */
        F_SILENT,   /* accepts, reads, never answers */
        F_BUSY,     /* ERROR EBUSY "stepupd busy", as stepupd at capacity */
        F_ALLOW,    /* ALLOW at once */
        F_CHAL,     /* CHALLENGE (ECHO 1, a MESSAGE); ALLOW for ANSWER, else DENY */
        F_CHAL2,    /* CHALLENGE without ECHO and MESSAGE, then as F_CHAL */
        F_LOOP,     /* CHALLENGE after every VERIFY, for ever */
        F_PROOF,    /* CHALLENGE; VERIFY -> ALLOW; the request again -> OK */
        F_NOFIELDS, /* CHALLENGE without its id and prompt */
        F_TAB,      /* OK with DATA whose value holds a tab (STATUS) */
        F_ENTER,    /* CHALLENGE with ENTER 1; ALLOW for an empty ANSWER, else DENY */
};

static char dir[] = "/tmp/test-client.XXXXXX";
static int held_fd = -1; /* F_NOACCEPT's listening socket */

static int recv_msg(int fd, struct su_msg *m)
{
        uint8_t buf[SU_MSG_MAX];
        size_t len, got = 0;
        while (got < SU_FRAME_HDR) {
                ssize_t n = recv(fd, buf + got, SU_FRAME_HDR - got, 0);
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        if (su_frame_len(buf, &len) < 0)
                return -1;
        for (got = 0; got < len;) {
                ssize_t n = recv(fd, buf + got, len - got, 0);
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        return su_msg_decode(buf, len, m);
}

static void send_msg(int fd, const struct su_msg *m)
{
        uint8_t buf[SU_FRAME_HDR + SU_MSG_MAX];
        size_t len;
        if (su_msg_encode(m, buf, sizeof(buf), &len) == 0)
                (void)!send(fd, buf, len, MSG_NOSIGNAL);
}

static void challenge(int fd, bool fields)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_CHALLENGE);
        su_msg_put_str(&rep, SU_T_CHALLENGE, CHAL_ID);
        su_msg_put_str(&rep, SU_T_PROMPT, "Code: ");
        if (fields) {
                su_msg_put_u32(&rep, SU_T_ECHO, 1);
                su_msg_put_str(&rep, SU_T_MESSAGE, "a note first");
        }
        send_msg(fd, &rep);
}

/* "Press Enter once you have approved it": Enter alone answers. */
static void challenge_enter(int fd)
{
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_CHALLENGE);
        su_msg_put_str(&rep, SU_T_CHALLENGE, CHAL_ID);
        su_msg_put_str(&rep, SU_T_PROMPT, "Press Enter: ");
        su_msg_put_u32(&rep, SU_T_ECHO, 1);
        su_msg_put_u32(&rep, SU_T_ENTER, 1);
        send_msg(fd, &rep);
}

static void reply(int fd, uint8_t type, const char *message)
{
        struct su_msg rep;
        su_msg_init(&rep, type);
        if (message)
                su_msg_put_str(&rep, SU_T_MESSAGE, message);
        if (type == SU_REP_ERROR)
                su_msg_put_u32(&rep, SU_T_ERRNO, EBUSY);
        send_msg(fd, &rep);
}

/* A VERIFY for our challenge with the right answer? */
static bool good_verify(const struct su_msg *m)
{
        const char *id = su_msg_str(m, SU_T_CHALLENGE), *a = su_msg_str(m, SU_T_ANSWER);
        return m->type == SU_REQ_VERIFY && id && strcmp(id, CHAL_ID) == 0 && a &&
               strcmp(a, ANSWER) == 0;
}

static void serve(int fd, enum mode mode)
{
        struct su_msg m;
        if (recv_msg(fd, &m) < 0)
                return;
        switch (mode) {
        case F_SILENT:
                while (recv(fd, &m, 1, 0) > 0)
                        ;
                return;
        case F_BUSY:
                reply(fd, SU_REP_ERROR, "stepupd busy");
                return;
        case F_ALLOW:
                reply(fd, SU_REP_ALLOW, NULL);
                return;
        case F_CHAL:
        case F_CHAL2:
                challenge(fd, mode == F_CHAL);
                if (recv_msg(fd, &m) < 0)
                        return;
                reply(fd, good_verify(&m) ? SU_REP_ALLOW : SU_REP_DENY,
                      good_verify(&m) ? NULL : "wrong answer");
                return;
        case F_ENTER: {
                challenge_enter(fd);
                if (recv_msg(fd, &m) < 0)
                        return;
                const char *a = su_msg_str(&m, SU_T_ANSWER);
                bool empty = m.type == SU_REQ_VERIFY && a && *a == 0;
                reply(fd, empty ? SU_REP_ALLOW : SU_REP_DENY, empty ? NULL : "not Enter");
                return;
        }
        case F_LOOP:
                do
                        challenge(fd, false);
                while (recv_msg(fd, &m) >= 0);
                return;
        case F_PROOF:
                challenge(fd, false);
                if (recv_msg(fd, &m) < 0 || !good_verify(&m))
                        return;
                reply(fd, SU_REP_ALLOW, NULL);
                if (recv_msg(fd, &m) < 0 || m.type != SU_REQ_STATUS)
                        return;
                reply(fd, SU_REP_OK, "done after the proof");
                return;
        case F_NOFIELDS: {
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_CHALLENGE);
                send_msg(fd, &rep);
                return;
        }
        case F_TAB: {
                struct su_msg rep;
                su_msg_init(&rep, SU_REP_OK);
                su_msg_put_str(&rep, SU_T_DATA,
                               "{\"user\":\"root\",\"note\":\"a\\tb \\\"q\\\" \\\\\","
                               "\"questions\":3}");
                send_msg(fd, &rep);
                return;
        }
        default:
                return;
        }
}

/* Sets up the socket for mode; returns the server's pid or 0. */
static pid_t fake(enum mode mode, char *path, size_t size)
{
        static int n;
        snprintf(path, size, "%s/s%d.sock", dir, n++);
        if (mode == F_ABSENT)
                return 0;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0)
                abort();
        if (mode == F_REFUSED) {
                close(lfd);
                return 0;
        }
        if (mode == F_NOACCEPT) {
                if (held_fd >= 0)
                        close(held_fd);
                held_fd = lfd;
                return 0;
        }
        pid_t pid = fork();
        if (pid == 0) {
                signal(SIGPIPE, SIG_IGN);
                signal(SIGCHLD, SIG_IGN);
                for (;;) {
                        int fd = accept(lfd, NULL, NULL);
                        if (fd < 0)
                                continue;
                        if (fork() == 0) {
                                serve(fd, mode);
                                _exit(0);
                        }
                        close(fd);
                }
        }
        close(lfd);
        return pid;
}

static void stop(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

/* --- the conversation itself --- */
struct seen {
        int calls;
        bool echo, enter;
        bool empty; /* answer with Enter alone */
        char message[64], prompt[64];
        int fail; /* the callback's result */
};

static int prompt_cb(void *userdata, const char *message, const char *prompt, unsigned flags,
                     char *answer, size_t size)
{
        struct seen *s = userdata;
        s->calls++;
        s->echo = flags & SU_ASK_ECHO;
        s->enter = flags & SU_ASK_ENTER;
        snprintf(s->message, sizeof(s->message), "%s", message ? message : "(none)");
        snprintf(s->prompt, sizeof(s->prompt), "%s", prompt);
        if (s->fail)
                return s->fail;
        snprintf(answer, size, "%s", s->empty ? "" : ANSWER);
        return 0;
}

static long long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One conversation (a STATUS request) against mode; returns its result. */
static int converse(enum mode mode, struct seen *s, bool repeat, struct su_msg *rep,
                    struct su_conv_result *res)
{
        char path[256];
        pid_t pid = fake(mode, path, sizeof(path));
        struct su_conv c = {.socket = path,
                            .timeout_ms = 500,
                            .prompt = s ? prompt_cb : NULL,
                            .userdata = s,
                            .repeat_after_proof = repeat};
        struct su_msg req;
        su_msg_init(&req, SU_REQ_STATUS);
        int r = su_conversation(&c, &req, rep, res);
        stop(pid);
        return r;
}

static void test_conversation(void)
{
        struct su_msg rep;
        struct su_conv_result res;
        struct seen s = {0};

        /* not running: the only failures a failmode=safe may allow */
        CHECK_INT(converse(F_ABSENT, NULL, false, &rep, &res), -ENOENT);
        CHECK_INT(res.end, SU_CONV_NOT_RUNNING);
        CHECK_INT(converse(F_REFUSED, NULL, false, &rep, &res), -ECONNREFUSED);
        CHECK_INT(res.end, SU_CONV_NOT_RUNNING);

        /* there, but no answer: a timeout within the deadline, "broken", never "not running" */
        long long t0 = now_ms();
        CHECK_INT(converse(F_NOACCEPT, NULL, false, &rep, &res), -ETIMEDOUT);
        CHECK_INT(res.end, SU_CONV_BROKEN);
        CHECK(now_ms() - t0 < 3000);
        CHECK_INT(converse(F_SILENT, NULL, false, &rep, &res), -ETIMEDOUT);
        CHECK_INT(res.end, SU_CONV_BROKEN);

        /* busy: a final ERROR reply with its errno, which callers deny */
        uint32_t e = 0;
        CHECK_INT(converse(F_BUSY, NULL, false, &rep, &res), 0);
        CHECK_INT(res.end, SU_CONV_REPLY);
        CHECK_INT(rep.type, SU_REP_ERROR);
        CHECK(su_msg_u32(&rep, SU_T_ERRNO, &e) && e == EBUSY);
        CHECK_STREQ(su_msg_str(&rep, SU_T_MESSAGE), "stepupd busy");

        CHECK_INT(converse(F_ALLOW, NULL, false, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_ALLOW);
        CHECK_INT(res.rounds, 0);

        /* a challenge: the prompt sees the message, the prompt and the echo flag; the server
         * checks the VERIFY (id and answer) */
        CHECK_INT(converse(F_CHAL, &s, false, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_ALLOW);
        CHECK_INT(res.rounds, 1);
        CHECK_INT(s.calls, 1);
        CHECK(s.echo);
        CHECK_STREQ(s.message, "a note first");
        CHECK_STREQ(s.prompt, "Code: ");
        s = (struct seen){0};
        CHECK_INT(converse(F_CHAL2, &s, false, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_ALLOW);
        CHECK(!s.echo); /* ECHO absent: off */
        CHECK_STREQ(s.message, "(none)");

        /* without a prompt callback a challenge is an unexpected reply */
        CHECK_INT(converse(F_CHAL, NULL, false, &rep, &res), -EBADMSG);
        CHECK_INT(res.end, SU_CONV_BROKEN);
        /* a challenge without its fields */
        s = (struct seen){0};
        CHECK_INT(converse(F_NOFIELDS, &s, false, &rep, &res), -EBADMSG);
        CHECK_INT(res.end, SU_CONV_BROKEN);
        CHECK_INT(s.calls, 0);

        /* bounded: a daemon that challenges for ever gets SU_CONV_MAX_ROUNDS answers */
        s = (struct seen){0};
        CHECK_INT(converse(F_LOOP, &s, false, &rep, &res), -ELOOP);
        CHECK_INT(res.end, SU_CONV_BROKEN);
        CHECK_INT(s.calls, SU_CONV_MAX_ROUNDS);
        CHECK_INT(res.rounds, SU_CONV_MAX_ROUNDS);

        /* the person gives up: the callback's errno, and nothing sent */
        s = (struct seen){.fail = -ECANCELED};
        CHECK_INT(converse(F_CHAL, &s, false, &rep, &res), -ECANCELED);
        CHECK_INT(res.end, SU_CONV_PROMPT);
        CHECK_INT(res.rounds, 0);

        /* Enter alone: sent as an empty ANSWER when the challenge says ENTER; otherwise an
         * empty answer is giving up, and nothing is sent */
        s = (struct seen){.empty = true};
        CHECK_INT(converse(F_ENTER, &s, false, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_ALLOW);
        CHECK(s.enter && s.echo);
        CHECK_INT(res.rounds, 1);
        s = (struct seen){.empty = true};
        CHECK_INT(converse(F_CHAL, &s, false, &rep, &res), -ECANCELED);
        CHECK_INT(res.end, SU_CONV_PROMPT);
        CHECK_INT(res.rounds, 0);
        CHECK(!s.enter);

        /* a fresh-proof gate: the request again after the proof's ALLOW */
        s = (struct seen){0};
        CHECK_INT(converse(F_PROOF, &s, true, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_OK);
        CHECK_STREQ(su_msg_str(&rep, SU_T_MESSAGE), "done after the proof");
        s = (struct seen){0};
        CHECK_INT(converse(F_PROOF, &s, false, &rep, &res), 0);
        CHECK_INT(rep.type, SU_REP_ALLOW); /* without the flag the proof's ALLOW is final */
}

/* --- the front ends --- */
static const char *gate_bin, *ctl_bin;

/* Runs argv with SSH_ORIGINAL_COMMAND set and stdin from /dev/null; output into out.
 * Returns the exit status. */
static int run(char *const argv[], char *out, size_t size)
{
        char path[300];
        snprintf(path, sizeof(path), "%s/out", dir);
        pid_t pid = fork();
        if (pid == 0) {
                int in = open("/dev/null", O_RDONLY);
                int o = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (in < 0 || o < 0)
                        _exit(99);
                dup2(in, 0);
                dup2(o, 1);
                dup2(o, 2);
                setsid(); /* no controlling terminal: /dev/tty cannot be opened */
                setenv("SSH_ORIGINAL_COMMAND", "/bin/echo gate-ran", 1);
                execv(argv[0], argv);
                _exit(98);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(out, 1, size - 1, f) : 0;
        out[n] = '\0';
        if (f)
                fclose(f);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int gate(enum mode mode, const char *failmode, char *out, size_t size)
{
        char path[256];
        pid_t pid = fake(mode, path, sizeof(path));
        char *argv[] = {(char *)gate_bin, "--user-socket", path, "--failmode",
                        (char *)failmode, "--timeout",     "1",  NULL};
        int rc = run(argv, out, size);
        stop(pid);
        return rc;
}

static void test_gate(void)
{
        char out[4096];
        /* not running: safe runs the command (and says so), secure refuses */
        for (enum mode m = F_ABSENT; m <= F_REFUSED; m++) {
                CHECK_INT(gate(m, "safe", out, sizeof(out)), 0);
                CHECK(strstr(out, "gate-ran") && strstr(out, "running without step-up"));
                CHECK_INT(gate(m, "secure", out, sizeof(out)), 1);
                CHECK(!strstr(out, "gate-ran") &&
                      strstr(out, "step-up service unavailable: access denied"));
        }
        /* there but not answering, or busy: refused even with failmode safe */
        static const enum mode refused[] = {F_NOACCEPT, F_SILENT, F_BUSY, F_NOFIELDS};
        for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                int rc = gate(refused[i], "safe", out, sizeof(out));
                if (rc != 1 || strstr(out, "gate-ran"))
                        fprintf(stderr, "gate, mode %d, failmode safe: rc %d: %s\n",
                                (int)refused[i], rc, out);
                CHECK_INT(rc, 1);
                CHECK(!strstr(out, "gate-ran") && !strstr(out, "without step-up"));
        }
        CHECK_INT(gate(F_BUSY, "safe", out, sizeof(out)), 1);
        CHECK(strstr(out, "stepup-ssh: stepupd busy") != NULL);
        CHECK_INT(gate(F_SILENT, "safe", out, sizeof(out)), 1);
        CHECK(strstr(out, "did not answer: access denied") != NULL);
        CHECK_INT(gate(F_ALLOW, "secure", out, sizeof(out)), 0);
        CHECK(strstr(out, "gate-ran") != NULL);
        /* a challenge without a terminal: refused, with the documented words */
        CHECK_INT(gate(F_CHAL, "safe", out, sizeof(out)), 1);
        CHECK(strstr(out, "this command needs step-up; run ssh with -t") != NULL);
}

static void test_ctl(void)
{
        char out[4096], path[256], cmd[700];
        /* status --json: a tab, a quote and a backslash in a value still make valid JSON */
        pid_t pid = fake(F_TAB, path, sizeof(path));
        char *argv[] = {(char *)ctl_bin, "--socket", path, "--user-socket", path,
                        "status",        "--json",   NULL};
        CHECK_INT(run(argv, out, sizeof(out)), 0);
        stop(pid);
        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
                 "sys.exit(0 if d == {\"user\": \"root\", \"note\": \"a\\tb \\\"q\\\" \\\\\", "
                 "\"questions\": 3} else 1)' %s/out",
                 dir);
        if (system(cmd) != 0)
                fprintf(stderr, "status --json: %s\n", out);
        CHECK(system(cmd) == 0);
        /* not running, and busy: said as such */
        pid = fake(F_ABSENT, path, sizeof(path));
        char *argv2[] = {(char *)ctl_bin, "--socket", path, "--user-socket", path, "status", NULL};
        CHECK_INT(run(argv2, out, sizeof(out)), 1);
        CHECK(strstr(out, "stepupd is not running") != NULL);
        pid = fake(F_BUSY, path, sizeof(path));
        CHECK_INT(run(argv2, out, sizeof(out)), 1);
        CHECK(strstr(out, "stepupd busy") != NULL);
        stop(pid);
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: test-client STEPUP_SSH STEPUPCTL\n");
                return 2;
        }
        gate_bin = argv[1];
        ctl_bin = argv[2];
        signal(SIGPIPE, SIG_IGN);
        if (!mkdtemp(dir))
                return 2;
        test_conversation();
        test_gate();
        test_ctl();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", dir);
        return check_done();
}
