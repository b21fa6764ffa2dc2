/* stepup-ssh: sshd's ForceCommand that asks stepupd before an ssh command runs.
 *
 * sshd runs it (through the user's login shell) instead of what the client asked for, which
 * is in SSH_ORIGINAL_COMMAND.  It asks stepupd (GATE, on the user socket: stepupd takes the
 * user, session and origin from the kernel, not from us), answers a step-up challenge at the
 * terminal, and on ALLOW execs the command: the environment is left as sshd made it and the
 * exit status is the command's.  It fails closed.  See docs/ssh.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "prompt.h"
#include "client.h"
#include "proto.h"

#define NEEDS_TERMINAL "this command needs step-up; run ssh with -t"

struct opts {
        const char *socket;
        const char *sftp_server;
        int timeout_ms;
        bool safe; /* --failmode safe: run without step-up when stepupd cannot be reached */
};

static void usage(FILE *f)
{
        fputs("usage: stepup-ssh [--user-socket PATH] [--failmode secure|safe] "
              "[--timeout SECONDS] [--sftp-server PATH]\n"
              "sshd's ForceCommand: asks stepupd whether SSH_ORIGINAL_COMMAND (or, without "
              "one, a login\nshell) may run, asks for a step-up at the terminal when the "
              "policy wants one, then runs it.\n",
              f);
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
        static const struct option longopts[] = {
            {"user-socket", required_argument, NULL, 's'},
            {"failmode", required_argument, NULL, 'f'},
            {"timeout", required_argument, NULL, 't'},
            {"sftp-server", required_argument, NULL, 'p'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {0},
        };
        *o = (struct opts){
            .socket = STEPUP_USER_SOCKET, .sftp_server = SSHG_SFTP_SERVER, .timeout_ms = 5000};
        int ch;
        while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                char *end;
                long v;
                switch (ch) {
                case 's':
                        o->socket = optarg;
                        break;
                case 'p':
                        if (optarg[0] != '/')
                                return -EINVAL;
                        o->sftp_server = optarg;
                        break;
                case 'f':
                        if (strcmp(optarg, "safe") == 0)
                                o->safe = true;
                        else if (strcmp(optarg, "secure") == 0)
                                o->safe = false;
                        else
                                return -EINVAL;
                        break;
                case 't':
                        errno = 0;
                        v = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || v < 1 || v > 60)
                                return -EINVAL;
                        o->timeout_ms = (int)v * 1000;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                case 'V':
                        puts("stepup-ssh " STEPUP_VERSION);
                        exit(0);
                default:
                        return -EINVAL;
                }
        }
        return optind == argc ? 0 : -EINVAL;
}

/* stepupd is not running: refuse, or with --failmode safe run and say so loudly.  Only
 * then: a daemon that is there but does not answer properly is refused whatever the
 * failmode (a local user can make it slow or busy). */
static bool not_running(const struct opts *o, int err)
{
        if (o->safe) {
                syslog(LOG_CRIT,
                       "stepupd is not running (%s): ALLOWING without step-up "
                       "(failmode safe)",
                       strerror(-err));
                fprintf(stderr,
                        "stepup-ssh: step-up service not running (%s); running "
                        "without step-up (failmode safe)\n",
                        strerror(-err));
                return true;
        }
        syslog(LOG_ERR, "stepupd is not running: %s", strerror(-err));
        fprintf(stderr, "stepup-ssh: step-up service unavailable: access denied\n");
        return false;
}

/* The command as typed, for stepupd's audit trail only: control bytes shown as '?'. */
static void put_typed(struct su_msg *m, const char *typed)
{
        char buf[SSHG_COMMAND_MAX + 1];
        size_t len = strlen(typed), n = len > SSHG_COMMAND_MAX ? SSHG_COMMAND_MAX - 3 : len;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)typed[i];
                buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        strcpy(buf + n, n < len ? "..." : "");
        (void)su_msg_put_str(m, SU_T_SSH_COMMAND, buf);
}

/* The conversation's prompt: the person at the ssh terminal (only with a terminal). */
static int ask(void *userdata, const char *note, const char *prompt, unsigned flags, char *answer,
               size_t size)
{
        if (!isatty(STDIN_FILENO))
                return -ENOTTY;
        return sshg_read_answer(note, prompt, flags, answer, size);
}

