/* DECIDE's request as the policy sees it: the names checked, the command made canonical, the
 * user's groups from NSS. */
#pragma once

#include "policy.h"
#include "request.h"

#define SU_GROUPS_MAX 256

/* A DECIDE's policy request: NSS groups and the canonical command, owned by the ctx. */
struct su_request_ctx {
        struct su_request req;
        char *group_names[SU_GROUPS_MAX];
        char *target_group_names[SU_GROUPS_MAX];
        struct su_command command; /* canonical form (su_command_canonical) */
};
/* Fills ctx from a parsed DECIDE.  0, -EINVAL with *what naming the bad field, or -ENOENT
 * when the user is unknown to NSS. */
int su_request_build(struct su_request_ctx *ctx, const struct su_rq_decide *d,
                     struct su_group_cache *groups, const char **what);
void su_request_done(struct su_request_ctx *ctx);
/* The request's command fields from c (which must outlive q). */
void su_request_set_command(struct su_request *q, const struct su_command *c);
