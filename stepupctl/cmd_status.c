/* stepupctl status / revoke / unlock. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "json_out.h"

static bool want_json(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--json") == 0)
                        return true;
        return false;
}

/* key=value lines -> {"key": "value", ...}; numbers stay numbers. */
static int print_json(const char *body)
{
        json_t *o = json_object();
        int r = o ? 0 : -ENOMEM;
        while (r == 0 && *body) {
                const char *nl = strchr(body, '\n');
                size_t len = nl ? (size_t)(nl - body) : strlen(body);
                const char *eq = memchr(body, '=', len);
                if (eq) {
                        const char *v = eq + 1;
                        json_t *key = ctl_json_textn(body, (size_t)(eq - body));
                        json_t *val = ctl_json_number_or_text(v, len - (size_t)(v - body));
                        if (!key || !val ||
                            json_object_setn(o, json_string_value(key), json_string_length(key),
                                             val) < 0)
                                r = -ENOMEM;
                        json_decref(key);
                        json_decref(val);
                }
                body += len + (nl ? 1 : 0);
        }
        if (r < 0) {
                json_decref(o);
                return r;
        }
        return ctl_json_print(o, false);
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
        const char *body = su_msg_str(&rep, SU_T_BODY);
        if (!body)
                body = "";
        if (want_json(argc, argv) || c->json)
                return print_json(body) < 0 ? 1 : 0;
        for (const char *p = body; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                const char *eq = memchr(p, '=', len);
                if (eq)
                        printf("%-24.*s %.*s\n", (int)(eq - p), p,
                               (int)(len - (size_t)(eq - p) - 1), eq + 1);
                p += len + (nl ? 1 : 0);
        }
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
