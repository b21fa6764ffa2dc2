/* GATE: stepup-ssh (the sshd ForceCommand) asks whether the caller may run an ssh command.
 * Everything but the command comes from the kernel: the user is the peer's uid, the service
 * is fixed, the scope and tty are the peer's /proc facts, remote/rhost come from remote.c.
 * The decision is DECIDE's (decide.c), and so are the grants: a challenge answered here
 * records assurance for the caller's own scope, the same as sudo's step-up would. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "audit.h"
#include "gate.h"
#include "handlers.h"
#include "names.h"
#include "remote.h"
#include "request.h"
#include "scope.h"

#define GATE_SERVICE "sshd-command"

/* The controlling terminal's name from /proc's tty_nr: "pts/N" or "ttyN", else NULL. */
static const char *tty_name(unsigned long long tty_nr, char *buf, size_t size)
{
        unsigned major = (unsigned)((tty_nr >> 8) & 0xfff);
        unsigned minor = (unsigned)((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
        if (major == 136)
                snprintf(buf, size, "pts/%u", minor);
        else if (major > 136 && major <= 143 && minor < 256)
                snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
        else if (major == 4 && minor >= 1 && minor < 64)
                snprintf(buf, size, "tty%u", minor);
        else
                return NULL;
        return buf;
}

/* The command as the policy sees it.  "shell" is the caller's login shell, and always
 * counts as `command shell`; anything else must already be canonical (stepup-ssh resolves
 * it): if making its path canonical here changes it, the file system changed in between and a
 * decision would be about another program than the one stepup-ssh runs.  Its words are the
 * program's arguments (stepup-ssh takes no word with a blank), and exec wrappers in it are
 * followed to the program they run. */
static const char *gate_command(struct su_request_ctx *ctx, const char *cmd, const char *shell)
{
        struct su_request *q = &ctx->req;
        if (!cmd || !*cmd)
                return "no command";
        if (strcmp(cmd, "shell") == 0) {
                const char *sh = shell && *shell ? shell : "/bin/sh";
                if (sh[0] != '/' ||
                    su_command_canonical(sh, NULL, SU_COMMAND_WORDS, &ctx->command) < 0)
                        return "the login shell is not an absolute path";
                su_request_set_command(q, &ctx->command);
                q->command_is_shell = true;
        } else {
                if (cmd[0] != '/')
                        return "the command must be an absolute path or 'shell'";
                if (su_command_canonical(cmd, NULL, SU_COMMAND_WORDS, &ctx->command) < 0)
                        return "invalid command";
                if (strcmp(ctx->command.given, cmd) != 0)
                        return "the command's path changed while it was checked";
                su_request_set_command(q, &ctx->command);
        }
        return NULL;
}

void su_handle_gate(struct su_conn *c, const struct su_msg *req)
{
        if (c->kind != SU_SOCK_USER) {
                su_reply_error(c, EPERM, "GATE is served on the user socket");
                return;
        }
        /* A new question voids an old challenge, so afterwards c->pending is this one's. */
        su_conn_void_challenge(c, "replaced by a new request");

        struct su_request_ctx ctx;
        memset(&ctx, 0, sizeof(ctx));
        struct su_request *q = &ctx.req;
        const char *typed = su_msg_str(req, SU_T_SSH_COMMAND); /* for the audit trail only */
        const char *why = NULL;
        char pwbuf[4096], user[257], ttybuf[32];
        struct passwd pw, *pwp = NULL;

        if (getpwuid_r(c->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp ||
            !su_valid_user(pw.pw_name) || strlen(pw.pw_name) >= sizeof(user)) {
                why = "the caller's uid has no valid user name";
                goto refuse;
        }
        snprintf(user, sizeof(user), "%s", pw.pw_name);
        q->service = GATE_SERVICE;
        q->user = user;
        q->now = time(NULL);
        why = gate_command(&ctx, su_msg_str(req, SU_T_COMMAND), pw.pw_shell);
        if (why)
                goto refuse;
        int n = su_user_groups(user, ctx.group_names, SU_GROUPS_MAX);
        if (n < 0) {
                why = "the caller's groups are unknown";
                goto refuse;
        }
        q->groups = (const char *const *)ctx.group_names;
        q->ngroups = (size_t)n;
        struct su_peer_proc proc;
        if (su_peer_proc_read("/proc", c->pid, &proc) == 0)
                q->tty = tty_name(proc.tty_nr, ttybuf, sizeof(ttybuf));

        struct su_remote_info remote;
        su_remote_apply(c, q, &remote);
        su_decide_reply(c, q, typed);
        if (c->pending)
                c->pending->gate = true; /* answerable on this connection (verify.c) */
        su_request_done(&ctx);
        return;

refuse:
        su_audit(SU_EV_DECISION, LOG_WARNING, why, "STEPUP_USER", q->user, "STEPUP_SERVICE",
                 GATE_SERVICE, "STEPUP_SSH_COMMAND", typed, "STEPUP_DECISION", "deny",
                 "STEPUP_REASON", "invalid-request", NULL);
        su_reply_deny(c, why, NULL, 0);
        su_request_done(&ctx);
}
