/* The library's API contract and its limits: diagnostic formatting, factor names, parse and
 * eval argument handling, explanations, and every size limit at and just past its edge. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h" /* white-box: the factor-set limit cannot be reached with 3 factors */
#include "testutil.h"

static struct su_policy *parse_ok(const char *text)
{
        struct su_policy *p = NULL;
        int r = su_policy_parse_buffer("t.conf", text, strlen(text), &p, NULL);

        CHECK_INT(r, 0);
        return p;
}

/* Parse text that must fail; return the first diagnostic line ("L:C: error: ..."). */
static const char *first_error(const char *text, size_t len, char *buf, size_t size)
{
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        int r = su_policy_parse_buffer("t.conf", text, len, &p, &d);

        CHECK_INT(r, -EINVAL);
        CHECK(p == NULL);
        snprintf(buf, size, "(no diagnostic)");
        if (d.n)
                tu_diag_line(&d.v[0], buf, size);
        su_diags_free(&d);
        return buf;
}

static void test_format(void)
{
        const char *src = "\n\n        require totpp within 5m\n";
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        char buf[1024];
        int n;

        /* the example from the design brief, character for character */
        CHECK_INT(su_policy_parse_buffer("policy.conf", src, strlen(src), &p, &d), -EINVAL);
        CHECK_INT(d.n, 1);
        n = su_diag_format(&d.v[0], buf, sizeof(buf));
        CHECK_STREQ(buf, "policy.conf:3:17: error: unknown factor 'totpp' (expected totp, "
                         "question, recovery or idp)\n"
                         "    require totpp within 5m\n"
                         "            ^\n");
        CHECK_INT(n, strlen(buf));

        /* truncation: snprintf semantics, always terminated */
        char small[20];
        n = su_diag_format(&d.v[0], small, sizeof(small));
        CHECK_INT(n, strlen(buf));
        CHECK_INT(strlen(small), sizeof(small) - 1);
        CHECK(strncmp(small, buf, sizeof(small) - 1) == 0);
        CHECK_INT(su_diag_format(&d.v[0], NULL, 0), strlen(buf));
        CHECK_INT(su_diag_format(NULL, buf, sizeof(buf)), -EINVAL);
        su_diags_free(&d);
        su_diags_free(&d); /* idempotent */
        su_diags_free(NULL);

        /* tabs after the indentation are kept in the caret line */
        src = "\trequire\ttotpp\n";
        CHECK_INT(su_policy_parse_buffer("t.conf", src, strlen(src), &p, &d), -EINVAL);
        su_diag_format(&d.v[0], buf, sizeof(buf));
        CHECK_STREQ(buf, "t.conf:1:10: error: unknown factor 'totpp' (expected totp, question, "
                         "recovery or idp)\n    require\ttotpp\n           \t^\n");
        su_diags_free(&d);

        /* a whole-file warning has no line, text or caret */
        CHECK_INT(su_policy_parse_buffer("t.conf", "", 0, &p, &d), 0);
        CHECK_INT(d.n, 1);
        CHECK_INT(d.v[0].severity, SU_DIAG_WARNING);
        su_diag_format(&d.v[0], buf, sizeof(buf));
        CHECK(strncmp(buf, "t.conf: warning: no rule matches every request,",
                      strlen("t.conf: warning: no rule matches every request,")) == 0);
        CHECK(strchr(buf, '\n') == buf + strlen(buf) - 1);
        su_policy_free(p);
        su_diags_free(&d);
}

static void test_factors(void)
{
        struct dnf a = {.n = 0}, b = {.n = 0};

        CHECK_STREQ(su_factor_name(SU_FACTOR_TOTP), "totp");
        CHECK_STREQ(su_factor_name(SU_FACTOR_QUESTION), "question");
        CHECK_STREQ(su_factor_name(SU_FACTOR_RECOVERY), "recovery");
        CHECK(su_factor_name(SU_FACTOR_TOTP | SU_FACTOR_QUESTION) == NULL);
        CHECK(su_factor_name(0) == NULL);
        CHECK_INT(su_factor_from_name("totp"), SU_FACTOR_TOTP);
        CHECK_INT(su_factor_from_name("question"), SU_FACTOR_QUESTION);
        CHECK_INT(su_factor_from_name("recovery"), SU_FACTOR_RECOVERY);
        CHECK_INT(su_factor_from_name("TOTP"), -EINVAL);
        CHECK_INT(su_factor_from_name(""), -EINVAL);
        CHECK_INT(su_factor_from_name(NULL), -EINVAL);

        /* More than SU_FACTOR_SETS_MAX minimal sets needs more than 3 factors (the largest
         * antichain of subsets of 3 has 3 members), so check the limit on the DNF code with
         * made-up factor bits: (f0|..|f3) + (f4|..|f7) has 16 minimal sets. */
        a.n = b.n = 4;
        for (unsigned i = 0; i < 4; i++) {
                a.set[i] = 1u << i;
                b.set[i] = 1u << (i + 4);
        }
        CHECK_INT(dnf_and(&a, &b), -E2BIG);
        a.n = 4;
        for (unsigned i = 0; i < 4; i++)
                a.set[i] = 1u << i;
        CHECK_INT(dnf_or(&a, &b), 0); /* 8 sets: exactly at the limit */
        CHECK_INT(a.n, 8);
        b.n = 1;
        b.set[0] = 1u << 9;
        CHECK_INT(dnf_or(&a, &b), -E2BIG);
}

