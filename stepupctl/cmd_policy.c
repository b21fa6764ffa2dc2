/* stepupctl policy check [FILE] | test ... | edit [--file FILE] | reload. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "policy_cmd.h"

void policy_print_diags(const struct su_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                char buf[1024];
                su_diag_format(&d->v[i], buf, sizeof(buf));
                fputs(buf, stderr);
                if (buf[0] && buf[strlen(buf) - 1] != '\n')
                        fputc('\n', stderr);
        }
}

static int policy_check(const char *path)
{
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        /* The daemon requires root-owned files; checking as a user, accept the user's own. */
        int r = su_policy_load(path, geteuid(), &p, &d);
        if (r == 0 && su_policy_lint(p, &d) < 0)
                r = -ENOMEM;
        policy_print_diags(&d);
        if (r == 0)
                printf("%s: OK (%zu rules, %zu warnings)\n", path, su_policy_rule_count(p),
                       d.warnings);
        else
                fprintf(stderr, "%s: %zu error(s); the policy would be refused\n", path, d.errors);
        su_policy_free(p);
        su_diags_free(&d);
        return r == 0 ? 0 : 1;
}

int policy_reload(const struct ctl *c)
{
        struct su_msg req, rep;
        int r;

        su_msg_init(&req, SU_REQ_RELOAD);
        r = ctl_call(c, &req, &rep);
        if (r < 0)
                return r;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep); /* the message and the diagnostics */
        const char *body = su_msg_str(&rep, SU_T_BODY);
        if (body)
                fputs(body, stderr); /* warnings */
        printf("policy reloaded\n");
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: stepupctl policy check [FILE]\n"
                   "       stepupctl policy test [--file FILE] --user USER --service SERVICE ...\n"
                   "       stepupctl policy edit [--file FILE]\n"
                   "       stepupctl policy reload\n");
}

int cmd_policy(const struct ctl *c, int argc, char **argv)
{
        const char *sub = argc >= 2 ? argv[1] : "";

        if (strcmp(sub, "check") == 0 && argc <= 3)
                return policy_check(argc == 3 ? argv[2] : STEPUP_POLICY_PATH);
        if (strcmp(sub, "test") == 0)
                return policy_test(c, argc, argv);
        if (strcmp(sub, "edit") == 0)
                return policy_edit(c, argc, argv);
        if (strcmp(sub, "reload") == 0 && argc == 2) {
                int r = policy_reload(c);
                return r == 0 ? 0 : 1;
        }
        usage(stderr);
        return 2;
}
