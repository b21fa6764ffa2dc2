/* The shipped policies parse cleanly (no error, no warning, nothing for su_policy_lint to say),
 * default.conf allows everything,
 * and every seed of the fuzz corpus parses or is refused without crashing.
 * Arguments: the tests/policy directory and the policy source directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testutil.h"

static void print_diags(const struct su_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                char buf[1024];
                su_diag_format(&d->v[i], buf, sizeof(buf));
                fputs(buf, stderr);
        }
}

static struct su_policy *parse_clean(const char *dir, const char *name)
{
        char *path = tu_join(dir, name);
        struct su_diags d = {0};
        struct su_policy *p = NULL;

        CHECK_INT(tu_parse_file(path, name, &p, &d), 0);
        if (p) /* no deny-list either: the examples are allow-lists */
                CHECK_INT(su_policy_lint(p, &d), 0);
        CHECK_INT(d.errors, 0);
        CHECK_INT(d.warnings, 0);
        CHECK(su_policy_rule_count(p) > 0);
        print_diags(&d);
        printf("%s: %zu rules\n", path, su_policy_rule_count(p));
        su_diags_free(&d);
        free(path);
        return p;
}

/* The default must never lock anyone out: whatever the request, allow. */
static void check_default(const char *policy_dir)
{
        static const char *const services[] = {
            "sudo", "su", "su-l", "sshd", "login", "stepup-policy", "gdm-password", NULL};
        static const char *const groups[] = {"sudo", "wheel"};
        struct su_policy *p = parse_clean(policy_dir, "default.conf");

        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
                struct su_request rq = {
                    .service = services[i],
                    .user = "root",
                    .command = "/bin/bash -i",
                    .command_is_shell = true,
                    .rhost = "203.0.113.9",
                    .remote = true,
                    .groups = groups,
                    .ngroups = 2,
                    .now = 1700000000,
                };
                struct su_decision d;

                CHECK_INT(su_policy_eval(p, &rq, &d, NULL), 0);
                CHECK_INT(d.action, SU_ACTION_ALLOW);
                CHECK(d.matched);
        }
        su_policy_free(p);
}

static void check_corpus(const char *dir)
{
        size_t n = 0;
        char **files = tu_list(dir, "", &n);

        CHECK(files != NULL && n >= 12);
        for (size_t i = 0; files && i < n; i++) {
                char *path = tu_join(dir, files[i]);
                struct su_diags d = {0};
                struct su_policy *p = NULL;
                struct su_request rq = {.service = "sudo", .user = "alice"};
                struct su_decision dec;
                struct su_explain ex = {0};
                int r = tu_parse_file(path, files[i], &p, &d);

                CHECK(r == 0 || r == -EINVAL);
                if (r == 0)
                        CHECK_INT(su_policy_eval(p, &rq, &dec, &ex), 0);
                su_explain_free(&ex);
                su_policy_free(p);
                su_diags_free(&d);
                free(path);
        }
        printf("%zu corpus files\n", n);
        tu_free_list(files);
}

int main(int argc, char **argv)
{
        char *examples, *corpus, **files;
        size_t n = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: %s TESTS_POLICY_DIR POLICY_SOURCE_DIR\n", argv[0]);
                return 2;
        }
        check_default(argv[2]);
        examples = tu_join(argv[2], "examples");
        files = tu_list(examples, ".conf", &n);
        CHECK(files != NULL && n >= 4);
        for (size_t i = 0; files && i < n; i++)
                su_policy_free(parse_clean(examples, files[i]));
        tu_free_list(files);
        free(examples);

        corpus = tu_join(argv[1], "corpus");
        check_corpus(corpus);
        free(corpus);
        return check_done();
}
