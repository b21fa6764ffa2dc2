/* Follows the fleet's revocation list (store.h revocations_apply): a reset, a removed factor
 * or a forgotten user on another host ends this host's grants for that user within
 * fleet_revoke_interval seconds.  Runs on the pool (the store may wait on the network), one
 * look at a time; nothing is done with a store that is not shared. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "pool.h"

struct su_follow {
        struct su_pool_item item; /* on the pool, not posted back: busy says when it is done */
        struct su_ctx *ctx;
        int64_t since;  /* the store's clock: where the next look starts (0: the whole list) */
        bool busy;      /* atomic: a look is queued or running */
        unsigned ended; /* grants ended by the look running (its thread only) */
};

void su_follow_init(struct su_follow *f, struct su_ctx *ctx);
/* Before the next look is queued (by the manager, on the pool): false while one is still
 * queued or running; a look that could not be queued is given back with su_follow_release. */
bool su_follow_claim(struct su_follow *f);
void su_follow_release(struct su_follow *f);