static void test_parse_api(void)
{
        struct su_policy *sentinel = (struct su_policy *)&sentinel, *p = sentinel;
        struct su_diags d = {0};
        const char *bad = "allow\nrequire nothing\n";

        /* on error *ret is untouched, even without a diagnostics list */
        CHECK_INT(su_policy_parse_buffer("t.conf", bad, strlen(bad), &p, NULL), -EINVAL);
        CHECK(p == sentinel);
        CHECK_INT(su_policy_parse_buffer("t.conf", bad, strlen(bad), &p, &d), -EINVAL);
        CHECK(p == sentinel);
        CHECK_INT(d.errors, 1);
        CHECK_INT(su_policy_parse_buffer("t.conf", "allow", 5, NULL, NULL), -EINVAL);
        CHECK_INT(su_policy_parse_buffer("t.conf", NULL, 5, &p, NULL), -EINVAL);
        su_diags_free(&d);

        /* no name: diagnostics still say something */
        CHECK_INT(su_policy_parse_buffer(NULL, "x", 1, &p, &d), -EINVAL);
        CHECK_STREQ(d.v[0].file, "(buffer)");
        su_diags_free(&d);

        /* len, not NUL, ends the text; CRLF line ends are accepted */
        p = NULL;
        CHECK_INT(su_policy_parse_buffer("t.conf", "allow\r\ndeny garbage", 7, &p, NULL), 0);
        CHECK_INT(su_policy_rule_count(p), 1);
        p = su_policy_free(p);
        CHECK(p == NULL);
        CHECK_INT(su_policy_rule_count(NULL), 0);

        /* diagnostics accumulate across parses */
        CHECK_INT(su_policy_parse_buffer("a.conf", "x", 1, &p, &d), -EINVAL);
        CHECK_INT(su_policy_parse_buffer("b.conf", "y", 1, &p, &d), -EINVAL);
        CHECK_INT(d.n, 2);
        CHECK_STREQ(d.v[1].file, "b.conf");
        su_diags_free(&d);
}

static void test_limits(void)
{
        size_t big = 5000 * 16;
        char *buf = malloc(POLICY_MAX_FILE_SIZE + 2), line[128];
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        size_t len;

        if (!buf)
                abort();

        /* line length: 4096 bytes is fine, 4097 is not */
        memset(buf, 'x', 4096);
        buf[0] = '#';
        CHECK_INT(su_policy_parse_buffer("t.conf", buf, 4096, &p, NULL), 0);
        p = su_policy_free(p);
        memcpy(buf + 4096, "x\nallow\n", 8);
        CHECK_STREQ(first_error(buf, 4096 + 8, line, sizeof(line)),
                    "1: error: line too long (4097 bytes, max 4096)");

        /* rules: 4096 are fine, the 4097th is refused */
        len = 0;
        for (int i = 0; i < 4096; i++)
                len += (size_t)sprintf(buf + len, "allow when tty\n");
        CHECK_INT(su_policy_parse_buffer("t.conf", buf, len, &p, NULL), 0);
        CHECK_INT(su_policy_rule_count(p), 4096);
        p = su_policy_free(p);
        len += (size_t)sprintf(buf + len, "allow\n");
        CHECK_STREQ(first_error(buf, len, line, sizeof(line)),
                    "4097:1: error: too many rules (max 4096)");

        /* size: exactly 1 MiB is accepted, one byte more is not */
        memset(buf, '\n', POLICY_MAX_FILE_SIZE + 1);
        memcpy(buf, "allow", 5);
        CHECK_INT(su_policy_parse_buffer("t.conf", buf, POLICY_MAX_FILE_SIZE, &p, NULL), 0);
        p = su_policy_free(p);
        CHECK_STREQ(first_error(buf, POLICY_MAX_FILE_SIZE + 1, line, sizeof(line)),
                    "error: policy too large (1048577 bytes, max 1048576)");

        /* strings: 1024 bytes of message or reason, not more */
        len = (size_t)sprintf(buf, "require totp message \"");
        memset(buf + len, 'm', 1024);
        len += 1024;
        len += (size_t)sprintf(buf + len, "\"\nallow\n");
        CHECK_INT(su_policy_parse_buffer("t.conf", buf, len, &p, NULL), 0);
        p = su_policy_free(p);
        len = (size_t)sprintf(buf, "deny \"");
        memset(buf + len, 'm', 1025);
        len += 1025;
        len += (size_t)sprintf(buf + len, "\"\n");
        CHECK_STREQ(first_error(buf, len, line, sizeof(line)),
                    "1:6: error: deny reason too long (1025 bytes, max 1024)");
        len = (size_t)sprintf(buf, "require totp message \"");
        memset(buf + len, 'm', 1025);
        len += 1025;
        len += (size_t)sprintf(buf + len, "\"\n");
        CHECK_STREQ(first_error(buf, len, line, sizeof(line)),
                    "1:22: error: message too long (1025 bytes, max 1024)");

        /* names: 255 bytes */
        len = (size_t)sprintf(buf, "allow when rhost ");
        memset(buf + len, 'h', 256);
        len += 256;
        CHECK_STREQ(first_error(buf, len, line, sizeof(line)),
                    "1:18: error: host name, address or network too long (256 bytes, max 255)");

        /* a NUL byte is a control character like any other */
        CHECK_STREQ(first_error("allow\0", 6, line, sizeof(line)),
                    "1:6: error: invalid character 0x00");

        /* a flood of errors is counted in full but stored only up to a cap */
        len = 0;
        while (len < big)
                len += (size_t)sprintf(buf + len, "nonsense\n");
        CHECK_INT(su_policy_parse_buffer("t.conf", buf, len, &p, &d), -EINVAL);
        CHECK_INT(d.errors, big / 9 + (big % 9 != 0));
        CHECK_INT(d.n, POLICY_MAX_DIAGS);
        CHECK_STREQ(d.v[d.n - 1].message, "too many diagnostics; only the first 127 are shown");
        su_diags_free(&d);
        free(buf);
}

