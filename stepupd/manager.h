/* The Manager: owns everything of a running stepupd (the shared state, the sockets, the
 * event loops and the pool) and runs it: socket activation or binding, signals, watchdog,
 * reload, an orderly stop. */
#pragma once

#include <stdbool.h>

#include "ctx.h"
#include "fleet_follow.h"
#include "loop.h"
#include "pool.h"

#define SU_LOOPS_MAX 64

struct su_manager {
        struct su_ctx ctx;
        int listen_fd[2];
        bool bound_ourselves[2]; /* unlink the node on exit */
        struct su_pool pool;
        bool pool_started;
        struct su_db *pool_db; /* one per pool thread */
        size_t npool_db;
        struct su_loop loops[SU_LOOPS_MAX];
        size_t nloops;
        sd_event_source *flush_src;  /* periodic: suppressed-audit summaries */
        sd_event_source *follow_src; /* periodic with a shared store: its revocation list */
        struct su_follow follow;
};

/* Takes over cfg. */
int su_manager_new(struct su_manager **ret, struct su_config *cfg);
int su_manager_startup(struct su_manager *m);
int su_manager_run(struct su_manager *m);
struct su_manager *su_manager_free(struct su_manager *m);
