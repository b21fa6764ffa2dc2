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

#include "decide.h"
#include "handlers.h"
#include "policy_request.h"
#include "names.h"
#include "remote.h"

#define GATE_SERVICE "sshd-command"

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

int su_h_gate(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        struct su_request_ctx ctx;
        memset(&ctx, 0, sizeof(ctx));
        struct su_request *q = &ctx.req;
        const char *typed = rq->gate.ssh_command; /* for the audit trail only */
        const char *why = NULL;
        char pwbuf[4096], ttybuf[32];
        struct passwd pw, *pwp = NULL;

        q->service = GATE_SERVICE;
        q->user = c->user; /* the peer's own name (dispatch) */
        q->now = time(NULL);
        if (getpwnam_r(c->user, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp ||
            pw.pw_uid != c->peer.uid) {
                why = "the caller's uid has no valid user name";
                goto refuse;
        }
        why = gate_command(&ctx, rq->gate.command, pw.pw_shell);
        if (why)
                goto refuse;
        int n = su_user_groups_cached(c->user, ctx.group_names, SU_GROUPS_MAX, c->ctx->groups);
        if (n < 0) {
                why = "the caller's groups are unknown";
                goto refuse;
        }
        q->groups = (const char *const *)ctx.group_names;
        q->ngroups = (size_t)n;
        q->tty = su_peer_tty_name(&c->peer, ttybuf, sizeof(ttybuf));
        if (!c->peer.remote_known)
                su_remote_detect(&c->ctx->remote, &c->peer);
        q->remote = c->peer.remote.remote;
        if (c->peer.remote.rhost[0])
                q->rhost = c->peer.remote.rhost;
        int r = su_decide(c, q, typed, rep);
        su_request_done(&ctx);
        return r;

refuse:
        su_audit(&c->audit, SU_EV_DECISION, LOG_WARNING, why, "STEPUP_USER", q->user,
                 "STEPUP_SERVICE", GATE_SERVICE, "STEPUP_SSH_COMMAND", typed, "STEPUP_DECISION",
                 "deny", "STEPUP_REASON", "invalid-request", NULL);
        su_reply_deny(rep, why, NULL, 0);
        su_request_done(&ctx);
        return 0;
}
