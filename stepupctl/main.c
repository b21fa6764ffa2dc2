/* stepupctl: enrol, inspect and manage step-up from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: stepupctl [--socket PATH] [--user-socket PATH] COMMAND ...\n"
                "  enroll totp [--user NAME --secret-stdin] [--issuer NAME] [--no-qr]\n"
                "              [--plain-qr] [--qr-png FILE] [--digits N] [--period S]\n"
                "              [--algorithm SHA1|SHA256|SHA512]\n"
                "  enroll questions [--user NAME]   answer the admin's security questions\n"
                "  recovery-codes [--user NAME]     make 10 single-use recovery codes\n"
                "  remove totp|question|recovery    remove one of your factors\n"
                "  reset --user NAME [--factor F]   remove a user's factors (root)\n"
                "  forget --user NAME               erase every record of a user (root)\n"
                "  list [--json]                    users and their factors (root)\n"
                "  import google-authenticator --user NAME FILE | import oath FILE (root)\n"
                "  status [--user NAME] [--json]\n"
                "  revoke [--user NAME]        drop step-up assurance (as sudo -k)\n"
                "  unlock --user NAME           clear a lockout (root)\n"
                "  policy check [FILE]          validate a policy; exit 0 or 1\n"
                "  policy test --user U --service S [...]  the decision for a request, and why\n"
                "  policy edit [--file FILE]    edit, check, step up, install, reload (root)\n"
                "  policy reload                make stepupd reload its policy (root)\n"
                "  stats [--json|--prometheus]  stepupd's counters and latencies (root)\n"
                "  fleet keygen PATH | init [--grant ROLE] | rotate-key --new PATH |\n"
                "        import --from sqlite:PATH   the fleet's PostgreSQL (root)\n"
                "Root talks to the PAM socket [%s], others to the user socket [%s].\n",
                STEPUP_PAM_SOCKET, STEPUP_USER_SOCKET);
}

int main(int argc, char **argv)
{
        struct ctl c = {
            .socket = STEPUP_PAM_SOCKET, .user_socket = STEPUP_USER_SOCKET, .timeout_ms = 10000};
        int i = 1;
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
                        c.socket = argv[++i];
                else if (strcmp(argv[i], "--user-socket") == 0 && i + 1 < argc)
                        c.user_socket = argv[++i];
                else if (strcmp(argv[i], "--json") == 0)
                        c.json = true;
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 0;
                } else if (strcmp(argv[i], "--version") == 0) {
                        printf("stepupctl %s\n", STEPUP_VERSION);
                        return 0;
                } else {
                        usage(stderr);
                        return 2;
                }
        }
        if (i >= argc) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[i];
        int sub_argc = argc - i;
        char **sub_argv = argv + i;
        if (strcmp(cmd, "enroll") == 0)
                return cmd_enroll(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "status") == 0)
                return cmd_status(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "revoke") == 0)
                return cmd_revoke(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "unlock") == 0)
                return cmd_unlock(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "policy") == 0)
                return cmd_policy(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "recovery-codes") == 0)
                return cmd_recovery_codes(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "remove") == 0)
                return cmd_remove(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "reset") == 0)
                return cmd_reset(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "forget") == 0)
                return cmd_forget(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "list") == 0)
                return cmd_list(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "import") == 0)
                return cmd_import(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "stats") == 0)
                return cmd_stats(&c, sub_argc, sub_argv);
        if (strcmp(cmd, "fleet") == 0)
                return cmd_fleet(&c, sub_argc, sub_argv);
        fprintf(stderr, "stepupctl: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
}