/* Asks stepupd; true when the command may run.  Every refusal is explained on stderr. */
static bool allowed(const struct opts *o, const char *command, const char *typed)
{
        struct su_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
        bool ok = false;
        int r;
        if (!req || !rep) {
                fprintf(stderr, "stepup-ssh: out of memory\n");
                goto out;
        }
        su_msg_init(req, SU_REQ_GATE);
        if (su_msg_put_str(req, SU_T_COMMAND, command) < 0) {
                fprintf(stderr, "stepup-ssh: cannot send the command\n");
                goto out;
        }
        if (typed)
                put_typed(req, typed);
        const struct su_conv conv = {
            .socket = o->socket, .timeout_ms = o->timeout_ms, .prompt = ask};
        struct su_conv_result res;
        r = su_conversation(&conv, req, rep, &res);
        if (r < 0 && res.end == SU_CONV_NOT_RUNNING) {
                ok = not_running(o, r);
        } else if (r < 0 && res.end == SU_CONV_PROMPT) {
                fprintf(stderr, "stepup-ssh: %s\n",
                        r == -ENOTTY ? NEEDS_TERMINAL : "step-up cancelled");
        } else if (r < 0) {
                /* there but no proper answer (slow, busy, broken): refused in every failmode;
                 * after a challenge stepupd closes one left unanswered too long */
                syslog(LOG_ERR, "stepupd did not answer properly: %s", strerror(-r));
                fprintf(stderr, "stepup-ssh: %s\n",
                        res.rounds ? "the code came too late (challenge expired); try again"
                                   : "step-up service did not answer: access denied");
        } else if (rep->type == SU_REP_ALLOW) {
                ok = true;
        } else {
                const char *msg = su_msg_str(rep, SU_T_MESSAGE);
                fprintf(stderr, "stepup-ssh: %s\n",
                        msg                        ? msg
                        : rep->type == SU_REP_DENY ? "denied"
                                                   : "unexpected answer from stepupd");
        }
out:
        su_msg_free(req);
        su_msg_free(rep);
        return ok;
}

/* Runs the command in this process; returns only when exec failed. */
static int run(const struct sshg_command *c, const char *shell, const char *original)
{
        const char *base = strrchr(shell, '/');
        base = base ? base + 1 : shell;
        char login0[PATH_MAX + 1];
        closelog();
        if (c->kind == SSHG_SIMPLE) {
                execv(c->path, c->argv);
                shell = c->path;
        } else if (c->kind == SSHG_LOGIN_SHELL) {
                /* as sshd starts a login shell: argv[0] "-NAME" */
                snprintf(login0, sizeof(login0), "-%s", base);
                execl(shell, login0, (char *)NULL);
        } else {
                execl(shell, base, "-c", original, (char *)NULL);
        }
        int e = errno;
        fprintf(stderr, "stepup-ssh: cannot run %s: %s\n", shell, strerror(e));
        return e == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
        struct opts o;
        openlog("stepup-ssh", LOG_PID, LOG_AUTHPRIV);
        if (parse_opts(argc, argv, &o) < 0) {
                usage(stderr);
                return 1; /* a broken ForceCommand line runs nothing */
        }
        struct passwd *pw = getpwuid(getuid());
        if (!pw || !pw->pw_name) {
                fprintf(stderr, "stepup-ssh: who are you?\n");
                return 1;
        }
        char shell[PATH_MAX];
        snprintf(shell, sizeof(shell), "%s",
                 pw->pw_shell && pw->pw_shell[0] == '/' ? pw->pw_shell : "/bin/sh");

        const char *original = getenv("SSH_ORIGINAL_COMMAND");
        struct sshg_command cmd;
        if (sshg_command_parse(original, SSHG_PATH, o.sftp_server, &cmd) < 0) {
                fprintf(stderr, "stepup-ssh: out of memory\n");
                return 1;
        }
        const char *asked = cmd.kind == SSHG_SIMPLE ? cmd.canonical : "shell";
        if (!allowed(&o, asked, original)) {
                sshg_command_free(&cmd);
                return 1;
        }
        int rc = run(&cmd, shell, original);
        sshg_command_free(&cmd);
        return rc;
}
