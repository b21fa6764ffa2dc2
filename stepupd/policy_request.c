#include "policy_request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"

int su_request_build(struct su_request_ctx *ctx, const struct su_rq_decide *d,
                     struct su_group_cache *groups, const char **what)
{
        memset(ctx, 0, sizeof(*ctx));
        struct su_request *q = &ctx->req;
        q->service = d->service;
        q->user = d->user;
        q->ruser = d->ruser;
        q->tty = d->tty;
        q->rhost = d->rhost;
        q->target_user = d->target_user;
        q->target_group = d->target_group;
        q->now = time(NULL);

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
        if (d->command) {
                /* DECIDE's command is sudo's SUDO_COMMAND: the arguments joined with spaces */
                int r = su_command_canonical(d->command, NULL, SU_COMMAND_JOINED, &ctx->command);
                if (r < 0)
                        return *what = "command", r;
                su_request_set_command(q, &ctx->command);
        }
        int n = su_user_groups_cached(q->user, ctx->group_names, SU_GROUPS_MAX, groups);
        if (n < 0)
                return *what = "user", n;
        q->groups = (const char *const *)ctx->group_names;
        q->ngroups = (size_t)n;
        if (q->target_user) {
                n = su_user_groups_cached(q->target_user, ctx->target_group_names, SU_GROUPS_MAX,
                                          groups);
                if (n < 0)
                        return *what = "target user", n;
                q->target_groups = (const char *const *)ctx->target_group_names;
                q->ntarget_groups = (size_t)n;
        }
        return 0;
}

void su_request_set_command(struct su_request *q, const struct su_command *c)
{
        q->command = c->text;
        q->command_is_shell = c->shell;
        q->command_is_sudoedit = c->sudoedit;
        q->command_unresolved = c->unresolved;
        q->command_why = c->unresolved ? c->why : NULL;
}

void su_request_done(struct su_request_ctx *ctx)
{
        for (size_t i = 0; i < SU_GROUPS_MAX; i++) {
                free(ctx->group_names[i]);
                free(ctx->target_group_names[i]);
        }
        su_command_done(&ctx->command);
        memset(ctx, 0, sizeof(*ctx));
}
