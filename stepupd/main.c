/* stepupd: the step-up decision daemon.  main() only parses options and runs the manager. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "manager.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: stepupd [OPTIONS]\n"
                "  --socket PATH        PAM socket (root only)       [%s]\n"
                "  --user-socket PATH   user socket ('' = none)      [%s]\n"
                "  --db PATH            SQLite database              [%s]\n"
                "  --policy PATH        policy file                  [%s]\n"
                "  --config PATH        daemon settings              [%s]\n"
                "  --questions PATH     security question catalogue  [%s]\n"
                "  --idp-config PATH    identity provider (idp factor) [%s]\n"
                "  --policy-owner UID   required owner of the policy and config files [0]\n"
                "  --journal            send audit events to the journal\n"
                "  --version, --help\n"
                "Sockets passed by systemd (FileDescriptorName=pam / user) take precedence.\n",
                STEPUP_PAM_SOCKET, STEPUP_USER_SOCKET, STEPUP_DB_PATH, STEPUP_POLICY_PATH,
                STEPUP_CONFIG_PATH, STEPUP_QUESTIONS_PATH, STEPUP_IDP_CONFIG_PATH);
}

static int set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = strdup(v);
        return *dst ? 0 : -ENOMEM;
}

static int parse_args(int argc, char **argv, struct su_config *c)
{
        enum {
                O_SOCKET = 256,
                O_USER_SOCKET,
                O_DB,
                O_POLICY,
                O_CONFIG,
                O_QUESTIONS,
                O_IDP_CONFIG,
                O_OWNER,
                O_JOURNAL,
                O_VERSION,
                O_HELP
        };
        static const struct option opts[] = {
            {"socket", required_argument, NULL, O_SOCKET},
            {"user-socket", required_argument, NULL, O_USER_SOCKET},
            {"db", required_argument, NULL, O_DB},
            {"policy", required_argument, NULL, O_POLICY},
            {"config", required_argument, NULL, O_CONFIG},
            {"questions", required_argument, NULL, O_QUESTIONS},
            {"idp-config", required_argument, NULL, O_IDP_CONFIG},
            {"policy-owner", required_argument, NULL, O_OWNER},
            {"journal", no_argument, NULL, O_JOURNAL},
            {"version", no_argument, NULL, O_VERSION},
            {"help", no_argument, NULL, O_HELP},
            {},
        };
        int o;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                int r = 0;
                switch (o) {
                case O_SOCKET:
                        r = set_str(&c->pam_socket, optarg);
                        break;
                case O_USER_SOCKET:
                        r = set_str(&c->user_socket, optarg);
                        break;
                case O_DB:
                        r = set_str(&c->db_path, optarg);
                        break;
                case O_POLICY:
                        r = set_str(&c->policy_path, optarg);
                        break;
                case O_CONFIG:
                        r = set_str(&c->config_path, optarg);
                        break;
                case O_QUESTIONS:
                        r = set_str(&c->questions_path, optarg);
                        break;
                case O_IDP_CONFIG:
                        r = set_str(&c->idp_config_path, optarg);
                        c->idp_config_given = true;
                        break;
                case O_OWNER: {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        if (errno || *end || end == optarg || v > 0x7fffffffUL) {
                                fprintf(stderr, "stepupd: --policy-owner: not a uid: %s\n", optarg);
                                return -EINVAL;
                        }
                        c->policy_owner = (uid_t)v;
                        break;
                }
                case O_JOURNAL:
                        c->journal = true;
                        break;
                case O_VERSION:
                        printf("stepupd %s\n", STEPUP_VERSION);
                        exit(0);
                case O_HELP:
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (optind < argc) {
                fprintf(stderr, "stepupd: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static int run(int argc, char **argv)
{
        struct su_config cfg;
        struct su_manager *m = NULL;
        char err[512];

        /* Secrets live in this process: no core dumps, no ptrace by the same uid. */
        struct rlimit rl = {0, 0};
        setrlimit(RLIMIT_CORE, &rl);
        prctl(PR_SET_DUMPABLE, 0);
        umask(077);

        su_config_defaults(&cfg);
        int r = parse_args(argc, argv, &cfg);
        if (r == 0) {
                r = su_config_load(&cfg, cfg.config_path, err, sizeof(err));
                if (r < 0)
                        fprintf(stderr, "stepupd: %s\n", err);
        }
        if (r < 0) {
                su_config_free(&cfg);
                return r;
        }
        /* The manager takes the settings over, failing or not. */
        r = su_manager_new(&m, &cfg);
        if (r < 0)
                return r;
        r = su_manager_startup(m);
        if (r >= 0)
                r = su_manager_run(m);
        su_manager_free(m);
        return r;
}

int main(int argc, char **argv)
{
        int r = run(argc, argv);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
