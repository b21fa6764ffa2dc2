/* Failmode matrix: stepupd absent, refusing, silent, not accepting, slower than the timeout,
 * answering garbage, a bad frame, a reply of the wrong kind, busy, or closing early.  Under
 * failmode=secure the module's own return code (pam_sm_* called directly through dlopen) is an
 * error, never PAM_SUCCESS or PAM_IGNORE, and whole stacks using it as required, requisite,
 * sufficient and [success=1 default=ignore] fail.  Under failmode=safe it allows, with a
 * LOG_CRIT line (captured by interposing libpam's syslog call), only when stepupd is not
 * running (no socket file, or nobody listening: ECONNREFUSED); a daemon that is there but
 * does not answer properly (a timeout, a reset, garbage, "busy") could be made so by a local
 * user, so it is denied whatever the failmode, and so is a real DENY.
 * No daemon is involved: the servers are forked fakes on a temporary directory. */
#include <dlfcn.h>
#include <errno.h>
#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "proto.h"

/* --- syslog capture: libpam's pam_syslog() ends in (__)syslog from libc; these win. --- */
static char logbuf[8192];
static size_t loglen;

static void record(int pri, const char *fmt, va_list ap)
{
        char line[1024];
        vsnprintf(line, sizeof(line), fmt, ap);
        int n =
            snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d>%s\n", pri & LOG_PRIMASK, line);
        if (n > 0 && (size_t)n < sizeof(logbuf) - loglen)
                loglen += (size_t)n;
}

void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        record(pri, fmt, ap);
        va_end(ap);
}

void syslog(int pri, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        record(pri, fmt, ap);
        va_end(ap);
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
        record(pri, fmt, ap);
}

/* --- fake servers --- */
enum mode {
        M_ABSENT,    /* no socket node */
        M_REFUSED,   /* a stale node, nobody listening */
        M_CLOSE,     /* accepts and closes at once */
        M_SILENT,    /* reads the request, never answers */
        M_NOACCEPT,  /* listening, but nobody accepts or reads: connect works, then a timeout */
        M_SLOW,      /* a valid ALLOW, after 3 s (timeout=1) */
        M_GARBAGE,   /* random bytes */
        M_BADMAGIC,  /* a frame whose payload has the wrong magic */
        M_HUGE,      /* a length above SU_MSG_MAX */
        M_HALF,      /* half of a valid ALLOW frame, then close */
        M_WRONGTYPE, /* a well-formed OK (not a decision) */
        M_BADCHAL,   /* CHALLENGE without its fields */
        M_CHALCLOSE, /* a valid CHALLENGE, then close on the VERIFY: refused in both */
        M_DENY,      /* a valid DENY: refused in both failmodes */
        M_BUSY,      /* ERROR EBUSY "stepupd busy", as stepupd at capacity: refused in both */
        M_MAX
};
static const char *const mode_names[M_MAX] = {"absent",
                                              "refused",
                                              "close",
                                              "silent",
                                              "no-accept",
                                              "slow",
                                              "garbage",
                                              "bad-magic",
                                              "huge",
                                              "half-frame",
                                              "ok-type",
                                              "bad-challenge",
                                              "challenge-then-close",
                                              "deny",
                                              "busy"};

/* What each mode must give: failmode=safe may allow only when stepupd is not running. */
static bool not_running(enum mode m)
{
        return m == M_ABSENT || m == M_REFUSED;
}

/* A refusal (PAM_AUTH_ERR / PAM_PERM_DENIED) rather than "service unavailable". */
static bool refusal(enum mode m)
{
        return m == M_DENY || m == M_CHALCLOSE || m == M_BUSY;
}

static void send_msg(int fd, const struct su_msg *m, size_t cut)
{
        uint8_t buf[SU_FRAME_HDR + SU_MSG_MAX];
        size_t len;
        if (su_msg_encode(m, buf, sizeof(buf), &len) < 0)
                return;
        if (cut)
                len /= 2;
        (void)!send(fd, buf, len, MSG_NOSIGNAL);
}

