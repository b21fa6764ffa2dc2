/* stepupctl fleet keygen | init | rotate-key | import: the fleet's PostgreSQL, directly.
 * The connection string and the key file come from stepupd.conf (store =, fleet_key =), or
 * from --store and --key. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "schema.h"
#include "settings.h"

#define FLEET_TIMEOUT_S 60 /* an admin's verb: room for a large import or rotation */

static void usage(FILE *f)
{
        fprintf(f, "Usage: stepupctl fleet keygen PATH\n"
                   "       stepupctl fleet init [--grant ROLE] [OPTIONS]\n"
                   "       stepupctl fleet rotate-key --new PATH [OPTIONS]\n"
                   "       stepupctl fleet import --from sqlite:PATH [OPTIONS]\n"
                   "OPTIONS: --config PATH (stepupd.conf: store =, fleet_key =)\n"
                   "         --store postgresql:CONNINFO  --key PATH  --timeout SECONDS\n");
}

struct opts {
        const char *config, *store, *key, *grant, *new_key, *from;
        unsigned timeout_s;
};

static int parse(int argc, char **argv, struct opts *o)
{
        *o = (struct opts){.config = STEPUP_CONFIG_PATH, .timeout_s = FLEET_TIMEOUT_S};
        for (int i = 2; i < argc; i += 2) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (v && strcmp(a, "--timeout") == 0) {
                        char *end;
                        unsigned long t = strtoul(v, &end, 10);
                        if (*end || t < 1 || t > 3600) {
                                fprintf(stderr, "stepupctl: --timeout: 1 to 3600 seconds\n");
                                return -EINVAL;
                        }
                        o->timeout_s = (unsigned)t;
                        continue;
                }
                const char **dst = strcmp(a, "--config") == 0  ? &o->config
                                   : strcmp(a, "--store") == 0 ? &o->store
                                   : strcmp(a, "--key") == 0   ? &o->key
                                   : strcmp(a, "--grant") == 0 ? &o->grant
                                   : strcmp(a, "--new") == 0   ? &o->new_key
                                   : strcmp(a, "--from") == 0  ? &o->from
                                                               : NULL;
                if (!dst || !v) {
                        usage(stderr);
                        return -EINVAL;
                }
                *dst = v;
        }
        return 0;
}

/* The store and the key: from the options, else stepupd.conf; then connected. */
static int open_fleet(const struct opts *o, struct fleet *f, struct su_config *cfg)
{
        char err[512], why[200];
        su_config_defaults(cfg);
        int r = su_config_load(cfg, o->config, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "stepupctl: %s\n", err);
                return r;
        }
        const char *conninfo = cfg->store_kind == 1 ? cfg->store_conninfo : NULL;
        if (o->store) {
                if (strncmp(o->store, "postgresql:", 11) != 0 || !o->store[11]) {
                        fprintf(stderr, "stepupctl: --store must be postgresql:CONNINFO\n");
                        return -EINVAL;
                }
                conninfo = o->store + 11;
        }
        if (!conninfo) {
                fprintf(stderr,
                        "stepupctl: %s: store is not postgresql:CONNINFO (set it, or give "
                        "--store)\n",
                        o->config);
                return -EINVAL;
        }
        f->key_path = o->key ? o->key : cfg->fleet_key;
        if ((r = su_fleet_crypto_init()) < 0) {
                fprintf(stderr, "stepupctl: libsodium did not start\n");
                return r;
        }
        if ((r = su_fleet_key_read(f->key_path, geteuid(), f->key, why, sizeof(why))) < 0) {
                fprintf(stderr, "stepupctl: fleet_key %s: %s\n", f->key_path, why);
                return r;
        }
        su_fleet_key_check(f->key, f->check);
        f->deadline_us = su_pg_now_us() + (uint64_t)o->timeout_s * 1000000u;
        if ((r = su_pg_init(&f->pg, conninfo)) < 0 ||
            (r = su_pg_connect(&f->pg, f->deadline_us)) < 0) {
                fprintf(stderr, "stepupctl: store: %s\n", f->pg.err);
                return r;
        }
        return 0;
}

static int keygen(int argc, char **argv)
{
        char why[200];
        if (argc != 3 || argv[2][0] == '-') {
                usage(stderr);
                return 2;
        }
        int r = su_fleet_key_new(argv[2], why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "stepupctl: %s: %s\n", argv[2], why);
                return 1;
        }
        printf("%s: a new fleet key (64 hex digits, mode 0600); copy it to every host's "
               "fleet_key\n",
               argv[2]);
        return 0;
}

static int init(struct fleet *f, const struct opts *o)
{
        int from = 0;
        int r = su_pg_schema_migrate(&f->pg, f->check, f->deadline_us, &from);
        if (r < 0) {
                fprintf(stderr, "stepupctl: store: %s\n", f->pg.err);
                return 1;
        }
        if (from == SU_PG_SCHEMA_VERSION)
                printf("stepup schema: version %d, already current\n", from);
        else
                printf("stepup schema: version %d -> %d\n", from, SU_PG_SCHEMA_VERSION);
        if (o->grant) {
                if ((r = su_pg_schema_grant(&f->pg, o->grant, f->deadline_us)) < 0) {
                        fprintf(stderr, "stepupctl: store: --grant %s: %s\n", o->grant, f->pg.err);
                        return 1;
                }
                printf("role %s: may use the stepup tables (no DDL)\n", o->grant);
        }
        return 0;
}

int cmd_fleet(const struct ctl *c, int argc, char **argv)
{
        (void)c;
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *verb = argv[1];
        if (strcmp(verb, "keygen") == 0)
                return keygen(argc, argv);
        bool known = strcmp(verb, "init") == 0 || strcmp(verb, "rotate-key") == 0 ||
                     strcmp(verb, "import") == 0;
        struct opts o;
        if (!known || parse(argc, argv, &o) < 0) {
                if (!known)
                        usage(stderr);
                return 2;
        }
        if (strcmp(verb, "rotate-key") == 0 && !o.new_key) {
                fprintf(stderr, "stepupctl: fleet rotate-key needs --new PATH\n");
                return 2;
        }
        if (strcmp(verb, "import") == 0 && (!o.from || strncmp(o.from, "sqlite:", 7) != 0)) {
                fprintf(stderr, "stepupctl: fleet import needs --from sqlite:PATH\n");
                return 2;
        }
        struct su_config cfg;
        struct fleet f = {0};
        int code = 1;
        if (open_fleet(&o, &f, &cfg) == 0) {
                if (strcmp(verb, "init") == 0)
                        code = init(&f, &o);
                else if (strcmp(verb, "rotate-key") == 0)
                        code = fleet_rotate(&f, o.new_key);
                else
                        code = fleet_import(&f, o.from + 7);
        }
        su_pg_done(&f.pg);
        explicit_bzero(f.key, sizeof(f.key));
        su_config_free(&cfg);
        return code;
}
