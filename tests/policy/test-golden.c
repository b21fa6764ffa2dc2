/* Golden decision tables: DATADIR/golden/NAME.table holds one case per line (syntax in cases.c)
 * against the policy NAME.conf next to it (or the file named by a "policy PATH" line, relative to
 * the table). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "testutil.h"

static struct case_stats stats;

static void run_table(const char *dir, const char *name)
{
        char *path = tu_join(dir, name), *text, *policy_path;
        struct su_diags diags = {0};
        struct su_policy *p = NULL;
        size_t len;
        unsigned lineno = 0;
        int r;

        text = tu_read_file(path, &len);
        CHECK(text != NULL);
        if (!text) {
                free(path);
                return;
        }
        /* default policy: NAME.conf next to NAME.table */
        policy_path = tu_join(dir, name);
        strcpy(policy_path + strlen(policy_path) - strlen(".table"), ".conf");

        for (char *ln = text, *next; ln && *ln; ln = next) {
                next = strchr(ln, '\n');
                if (next)
                        *next++ = '\0';
                ++lineno;
                while (*ln == ' ' || *ln == '\t')
                        ln++;
                if (!*ln || *ln == '#')
                        continue;
                if (!strncmp(ln, "policy ", 7)) {
                        free(policy_path);
                        policy_path = tu_join(dir, ln + 7);
                        continue;
                }
                if (!p) {
                        const char *base = strrchr(policy_path, '/');
                        r = tu_parse_file(policy_path, base ? base + 1 : policy_path, &p, &diags);
                        for (size_t i = 0; i < diags.n; i++) {
                                char buf[1024];
                                su_diag_format(&diags.v[i], buf, sizeof(buf));
                                fprintf(stderr, "%s", buf);
                        }
                        if (r != 0) {
                                fprintf(stderr, "%s:%u: cannot parse %s: %d\n", path, lineno,
                                        policy_path, r);
                                stats.failures++;
                                break;
                        }
                }
                case_run(p, path, lineno, ln, &stats);
        }
        printf("%s: %s\n", name, policy_path);
        su_policy_free(p);
        su_diags_free(&diags);
        free(policy_path);
        free(text);
        free(path);
}

int main(int argc, char **argv)
{
        const char *data = argc > 1 ? argv[1] : getenv("POLICY_TEST_DATA");
        char *dir, **tables;
        size_t n = 0;

        if (!data) {
                fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
                return 2;
        }
        /* Clock conditions use localtime(); pin it. */
        setenv("TZ", "UTC0", 1);
        tzset();
        dir = tu_join(data, "golden");
        tables = tu_list(dir, ".table", &n);
        CHECK(tables != NULL && n > 0);
        for (size_t i = 0; tables && i < n; i++)
                run_table(dir, tables[i]);
        printf("%d cases in %zu tables (%d skipped)\n", stats.run, n, stats.skipped);
        check_count += stats.checks;
        check_failures += stats.failures;
        tu_free_list(tables);
        free(dir);
        return check_done();
}
