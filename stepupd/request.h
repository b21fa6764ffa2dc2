/* Turns a DECIDE message into a policy request: NSS groups, canonical command path. */
#pragma once
#include "policy.h"
#include "proto.h"

#define SU_GROUPS_MAX 256

struct su_request_ctx {
        struct su_request req;
        char *group_names[SU_GROUPS_MAX];
        char *target_group_names[SU_GROUPS_MAX];
        struct su_command command; /* canonical form (su_command_canonical) */
};

/* Validates the message's fields and fills ctx.  Returns 0, -EINVAL with *what naming the
 * bad field, or -ENOENT when the user is unknown to NSS. */
int su_request_build(struct su_request_ctx *ctx, const struct su_msg *m, const char **what);
void su_request_done(struct su_request_ctx *ctx);
/* The request's command fields from c (which must outlive q). */
void su_request_set_command(struct su_request *q, const struct su_command *c);
/* su_user_groups() (NSS groups) and su_command_canonical() are in policy.h. */
