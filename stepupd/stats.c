/* STATS: counters carry no user names, but they show when and how often others step up or
 * fail, so they are for root (either socket), like the auth log. */
#include "stats.h"

#include <errno.h>

#include "handlers.h"
#include "metrics.h"

void su_handle_stats(struct su_conn *c)
{
        if (c->uid != 0) {
                su_reply_error(c, EPERM, "statistics are for root only");
                return;
        }
        char body[8192 + 1]; /* the BODY field's maximum, plus the NUL */
        int n = su_metrics_format(su_metrics(), body, sizeof(body));
        if (n < 0) {
                su_reply_error(c, -n, "cannot format the statistics");
                return;
        }
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        if (su_msg_put_str(&rep, SU_T_BODY, body) < 0) {
                su_reply_error(c, E2BIG, "statistics too large");
                return;
        }
        su_conn_reply(c, &rep);
}