static void read_some(int fd)
{
        uint8_t buf[4096];
        (void)!recv(fd, buf, sizeof(buf), 0);
}

static void serve_one(int fd, enum mode m)
{
        struct su_msg rep;
        uint8_t junk[64];
        read_some(fd);
        switch (m) {
        case M_CLOSE:
                break;
        case M_SILENT:
                while (recv(fd, junk, sizeof(junk), 0) > 0)
                        ;
                break;
        case M_SLOW:
                sleep(3);
                su_msg_init(&rep, SU_REP_ALLOW);
                send_msg(fd, &rep, 0);
                break;
        case M_GARBAGE:
                (void)!getrandom(junk, sizeof(junk), 0);
                junk[0] = 0;
                junk[1] = 0;
                junk[2] = 0;
                junk[3] = 60; /* a plausible length, then noise */
                (void)!send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
                break;
        case M_BADMAGIC: {
                const uint8_t f[] = {0, 0, 0, 4, 'X', SU_PROTO_VERSION, SU_REP_ALLOW, 0};
                (void)!send(fd, f, sizeof(f), MSG_NOSIGNAL);
                break;
        }
        case M_HUGE: {
                const uint8_t f[] = {0x7f, 0xff, 0xff, 0xff, 'S', 1, SU_REP_ALLOW, 0};
                (void)!send(fd, f, sizeof(f), MSG_NOSIGNAL);
                break;
        }
        case M_HALF:
                su_msg_init(&rep, SU_REP_ALLOW);
                su_msg_put_str(&rep, SU_T_RULE, "fake:1");
                send_msg(fd, &rep, 1);
                break;
        case M_WRONGTYPE:
                su_msg_init(&rep, SU_REP_OK);
                send_msg(fd, &rep, 0);
                break;
        case M_BADCHAL:
                su_msg_init(&rep, SU_REP_CHALLENGE);
                send_msg(fd, &rep, 0);
                break;
        case M_CHALCLOSE:
                su_msg_init(&rep, SU_REP_CHALLENGE);
                su_msg_put_str(&rep, SU_T_CHALLENGE, "0123456789abcdef0123456789abcdef");
                su_msg_put_str(&rep, SU_T_PROMPT, "Verification code: ");
                su_msg_put_str(&rep, SU_T_FACTOR, "totp");
                send_msg(fd, &rep, 0);
                read_some(fd);
                break;
        case M_DENY:
                su_msg_init(&rep, SU_REP_DENY);
                su_msg_put_str(&rep, SU_T_MESSAGE, "denied by the fake");
                send_msg(fd, &rep, 0);
                break;
        case M_BUSY:
                su_msg_init(&rep, SU_REP_ERROR);
                su_msg_put_u32(&rep, SU_T_ERRNO, EBUSY);
                su_msg_put_str(&rep, SU_T_MESSAGE, "stepupd busy");
                send_msg(fd, &rep, 0);
                break;
        default:
                break;
        }
        close(fd);
}

/* Prepares the socket path for mode m; returns the server's pid (0 when none). */
static pid_t start_fake(const char *path, enum mode m)
{
        unlink(path);
        if (m == M_ABSENT)
                return 0;
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                exit(2);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 64) < 0)
                exit(2);
        if (m == M_REFUSED) {
                close(lfd); /* the node stays, nobody listens */
                return 0;
        }
        if (m == M_NOACCEPT)
                return 0; /* lfd stays open in this process, never accepted from */
        pid_t pid = fork();
        if (pid == 0) {
                signal(SIGCHLD, SIG_IGN);
                signal(SIGPIPE, SIG_IGN);
                for (;;) {
                        int fd = accept(lfd, NULL, NULL);
                        if (fd < 0)
                                continue;
                        if (fork() == 0) {
                                close(lfd);
                                serve_one(fd, m);
                                _exit(0);
                        }
                        close(fd);
                }
        }
        close(lfd);
        return pid;
}

