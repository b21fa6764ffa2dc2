/* STATUS (a user about itself, root about anyone) and LIST (root): what each factor says
 * about a user, the failure count and lockout, and the user's grants on this host, as typed
 * JSON that stepupctl prints as a table or passes on with --json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clocks.h"
#include "factors.h"
#include "handlers.h"
#include "json_text.h"
#include "lockout.h"
#include "store_open.h"

#define LIST_MAX_BYTES 12000 /* the reply's JSON must fit one message */

/* { "factors": { NAME: {...} }, "failures": N, "locked_seconds": N } */
static json_t *user_json(struct su_call *c, const char *user, int *ret)
{
        json_t *o = json_object(), *f = json_object();
        *ret = 0;
        if (!o || !f) {
                json_decref(o);
                json_decref(f);
                *ret = -ENOMEM;
                return NULL;
        }
        json_object_set_new(o, "user", su_json_text(user));
        for (size_t i = 0; i < su_nfactors && *ret == 0; i++) {
                json_t *one = json_object();
                *ret = su_factors[i]->status(c, user, one);
                json_object_set_new(f, su_factors[i]->name, one);
        }
        json_object_set_new(o, "factors", f);
        struct su_failures fl;
        if (*ret == 0)
                *ret = c->db->store->ops->failures_get(c->db->store, user, &fl);
        if (*ret < 0) {
                json_decref(o);
                return NULL;
        }
        json_object_set_new(o, "consecutive_failures", json_integer(fl.consecutive));
        json_object_set_new(o, "locked_seconds", json_integer(su_lockout_seconds(c, &fl)));
        return o;
}

int su_h_status(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        if (su_call_must_defer(c))
                return -EWOULDBLOCK;
        int r;
        json_t *o = user_json(c, c->user, &r);
        if (!o && r != -ENOMEM) {
                /* The shared store did not answer: say so (root also learns why). */
                char text[600];
                snprintf(text, sizeof(text), "the shared store (%s) is unavailable%s%s",
                         c->db->store->ops->name, c->peer.uid == 0 ? ": " : "",
                         c->peer.uid == 0 ? su_store_errmsg(c->db->store) : "");
                return su_reply_error(rep, -r, text);
        }
        if (!o)
                return r;
        json_object_set_new(o, "store", json_string(c->db->store->ops->name));
        struct su_store_health h;
        su_store_stats_snapshot(&c->ctx->store_stats, &h);
        json_object_set_new(o, "store_state", json_string(h.up ? "up" : "down"));
        int n = su_local_assurance_count(c->db->local, c->user);
        json_object_set_new(o, "assurance_records", json_integer(n < 0 ? 0 : n));
        /* The caller's own current scope, when it asks from a session. */
        char key[128];
        struct su_assurance a;
        if (su_scope_key(SU_SCOPE_KEY_TTY, &c->peer, key, sizeof(key)) == 0 &&
            su_local_assurance_get(c->db->local, c->user, key, &a) == 0)
                json_object_set_new(o, "this_tty_assurance_age",
                                    json_integer(su_assurance_age(&a, c->ctx->boot_id,
                                                                  su_now_wall(), su_now_boot())));
        return su_reply_ok_data(rep, o);
}

struct list_ctx {
        struct su_call *c;
        json_t *users;
        size_t bytes;
        unsigned more;
        int err;
};

static int list_one(const char *user, void *data)
{
        struct list_ctx *x = data;
        if (x->more) {
                x->more++;
                return 0;
        }
        json_t *o = user_json(x->c, user, &x->err);
        if (!o)
                return x->err;
        size_t size = json_dumpb(o, NULL, 0, JSON_COMPACT);
        if (x->bytes + size > LIST_MAX_BYTES) {
                json_decref(o);
                x->more = 1;
                return 0;
        }
        x->bytes += size + 1;
        json_array_append_new(x->users, o);
        return 0;
}

int su_h_list(struct su_call *c, const struct su_rq *rq, struct su_reply *rep)
{
        if (su_call_must_defer(c))
                return -EWOULDBLOCK;
        struct list_ctx x = {.c = c, .users = json_array()};
        json_t *o = json_object();
        if (!x.users || !o) {
                json_decref(x.users);
                json_decref(o);
                return -ENOMEM;
        }
        int r = c->db->store->ops->list_users(c->db->store, list_one, &x);
        if (r < 0) {
                json_decref(x.users);
                json_decref(o);
                return r;
        }
        json_object_set_new(o, "users", x.users);
        json_object_set_new(o, "not_shown", json_integer(x.more));
        if (x.more)
                snprintf(rep->message, sizeof(rep->message),
                         "%u more user(s) not shown (reply size limit)", x.more);
        return su_reply_ok_data(rep, o);
}
