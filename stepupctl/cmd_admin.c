/* Admin verbs (root): reset, forget, list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "json_out.h"

struct admin_opts {
        const char *user, *factor;
        bool json;
};

static int parse(int argc, char **argv, struct admin_opts *o)
{
        static const struct option opts[] = {
            {"user", required_argument, NULL, 'u'},
            {"factor", required_argument, NULL, 'f'},
            {"json", no_argument, NULL, 'j'},
            {},
        };
        int opt;
        *o = (struct admin_opts){0};
        optind = 1;
        while ((opt = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (opt) {
                case 'u':
                        o->user = optarg;
                        break;
                case 'f':
                        o->factor = optarg;
                        break;
                case 'j':
                        o->json = true;
                        break;
                default:
                        return -1;
                }
        }
        return 0;
}

static int user_verb(const struct ctl *c, uint8_t type, const struct admin_opts *o)
{
        if (geteuid() != 0) {
                fprintf(stderr, "stepupctl: this command is for root\n");
                return 1;
        }
        struct su_msg req, rep;
        su_msg_init(&req, type);
        if (su_msg_put_str(&req, SU_T_USER, o->user) < 0 ||
            (o->factor && su_msg_put_str(&req, SU_T_FACTOR, o->factor) < 0))
                return 2;
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        return ctl_report(&rep);
}

int cmd_reset(const struct ctl *c, int argc, char **argv)
{
        struct admin_opts o;
        if (parse(argc, argv, &o) < 0 || !o.user) {
                fprintf(stderr,
                        "Usage: stepupctl reset --user NAME [--factor totp|question|recovery]\n");
                return 2;
        }
        return user_verb(c, SU_REQ_RESET, &o);
}

int cmd_forget(const struct ctl *c, int argc, char **argv)
{
        struct admin_opts o;
        if (parse(argc, argv, &o) < 0 || !o.user || o.factor) {
                fprintf(stderr, "Usage: stepupctl forget --user NAME\n");
                return 2;
        }
        return user_verb(c, SU_REQ_FORGET, &o);
}

int cmd_list(const struct ctl *c, int argc, char **argv)
{
        struct admin_opts o;
        if (parse(argc, argv, &o) < 0) {
                fprintf(stderr, "Usage: stepupctl list [--json]\n");
                return 2;
        }
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_LIST);
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        json_t *data = NULL;
        if (ctl_reply_data(&rep, &data) < 0) {
                fprintf(stderr, "stepupctl: stepupd sent no usable list\n");
                return 1;
        }
        json_t *users = json_object_get(data, "users"), *u;
        size_t i;
        if (o.json) {
                ctl_json_print(json_incref(users), true);
        } else {
                /* Columns: the factors stepupd reports (its factor table), then failures. */
                json_t *first = json_array_get(users, 0);
                const char *fname;
                json_t *fv;
                printf("%-20s", "USER");
                json_object_foreach(json_object_get(first, "factors"), fname, fv)
                    printf(" %-24s", fname);
                printf(" %s\n", "FAILURES");
                json_array_foreach(users, i, u)
                {
                        printf("%-20s", json_string_value(json_object_get(u, "user")));
                        json_object_foreach(json_object_get(u, "factors"), fname, fv)
                        {
                                char cell[128] = "";
                                const char *k;
                                json_t *v;
                                size_t n = 0;
                                json_object_foreach(fv, k, v)
                                {
                                        /* the first field of each factor is its summary */
                                        if (json_is_string(v))
                                                n += (size_t)snprintf(cell + n, sizeof(cell) - n,
                                                                      "%s", json_string_value(v));
                                        else if (json_is_integer(v))
                                                n += (size_t)snprintf(
                                                    cell + n, sizeof(cell) - n, "%s=%lld", k,
                                                    (long long)json_integer_value(v));
                                        break;
                                }
                                printf(" %-24s", cell);
                        }
                        printf(" %lld\n", (long long)json_integer_value(
                                              json_object_get(u, "consecutive_failures")));
                }
        }
        json_decref(data);
        if (su_msg_str(&rep, SU_T_MESSAGE))
                fprintf(stderr, "stepupctl: %s\n", su_msg_str(&rep, SU_T_MESSAGE));
        return 0;
}