/* --- PAM side --- */
static char confdir[256], modpath[512];

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
        struct pam_response *r = calloc((size_t)n, sizeof(*r));
        if (!r)
                return PAM_BUF_ERR;
        for (int i = 0; i < n; i++)
                if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
                    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
                        r[i].resp = strdup("123456");
        *resp = r;
        return PAM_SUCCESS;
}

/* Writes a service file from a template: "@M" is the module path, "@A" its arguments. */
static void write_service(const char *name, const char *tmpl, const char *args)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", confdir, name);
        FILE *f = fopen(path, "we");
        if (!f)
                exit(2);
        for (const char *p = tmpl; *p; p++) {
                if (p[0] == '@' && p[1] == 'M') {
                        fputs(modpath, f);
                        p++;
                } else if (p[0] == '@' && p[1] == 'A') {
                        fputs(args, f);
                        p++;
                } else {
                        fputc(*p, f);
                }
        }
        fclose(f);
}

static int run_stack(const char *service, bool account)
{
        struct pam_conv c = {conv, NULL};
        pam_handle_t *h = NULL;
        if (pam_start_confdir(service, "root", &c, confdir, &h) != PAM_SUCCESS)
                return -1;
        int r = account ? pam_acct_mgmt(h, 0) : pam_authenticate(h, 0);
        pam_end(h, r);
        return r;
}

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

/* The module's own return code: pam_sm_* called directly on a live handle. */
static int run_direct(bool account, int argc, const char **argv)
{
        static void *mod;
        if (!mod)
                mod = dlopen(modpath, RTLD_NOW | RTLD_LOCAL);
        if (!mod)
                return -1;
        sm_fn fn = (sm_fn)dlsym(mod, account ? "pam_sm_acct_mgmt" : "pam_sm_authenticate");
        struct pam_conv c = {conv, NULL};
        pam_handle_t *h = NULL;
        if (!fn || pam_start_confdir("adv-direct", "root", &c, confdir, &h) != PAM_SUCCESS)
                return -1;
        int r = fn(h, 0, argc, argv);
        pam_end(h, PAM_SUCCESS);
        return r;
}

static const char *const stacks[][2] = {
    {"required", "auth required @M @A\nauth required pam_permit.so\n"
                 "account required @M @A\naccount required pam_permit.so\n"},
    {"requisite", "auth requisite @M @A\nauth required pam_permit.so\n"
                  "account requisite @M @A\naccount required pam_permit.so\n"},
    {"sufficient", "auth sufficient @M @A\nauth required pam_deny.so\n"
                   "account sufficient @M @A\naccount required pam_deny.so\n"},
    {"jump", "auth [success=1 default=ignore] @M @A\nauth requisite pam_deny.so\n"
             "auth required pam_permit.so\n"
             "account [success=1 default=ignore] @M @A\naccount requisite pam_deny.so\n"
             "account required pam_permit.so\n"},
};
#define NSTACKS (sizeof(stacks) / sizeof(stacks[0]))