static void test_eval(void)
{
        static const char *const groups[] = {"users", "audio"};
        const char *text = "deny \"no\" when service sshd and user root\n"
                           "require totp|recovery within 5m when service sudo and group wheel\n"
                           "require question message \"hi\" when service sudo and "
                           "time 00:00-24:00\n"
                           "allow\n";
        struct su_request rq = {.service = "sshd", .user = "bob", .groups = groups, .ngroups = 2};
        struct su_policy *p = parse_ok(text);
        struct su_explain ex = {0};
        struct su_decision d, keep;

        CHECK_INT(su_policy_eval(NULL, &rq, &d, NULL), -EINVAL);
        CHECK_INT(su_policy_eval(p, NULL, &d, NULL), -EINVAL);
        CHECK_INT(su_policy_eval(p, &rq, NULL, NULL), -EINVAL);

        /* the explanations named in the design */
        CHECK_INT(su_policy_eval(p, &rq, &d, &ex), 0);
        CHECK_INT(d.action, SU_ACTION_ALLOW);
        CHECK_INT(d.line, 4);
        CHECK_INT(ex.n, 4);
        CHECK_STREQ(ex.v[0].why, "user is 'bob', not root");
        CHECK_STREQ(ex.v[1].why, "service is 'sshd', not sudo");
        CHECK_STREQ(ex.v[3].why, "matches every request (no 'when')");
        CHECK(ex.v[3].matched && !ex.v[0].matched);
        CHECK_STREQ(ex.v[0].file, "t.conf");

        rq.service = "sudo";
        CHECK_INT(su_policy_eval(p, &rq, &d, &ex), 0); /* explain is rewritten, not appended */
        CHECK_INT(ex.n, 3);
        CHECK_STREQ(ex.v[1].why, "user 'bob' is not in group wheel");
        CHECK_STREQ(ex.v[2].why, "matched: service is 'sudo'; local time 00:00 is within "
                                 "00:00-24:00");
        CHECK_INT(d.action, SU_ACTION_REQUIRE);
        CHECK_STREQ(d.message, "hi");
        CHECK_INT(d.within_s, 900);
        CHECK_INT(d.nfactor_sets, 1);
        CHECK_INT(d.factor_sets[0], SU_FACTOR_QUESTION);

        /* NULL explain gives the same decision */
        keep = d;
        CHECK_INT(su_policy_eval(p, &rq, &d, NULL), 0);
        CHECK(memcmp(&keep, &d, sizeof(d)) == 0);

        /* a request the clock cannot place is an error, not a silent "no match"; the
         * decision is left alone */
        rq.now = (time_t)INT64_MAX;
        CHECK(su_policy_eval(p, &rq, &d, &ex) < 0);
        CHECK(memcmp(&keep, &d, sizeof(d)) == 0);

        rq.service = NULL;
        rq.user = NULL;
        rq.groups = NULL;
        rq.ngroups = 0;
        CHECK_INT(su_policy_eval(p, &rq, &d, &ex), 0);
        CHECK_INT(d.line, 4);
        CHECK_STREQ(ex.v[1].why, "no service given, rule wants sudo");
        su_explain_free(&ex);
        su_explain_free(&ex);
        su_explain_free(NULL);
        su_policy_free(p);

        /* an empty policy denies everything, fail closed */
        p = parse_ok("# nothing\n");
        CHECK_INT(su_policy_eval(p, &rq, &d, &ex), 0);
        CHECK_INT(d.action, SU_ACTION_DENY);
        CHECK(!d.matched);
        CHECK_STREQ(d.file, "(default)");
        CHECK_INT(d.line, 0);
        CHECK(d.reason == NULL);
        CHECK_INT(ex.n, 0);
        su_policy_free(p);
}

int main(void)
{
        setenv("TZ", "UTC0", 1);
        test_format();
        test_factors();
        test_parse_api();
        test_limits();
        test_eval();
        return check_done();
}
