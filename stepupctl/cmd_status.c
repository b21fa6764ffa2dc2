/* stepupctl status / revoke / unlock. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "json_out.h"

static bool want_json(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--json") == 0)
                        return true;
        return false;
}

/* A scalar as it reads in a table. */
static void print_scalar(json_t *v)
{
        if (json_is_string(v))
                fputs(json_string_value(v), stdout);
        else if (json_is_integer(v))
                printf("%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
                fputs(json_is_true(v) ? "yes" : "no", stdout);
        else
                fputs("-", stdout);
}

/* STATUS's JSON as lines "key value"; each factor as "NAME  key=value ...", whatever the
 * factors are (stepupd's factor table decides, not this program). */
static void print_status(json_t *o)
{
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
                if (json_is_object(v))
                        continue;
                printf("%-24s ", k);
                print_scalar(v);
                putchar('\n');
        }
        json_object_foreach(json_object_get(o, "factors"), k, v)
        {
                const char *fk;
                json_t *fv;
                printf("%-24s", k);
                json_object_foreach(v, fk, fv)
                {
                        printf(" %s=", fk);
                        print_scalar(fv);
                }
                putchar('\n');
        }
}

int cmd_status(const struct ctl *c, int argc, char **argv)
{
        const char *user = ctl_opt_user(argc, argv);
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_STATUS);
        if (user && su_msg_put_str(&req, SU_T_USER, user) < 0)
                return 2;
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        json_t *o = NULL;
        if (ctl_reply_data(&rep, &o) < 0) {
                fprintf(stderr, "stepupctl: stepupd sent no usable status\n");
                return 1;
        }
        if (want_json(argc, argv) || c->json)
                return ctl_json_print(o, true) < 0 ? 1 : 0;
        print_status(o);
        json_decref(o);
        return 0;
}

int cmd_revoke(const struct ctl *c, int argc, char **argv)
{
        const char *user = ctl_opt_user(argc, argv);
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_REVOKE);
        if (user && su_msg_put_str(&req, SU_T_USER, user) < 0)
                return 2;
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        return ctl_report(&rep);
}

int cmd_unlock(const struct ctl *c, int argc, char **argv)
{
        const char *user = ctl_opt_user(argc, argv);
        if (!user) {
                fprintf(stderr, "Usage: stepupctl unlock --user NAME\n");
                return 2;
        }
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_UNLOCK);
        if (su_msg_put_str(&req, SU_T_USER, user) < 0)
                return 2;
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        return ctl_report(&rep);
}
