#include "request.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"

int su_user_groups(const char *user, char **names, size_t max)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        gid_t gids[SU_GROUPS_MAX];
        int n = SU_GROUPS_MAX;
        if (getgrouplist(user, pw.pw_gid, gids, &n) < 0)
                n = SU_GROUPS_MAX; /* truncated: more groups than we match on */
        size_t count = 0;
        for (int i = 0; i < n && count < max; i++) {
                char gbuf[8192];
                struct group gr, *grp = NULL;
                if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp)
                        continue;
                names[count] = strdup(gr.gr_name);
                if (!names[count])
                        return -ENOMEM;
                count++;
        }
        return (int)count;
}

/* True when path is listed in /etc/shells (sudo -s and -i run the user's shell). */
static bool is_shell(const char *path)
{
        FILE *f = fopen("/etc/shells", "re");
        if (!f)
                return false;
        char line[PATH_MAX];
        bool found = false;
        while (!found && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = 0;
                if (line[0] == '/') {
                        char canon[PATH_MAX];
                        found = strcmp(line, path) == 0 ||
                                (realpath(line, canon) && strcmp(canon, path) == 0);
                }
        }
        fclose(f);
        return found;
}

/* "path args": the path made canonical (symlinks, merged /usr) so a link cannot dodge a rule. */
static int canonical_command(const char *cmd, char **ret, bool *shell, bool *sudoedit)
{
        const char *sp = strchr(cmd, ' ');
        size_t plen = sp ? (size_t)(sp - cmd) : strlen(cmd);
        char path[PATH_MAX], canon[PATH_MAX];
        if (plen == 0 || plen >= sizeof(path))
                return -EINVAL;
        memcpy(path, cmd, plen);
        path[plen] = 0;
        *sudoedit = strcmp(path, "sudoedit") == 0;
        if (*sudoedit) {
                *ret = strdup(cmd);
                *shell = false;
                return *ret ? 0 : -ENOMEM;
        }
        if (path[0] != '/')
                return -EINVAL; /* sudo always resolves the command; anything else is odd */
        const char *use = realpath(path, canon) ? canon : path;
        *shell = is_shell(use) || is_shell(path);
        if (asprintf(ret, "%s%s", use, sp ? sp : "") < 0)
                return -ENOMEM;
        return 0;
}

int su_request_build(struct su_request_ctx *ctx, const struct su_msg *m, const char **what)
{
        memset(ctx, 0, sizeof(*ctx));
        struct su_request *q = &ctx->req;
        q->service = su_msg_str(m, SU_T_SERVICE);
        q->user = su_msg_str(m, SU_T_USER);
        q->ruser = su_msg_str(m, SU_T_RUSER);
        q->tty = su_msg_str(m, SU_T_TTY);
        q->rhost = su_msg_str(m, SU_T_RHOST);
        q->target_user = su_msg_str(m, SU_T_TARGET_USER);
        q->target_group = su_msg_str(m, SU_T_TARGET_GROUP);
        q->now = time(NULL);
        if (q->tty && !*q->tty)
                q->tty = NULL;
        if (q->rhost && !*q->rhost)
                q->rhost = NULL;

        if (!su_valid_service(q->service))
                return *what = "service", -EINVAL;
        if (!su_valid_user(q->user))
                return *what = "user", -EINVAL;
        if (q->ruser && *q->ruser && !su_valid_user(q->ruser))
                return *what = "ruser", -EINVAL;
        if (q->tty && !su_valid_tty(q->tty))
                return *what = "tty", -EINVAL;
        if (q->rhost && !su_valid_host(q->rhost))
                return *what = "rhost", -EINVAL;
        if (q->target_user && !su_valid_user(q->target_user))
                return *what = "target user", -EINVAL;
        if (q->target_group && !su_valid_user(q->target_group))
                return *what = "target group", -EINVAL;

        const char *cmd = su_msg_str(m, SU_T_COMMAND);
        if (cmd && *cmd) {
                int r = canonical_command(cmd, &ctx->command, &q->command_is_shell,
                                          &q->command_is_sudoedit);
                if (r < 0)
                        return *what = "command", r;
                q->command = ctx->command;
        }
        int n = su_user_groups(q->user, ctx->group_names, SU_GROUPS_MAX);
        if (n < 0)
                return *what = "user", n;
        q->groups = (const char *const *)ctx->group_names;
        q->ngroups = (size_t)n;
        if (q->target_user) {
                n = su_user_groups(q->target_user, ctx->target_group_names, SU_GROUPS_MAX);
                if (n < 0)
                        return *what = "target user", n;
                q->target_groups = (const char *const *)ctx->target_group_names;
                q->ntarget_groups = (size_t)n;
        }
        return 0;
}

void su_request_done(struct su_request_ctx *ctx)
{
        for (size_t i = 0; i < SU_GROUPS_MAX; i++) {
                free(ctx->group_names[i]);
                free(ctx->target_group_names[i]);
        }
        free(ctx->command);
        memset(ctx, 0, sizeof(*ctx));
}
