/* Admin verbs (root): reset, forget, list. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
        const char *body = su_msg_str(&rep, SU_T_BODY);
        if (!body)
                body = "";
        json_t *list = o.json ? json_array() : NULL;
        if (o.json && !list)
                return 1;
        if (!o.json)
                printf("%-20s %-8s %-10s %-16s %s\n", "USER", "TOTP", "QUESTIONS", "RECOVERY",
                       "FAILURES");
        /* Lines: user<TAB>totp=..<TAB>questions=..<TAB>recovery_unused=..<TAB>failures=.. */
        for (const char *p = body; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                const char *f[5] = {0};
                size_t fl[5] = {0}, nf = 0;
                for (const char *q = p; q < p + len && nf < 5;) {
                        const char *t = memchr(q, '\t', (size_t)(p + len - q));
                        size_t l = t ? (size_t)(t - q) : (size_t)(p + len - q);
                        const char *eq = nf ? memchr(q, '=', l) : NULL;
                        f[nf] = eq ? eq + 1 : q;
                        fl[nf] = eq ? l - (size_t)(eq + 1 - q) : l;
                        nf++;
                        q += l + (t ? 1 : 0);
                }
                if (nf == 5 && o.json) {
                        json_t *u = json_pack(
                            "{s:o, s:o, s:o, s:o, s:o}", "user", ctl_json_textn(f[0], fl[0]),
                            "totp", ctl_json_textn(f[1], fl[1]), "questions",
                            ctl_json_number_or_text(f[2], fl[2]), "recovery_unused",
                            ctl_json_number_or_text(f[3], fl[3]), "failures",
                            ctl_json_number_or_text(f[4], fl[4]));
                        if (json_array_append_new(list, u) < 0) {
                                json_decref(list);
                                fprintf(stderr, "stepupctl: out of memory\n");
                                return 1;
                        }
                } else if (nf == 5) {
                        printf("%-20.*s %-8.*s %-10.*s %-16.*s %.*s\n", (int)fl[0], f[0],
                               (int)fl[1], f[1], (int)fl[2], f[2], (int)fl[3], f[3], (int)fl[4],
                               f[4]);
                }
                p += len + (nl ? 1 : 0);
        }
        if (o.json && ctl_json_print(list, false) < 0)
                return 1;
        if (su_msg_str(&rep, SU_T_MESSAGE))
                fprintf(stderr, "stepupctl: %s\n", su_msg_str(&rep, SU_T_MESSAGE));
        return 0;
}
