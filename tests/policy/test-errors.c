/* Every diagnostic, checked from data files: DATADIR/errors/NAME.conf holds rules and, on
 * lines starting with "#! ", the diagnostics it must produce in order, written as
 * su_diag_format's first line without the "NAME.conf:" prefix ("3:17: error: ...").  A file
 * with an expected error must be refused (-EINVAL); one with only warnings must load.  A file
 * that loads is also given to su_policy_lint, whose warnings come after the parser's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

#define MAX_EXPECT 64

static void run_file(const char *dir, const char *name)
{
        char *path = tu_join(dir, name), *text, *expect[MAX_EXPECT];
        size_t len, nexp = 0, nerr = 0;
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        int r;

        text = tu_read_file(path, &len);
        CHECK(text != NULL);
        if (!text) {
                free(path);
                return;
        }
        for (char *ln = text; ln && *ln;) {
                char *nl = strchr(ln, '\n');
                if (nl)
                        *nl = '\0';
                if (strncmp(ln, "#! ", 3) == 0 && nexp < MAX_EXPECT) {
                        expect[nexp++] = ln + 3;
                        if (strstr(ln, ": error: ") || strncmp(ln + 3, "error: ", 7) == 0)
                                nerr++;
                }
                ln = nl ? nl + 1 : NULL;
        }

        r = tu_parse_file(path, name, &p, &d);
        if (r == 0) /* su_policy_lint's warnings follow the parser's, as in `policy check` */
                CHECK(su_policy_lint(p, &d) >= 0);
        CHECK_INT(r, nerr ? -EINVAL : 0);
        CHECK(nerr ? p == NULL : p != NULL);
        CHECK_INT(d.errors, nerr);
        CHECK_INT(d.warnings, nexp - nerr);
        CHECK_INT(d.n, nexp);
        for (size_t i = 0; i < d.n || i < nexp; i++) {
                char got[1024];

                if (i < d.n)
                        tu_diag_line(&d.v[i], got, sizeof(got));
                check_count++;
                if (i >= d.n || i >= nexp || strcmp(got, expect[i]) != 0) {
                        fprintf(stderr, "%s: diagnostic %zu:\n   got: %s\n  want: %s\n", name,
                                i + 1, i < d.n ? got : "(none)", i < nexp ? expect[i] : "(none)");
                        check_failures++;
                }
                if (i < d.n)
                        CHECK_STREQ(d.v[i].file, name);
        }
        printf("%s: %zu diagnostics\n", name, nexp);
        su_policy_free(p);
        su_diags_free(&d);
        free(text);
        free(path);
}

int main(int argc, char **argv)
{
        const char *data = argc > 1 ? argv[1] : getenv("POLICY_TEST_DATA");
        char *dir, **files;
        size_t n = 0;

        if (!data) {
                fprintf(stderr, "usage: %s DATADIR\n", argv[0]);
                return 2;
        }
        dir = tu_join(data, "errors");
        files = tu_list(dir, ".conf", &n);
        CHECK(files != NULL && n > 0);
        for (size_t i = 0; files && i < n; i++)
                run_file(dir, files[i]);
        tu_free_list(files);
        free(dir);
        return check_done();
}
