/* stepupctl policy check [FILE] | reload. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "policy.h"

static int policy_check(const char *path)
{
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        /* The daemon requires root-owned files; checking as a user, accept the user's own. */
        int r = su_policy_load(path, geteuid(), &p, &d);
        for (size_t i = 0; i < d.n; i++) {
                char buf[1024];
                su_diag_format(&d.v[i], buf, sizeof(buf));
                fputs(buf, stderr);
                if (buf[0] && buf[strlen(buf) - 1] != '\n')
                        fputc('\n', stderr);
        }
        if (r == 0)
                printf("%s: OK (%zu rules, %zu warnings)\n", path, su_policy_rule_count(p),
                       d.warnings);
        else
                fprintf(stderr, "%s: %zu error(s); the policy would be refused\n", path, d.errors);
        su_policy_free(p);
        su_diags_free(&d);
        return r == 0 ? 0 : 1;
}

int cmd_policy(const struct ctl *c, int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "check") == 0)
                return policy_check(argc >= 3 ? argv[2] : STEPUP_POLICY_PATH);
        if (argc >= 2 && strcmp(argv[1], "reload") == 0) {
                struct su_msg req, rep;
                su_msg_init(&req, SU_REQ_RELOAD);
                if (ctl_call(c, &req, &rep) < 0)
                        return 1;
                int r = ctl_report(&rep);
                if (r == 0)
                        printf("policy reloaded\n");
                return r;
        }
        fprintf(stderr, "Usage: stepupctl policy check [FILE] | reload\n");
        return 2;
}