/* One mode, in its own process; returns the number of failed checks. */
static int check_mode(enum mode m, const char *dir)
{
        char sock[256], args[512], svc[64];
        snprintf(sock, sizeof(sock), "%s/m%d.sock", dir, (int)m);
        pid_t srv = start_fake(sock, m);
        char sockarg[300];
        snprintf(sockarg, sizeof(sockarg), "socket=%s", sock);
        const char *argv_secure[] = {sockarg, "timeout=1"};
        const char *argv_safe[] = {sockarg, "timeout=1", "failmode=safe"};
        /* A real DENY, a busy ERROR and a daemon lost after the user was prompted (a late
         * answer) are refusals; every other failure is "unavailable", in both failmodes, but
         * failmode=safe allows when stepupd is not running. */
        bool deny = refusal(m), absent = not_running(m);
        int want_auth = deny ? PAM_AUTH_ERR : PAM_AUTHINFO_UNAVAIL;

        for (int acct = 0; acct < 2; acct++) {
                loglen = 0;
                logbuf[0] = 0;
                int r = run_direct(acct, 2, argv_secure);
                if (r == PAM_SUCCESS || r == PAM_IGNORE)
                        fprintf(stderr, "%s: the module returned %s\n", mode_names[m],
                                r == PAM_SUCCESS ? "PAM_SUCCESS" : "PAM_IGNORE");
                CHECK(r != PAM_SUCCESS && r != PAM_IGNORE);
                CHECK_INT(r, acct ? PAM_PERM_DENIED : want_auth);
                if (m == M_BUSY)
                        CHECK(strstr(logbuf, "stepupd busy") != NULL);
        }
        snprintf(args, sizeof(args), "socket=%s timeout=1", sock);
        for (size_t s = 0; s < NSTACKS; s++) {
                snprintf(svc, sizeof(svc), "adv-m%d-%s", (int)m, stacks[s][0]);
                write_service(svc, stacks[s][1], args);
                for (int acct = 0; acct < 2; acct++) {
                        int r = run_stack(svc, acct);
                        if (r == PAM_SUCCESS)
                                fprintf(stderr, "%s: the %s stack (%s) succeeded\n", mode_names[m],
                                        stacks[s][0], acct ? "account" : "auth");
                        CHECK(r != PAM_SUCCESS && r >= 0);
                }
        }
        /* failmode=safe: allowed with a LOG_CRIT line only when stepupd is not running. */
        for (int acct = 0; acct < 2; acct++) {
                loglen = 0;
                logbuf[0] = 0;
                int r = run_direct(acct, 3, argv_safe);
                if (!absent) {
                        if (r == PAM_SUCCESS)
                                fprintf(stderr, "%s: failmode=safe allowed\n", mode_names[m]);
                        CHECK_INT(r, acct ? PAM_PERM_DENIED : want_auth);
                        CHECK(strstr(logbuf, "failmode=safe") == NULL);
                } else {
                        CHECK_INT(r, PAM_SUCCESS);
                        char want[64];
                        snprintf(want, sizeof(want), "<%d>", LOG_CRIT);
                        const char *line = strstr(logbuf, want);
                        CHECK(line != NULL && strstr(line, "ALLOWING without step-up") != NULL &&
                              strstr(line, "not running") != NULL);
                }
        }
        snprintf(svc, sizeof(svc), "adv-m%d-safe", (int)m);
        snprintf(args, sizeof(args), "socket=%s timeout=1 failmode=safe", sock);
        write_service(svc, stacks[0][1], args);
        CHECK_INT(run_stack(svc, false), absent ? PAM_SUCCESS : want_auth);
        if (srv > 0) {
                kill(srv, SIGKILL);
                waitpid(srv, NULL, 0);
        }
        return check_failures;
}

int main(void)
{
        const char *build = getenv("ADV_BUILD");
        if (!build) {
                fprintf(stderr, "run through tests/adversarial/run-adv.sh\n");
                return 2;
        }
        char dir[] = "/tmp/stepup-failmode.XXXXXX";
        if (!mkdtemp(dir))
                return 2;
        snprintf(confdir, sizeof(confdir), "%s/pam.d", dir);
        snprintf(modpath, sizeof(modpath), "%s/pam_stepup/pam_stepup.so", build);
        mkdir(confdir, 0700);
        write_service("adv-direct", "auth required pam_permit.so\naccount required pam_permit.so\n",
                      "");
        /* Every mode in its own process, all at once: the slow ones cost one timeout each. */
        pid_t kids[M_MAX];
        for (int m = 0; m < M_MAX; m++) {
                kids[m] = fork();
                if (kids[m] == 0)
                        _exit(check_mode((enum mode)m, dir) ? 1 : 0);
        }
        for (int m = 0; m < M_MAX; m++) {
                int st = 0;
                waitpid(kids[m], &st, 0);
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        fprintf(stderr, "mode %s: FAILED\n", mode_names[m]);
                else
                        printf("mode %-22s ok\n", mode_names[m]);
                CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        adv_sh("rm -rf '%s'", dir);
        return check_done();
}
