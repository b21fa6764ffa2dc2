/* Every policy example in the documentation parses, and decides what the documentation says.
 *
 * Arguments: documentation files, Markdown (.md) or scdoc (.scd).  Every fenced block (```) must
 * be announced by an annotation right above it (blank lines may separate them):
 *
 *     Markdown                         scdoc
 *     <!-- policy-example              ; policy-example
 *     CASE                             ; CASE
 *     ...                              ; ...
 *     -->
 *     <!-- policy-errors               ; policy-errors
 *     3:17: error: unknown factor ...  ; 3:17: error: unknown factor ...
 *     -->
 *     <!-- not-policy -->              ; not-policy
 *
 * policy-example: the block is a policy; it must parse without errors (and without warnings,
 * the parser's and su_policy_lint's, unless the first line says "warnings=N": exactly N), and
 * each CASE (a line of the golden table
 * syntax, see cases.c; LINE counts from the block's first line) must decide as written.  At
 * least one case each.  policy-errors: the block must be refused with exactly these diagnostics
 * (file name removed, first line of each).  not-policy: anything else (grammar, output, shell).
 * Annotation lines starting with '#' are comments.
 * A block without an annotation fails the test, so a new example cannot go unchecked; a file
 * without any policy example fails too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "testutil.h"

#define MAX_ANNOT_LINES 64

enum kind { K_NONE, K_EXAMPLE, K_ERRORS, K_NOT_POLICY };

struct annot {
        enum kind kind;
        unsigned line; /* where it starts */
        int warnings;
        char *lines[MAX_ANNOT_LINES]; /* cases or expected diagnostics (into the file's buffer) */
        unsigned linenos[MAX_ANNOT_LINES];
        size_t n;
};

static struct case_stats stats;
static int examples, error_examples, others;

#define FAILAT(file, line, ...)                                                                    \
        do {                                                                                       \
                fprintf(stderr, "%s:%u: ", (file), (line));                                        \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
                check_failures++;                                                                  \
        } while (0)

static char *skip_blanks(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        return s;
}

static bool is_fence(const char *line)
{
        const char *s = line;
        while (*s == ' ' || *s == '\t')
                s++;
        return strncmp(s, "```", 3) == 0;
}

/* The kind named by an annotation's first word; sets warnings from "warnings=N". */
static enum kind annot_kind(const char *word, struct annot *a)
{
        const char *rest;

        if (strncmp(word, "not-policy", 10) == 0)
                return K_NOT_POLICY;
        if (strncmp(word, "policy-errors", 13) == 0)
                return K_ERRORS;
        if (strncmp(word, "policy-example", 14) == 0) {
                rest = strstr(word, "warnings=");
                a->warnings = rest ? atoi(rest + 9) : 0;
                return K_EXAMPLE;
        }
        return K_NONE;
}

static void check_example(const char *doc, const struct annot *a, unsigned line, const char *text)
{
        char name[300];
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        int r;

        snprintf(name, sizeof(name), "%s (example at line %u)", doc, line);
        r = su_policy_parse_buffer(name, text, strlen(text), &p, &d);
        if (r == 0 && a->kind == K_EXAMPLE) /* `policy check` would print these too */
                CHECK(su_policy_lint(p, &d) >= 0);
        if (a->kind == K_ERRORS) {
                error_examples++;
                CHECK_INT(r, -EINVAL);
                if (r == 0)
                        FAILAT(doc, line, "the example is documented as refused but parses");
                if (d.n != a->n)
                        FAILAT(doc, line, "%zu diagnostics, %zu documented", d.n, a->n);
                for (size_t i = 0; i < d.n; i++) {
                        char buf[1024];
                        const char *got = tu_diag_line(&d.v[i], buf, sizeof(buf));
                        if (i >= a->n || strcmp(got, skip_blanks(a->lines[i])) != 0)
                                FAILAT(doc, line, "diagnostic '%s', documented '%s'", got,
                                       i < a->n ? skip_blanks(a->lines[i]) : "(none)");
                }
                goto out;
        }
        examples++;
        for (size_t i = 0; i < d.n; i++) {
                char buf[1024];
                su_diag_format(&d.v[i], buf, sizeof(buf));
                fputs(buf, stderr);
        }
        CHECK_INT(r, 0);
        CHECK_INT(d.warnings, a->warnings);
        if (r != 0) {
                FAILAT(doc, line, "the example does not parse");
                goto out;
        }
        if (a->n == 0)
                FAILAT(doc, a->line, "a policy example without a case");
        for (size_t i = 0; i < a->n; i++) {
                char buf[1024];
                snprintf(buf, sizeof(buf), "%s", a->lines[i]);
                case_run(p, doc, a->linenos[i], buf, &stats);
        }
out:
        su_policy_free(p);
        su_diags_free(&d);
}

