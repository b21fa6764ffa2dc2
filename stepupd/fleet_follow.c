#include "fleet_follow.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "audit.h"
#include "call.h"

static void ended(const char *user, int grants, void *data)
{
        struct su_follow *f = data;
        f->ended += (unsigned)grants;
        char n[16];
        snprintf(n, sizeof(n), "%d", grants);
        struct su_audit_req rq = {.audit = &f->ctx->audit};
        su_audit(&rq, SU_EV_REVOKE, LOG_NOTICE,
                 "assurance revoked: the user's factors were reset or removed on a host of the "
                 "fleet",
                 "STEPUP_USER", user, "STEPUP_RECORDS", n, NULL);
}

static void run(struct su_pool_item *it, void *thread_data)
{
        struct su_follow *f = (struct su_follow *)((char *)it - offsetof(struct su_follow, item));
        struct su_db *db = thread_data;
        /* A store that cannot be reached now is tried again at the next look, from the same
         * place: nothing is skipped. */
        f->ended = 0;
        int r = db->store->ops->revocations_apply(db->store, &f->since, ended, f);
        su_store_stats_follow(&f->ctx->store_stats, r, f->ended);
        su_follow_release(f);
}

void su_follow_init(struct su_follow *f, struct su_ctx *ctx)
{
        memset(f, 0, sizeof(*f));
        f->ctx = ctx;
        f->item.run = run;
        f->item.done = NULL; /* not posted back: busy tells the manager */
}

bool su_follow_claim(struct su_follow *f)
{
        return !__atomic_exchange_n(&f->busy, true, __ATOMIC_ACQ_REL);
}

void su_follow_release(struct su_follow *f)
{
        __atomic_store_n(&f->busy, false, __ATOMIC_RELEASE);
}
