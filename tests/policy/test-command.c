/* su_command_canonical on this system: exec wrappers, interpreters, unresolved commands.
 * Argument: the tests/policy directory; the cases are in commands.table there, one a line:
 *
 *     FORM "COMMAND" => EXPECTATION...
 *
 * FORM is joined (as sudo sends a command: arguments joined with spaces) or words (as
 * stepup-ssh sends it).  Expectations: text="..." (the command the policy matches), text^="..."
 * (it starts so), given="...", shell=yes|no, unresolved=yes|no, wrappers=N, why~="..." (the
 * reason for an unresolved command contains it).  Values are double-quoted with \" and \\
 * escapes.  A line starting with @merged-usr runs only where /bin is /usr/bin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "check.h"
#include "testutil.h"

#define WORDS_MAX 24

/* Splits a line into words; "..." groups and \" \\ escape inside quotes.  Returns the count. */
static int split(char *s, char *words[WORDS_MAX])
{
        int n = 0;

        for (;;) {
                char *out;
                bool quoted = false;

                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        return n;
                if (n == WORDS_MAX)
                        return -1;
                words[n++] = out = s;
                while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
                        if (*s == '"') {
                                quoted = !quoted;
                                s++;
                                continue;
                        }
                        if (quoted && *s == '\\' && (s[1] == '"' || s[1] == '\\'))
                                s++;
                        *out++ = *s++;
                }
                if (quoted)
                        return -1;
                if (*s)
                        s++;
                *out = '\0';
        }
}

static const char *yes_no(bool b)
{
        return b ? "yes" : "no";
}

static int run_line(const char *table, unsigned lineno, char *line)
{
        char *w[WORDS_MAX];
        int n = split(line, w), first = 0;
        struct su_command c = {0};
        enum su_command_form form;
        int r, fails = 0;

        if (n > 0 && strcmp(w[0], "@merged-usr") == 0) {
                if (!case_merged_usr())
                        return 0;
                first = 1;
        }
        if (n < first + 4 || strcmp(w[first + 2], "=>") != 0) {
                fprintf(stderr, "%s:%u: malformed line\n", table, lineno);
                return 1;
        }
        if (strcmp(w[first], "joined") == 0)
                form = SU_COMMAND_JOINED;
        else if (strcmp(w[first], "words") == 0)
                form = SU_COMMAND_WORDS;
        else {
                fprintf(stderr, "%s:%u: form '%s' is neither joined nor words\n", table, lineno,
                        w[first]);
                return 1;
        }
        r = su_command_canonical(w[first + 1], NULL, form, &c);
        check_count++;
        if (r != 0) {
                fprintf(stderr, "%s:%u: su_command_canonical returned %d\n", table, lineno, r);
                return 1;
        }
        for (int i = first + 3; i < n; i++) {
                char got[4096];
                const char *key = w[i], *want = strchr(w[i], '=');
                bool prefix = false, contains = false;

                if (!want) {
                        fprintf(stderr, "%s:%u: '%s' is not KEY=VALUE\n", table, lineno, key);
                        fails++;
                        continue;
                }
                w[i][want - w[i]] = '\0';
                want++;
                size_t klen = strlen(key);
                if (klen && key[klen - 1] == '^') {
                        prefix = true;
                        w[i][klen - 1] = '\0';
                } else if (klen && key[klen - 1] == '~') {
                        contains = true;
                        w[i][klen - 1] = '\0';
                }
                if (!strcmp(key, "text"))
                        snprintf(got, sizeof(got), "%s", c.text);
                else if (!strcmp(key, "given"))
                        snprintf(got, sizeof(got), "%s", c.given);
                else if (!strcmp(key, "shell"))
                        snprintf(got, sizeof(got), "%s", yes_no(c.shell));
                else if (!strcmp(key, "unresolved"))
                        snprintf(got, sizeof(got), "%s", yes_no(c.unresolved));
                else if (!strcmp(key, "wrappers"))
                        snprintf(got, sizeof(got), "%u", c.wrappers);
                else if (!strcmp(key, "why"))
                        snprintf(got, sizeof(got), "%s", c.why);
                else {
                        fprintf(stderr, "%s:%u: unknown expectation '%s'\n", table, lineno, key);
                        fails++;
                        continue;
                }
                check_count++;
                bool ok = prefix     ? strncmp(got, want, strlen(want)) == 0
                          : contains ? strstr(got, want) != NULL
                                     : strcmp(got, want) == 0;
                if (!ok) {
                        fprintf(stderr, "%s:%u: %s is '%s', expected %s'%s'\n", table, lineno, key,
                                got,
                                prefix     ? "a start of "
                                : contains ? "a part "
                                           : "",
                                want);
                        fails++;
                }
        }
        /* whatever the table says: unresolved means a shell whose text is what was given */
        check_count++;
        if (c.unresolved && (!c.shell || strcmp(c.text, c.given) != 0 || !c.why[0])) {
                fprintf(stderr, "%s:%u: unresolved but not a shell, or text != given, or no why\n",
                        table, lineno);
                fails++;
        }
        su_command_done(&c);
        return fails;
}

int main(int argc, char **argv)
{
        char *path, *text;
        size_t len;
        unsigned lineno = 0;
        int cases = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s TESTS_POLICY_DIR\n", argv[0]);
                return 2;
        }
        path = tu_join(argv[1], "commands.table");
        text = tu_read_file(path, &len);
        CHECK(text != NULL);
        for (char *ln = text, *next; ln && *ln; ln = next) {
                next = strchr(ln, '\n');
                if (next)
                        *next++ = '\0';
                ++lineno;
                while (*ln == ' ' || *ln == '\t')
                        ln++;
                if (!*ln || *ln == '#')
                        continue;
                check_failures += run_line(path, lineno, ln);
                cases++;
        }
        printf("%s: %d commands\n", path, cases);
        CHECK(cases >= 100);
        free(text);
        free(path);
        return check_done();
}