static void check_doc(const char *path)
{
        bool scd = strlen(path) > 4 && strcmp(path + strlen(path) - 4, ".scd") == 0;
        size_t len, nlines = 0;
        char *text = tu_read_file(path, &len), **lines;
        struct annot a = {0};
        int before = examples + error_examples;

        CHECK(text != NULL);
        if (!text)
                return;
        lines = calloc(len + 2, sizeof(*lines));
        if (!lines)
                abort();
        for (char *s = text; *s;) {
                lines[nlines++] = s;
                s = strchr(s, '\n');
                if (!s)
                        break;
                *s++ = '\0';
        }

        for (size_t i = 0; i < nlines; i++) {
                char *ln = lines[i], *t = skip_blanks(ln);
                unsigned lineno = (unsigned)i + 1;

                if (!scd && strncmp(t, "<!--", 4) == 0) {
                        struct annot n = {.line = lineno};
                        n.kind = annot_kind(skip_blanks(t + 4), &n);
                        if (n.kind == K_NONE)
                                continue; /* some other comment */
                        if (a.kind != K_NONE)
                                FAILAT(path, a.line, "annotation without a block");
                        a = n;
                        if (strstr(t, "-->"))
                                continue;
                        while (++i < nlines && !strstr(lines[i], "-->"))
                                if (a.n < MAX_ANNOT_LINES && *skip_blanks(lines[i]) &&
                                    *skip_blanks(lines[i]) != '#') {
                                        a.linenos[a.n] = (unsigned)i + 1;
                                        a.lines[a.n++] = lines[i];
                                }
                        continue;
                }
                if (scd && t[0] == ';') {
                        char *c = skip_blanks(t + 1);
                        enum kind k = annot_kind(c, &(struct annot){0});
                        if (k != K_NONE) {
                                if (a.kind != K_NONE)
                                        FAILAT(path, a.line, "annotation without a block");
                                a = (struct annot){.line = lineno};
                                a.kind = annot_kind(c, &a);
                        } else if (a.kind != K_NONE && a.n < MAX_ANNOT_LINES && *c && *c != '#') {
                                a.linenos[a.n] = lineno;
                                a.lines[a.n++] = c;
                        }
                        continue;
                }
                if (!*t)
                        continue;
                if (!is_fence(ln)) {
                        if (a.kind != K_NONE)
                                FAILAT(path, a.line, "annotation not followed by a ``` block");
                        a.kind = K_NONE;
                        continue;
                }

                /* A fenced block: its lines without the fence's own indentation. */
                size_t indent = (size_t)(t - ln), cap = 1, used = 0;
                unsigned start = lineno;
                char *body = malloc(cap);
                if (!body)
                        abort();
                body[0] = '\0';
                while (++i < nlines && !is_fence(lines[i])) {
                        const char *b = lines[i];
                        for (size_t k = 0; k < indent && (*b == ' ' || *b == '\t'); k++)
                                b++;
                        size_t bl = strlen(b);
                        body = realloc(body, (cap = used + bl + 2));
                        if (!body)
                                abort();
                        memcpy(body + used, b, bl);
                        used += bl;
                        body[used++] = '\n';
                        body[used] = '\0';
                }
                if (i >= nlines)
                        FAILAT(path, start, "unterminated ``` block");
                if (a.kind == K_NONE)
                        FAILAT(
                            path, start,
                            "``` block without an annotation (%s): every example must be checked",
                            scd ? "; policy-example, ; policy-errors or ; not-policy"
                                : "<!-- policy-example -->, <!-- policy-errors --> or "
                                  "<!-- not-policy -->");
                else if (a.kind == K_NOT_POLICY)
                        others++;
                else
                        check_example(path, &a, start + 1, body);
                free(body);
                a.kind = K_NONE;
        }
        if (a.kind != K_NONE)
                FAILAT(path, a.line, "annotation without a block");
        if (examples + error_examples == before)
                FAILAT(path, 1, "no policy example found");
        printf("%s: %d policy examples\n", path, examples + error_examples - before);
        free(lines);
        free(text);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s DOC...\n", argv[0]);
                return 2;
        }
        setenv("TZ", "UTC0", 1);
        tzset();
        for (int i = 1; i < argc; i++)
                check_doc(argv[i]);
        printf("%d examples (%d refused as documented), %d other blocks, %d cases (%d skipped)\n",
               examples + error_examples, error_examples, others, stats.run, stats.skipped);
        check_count += stats.checks;
        check_failures += stats.failures;
        return check_done();
}
