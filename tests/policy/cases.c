/* One decision case of the policy tests, as written in the golden tables and in the examples of
 * the documentation:
 *
 *     key=value ... => ACTION LINE [expect=value ...]
 *
 * Inputs: service user ruser groups=a,b command="path args" shell=yes sudoedit=yes target-user
 * target-group target-groups=a,b rhost tty remote=yes time=YYYY-MM-DDTHH:MM (UTC; default
 * 2024-01-17T12:00, a Wednesday).  exec="path args" is a command as sudo sends it and gate="path
 * args" one as stepup-ssh sends it: made canonical by su_command_canonical() on this system
 * (/etc/shells, realpath, exec wrappers), which sets command, shell, sudoedit and whether it
 * is unresolved.  A leading @merged-usr skips the case unless /bin is /usr/bin.
 * ACTION is allow, deny or require; LINE is the deciding rule's line or '-' for no match.
 * Expectations: within= idle= (durations), scope= failmode= factors=totp+question|recovery
 * message= reason= (use "(none)" for NULL), why@N= (the explanation for the rule on line N),
 * and about the request as evaluated: command= shell=yes|no unresolved=yes|no.
 * Values may be double-quoted with \" and \\ escapes.  The caller pins TZ=UTC0. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strptime, timegm */
#endif
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cases.h"

#define MAX_FIELDS 32
#define MAX_LIST 16

struct field {
        char key[32];
        char val[512];
};

struct kase {
        struct case_stats *st;
        const char *table;
        unsigned lineno;
        struct field in[MAX_FIELDS], out[MAX_FIELDS];
        size_t nin, nout;
        char action[16], line[16];
        bool merged_usr;
};

/* strcpy that refuses to truncate. */
static int copy(char *dst, size_t size, const char *src)
{
        size_t len = strlen(src);

        if (len >= size)
                return -1;
        memcpy(dst, src, len + 1);
        return 0;
}

/* Split one table line into fields; returns -1 on a malformed line. */
static int split(char *s, struct kase *k)
{
        bool after = false;
        int nbare = 0;

        for (;;) {
                struct field *f;
                char word[600];
                size_t n = 0;
                bool quoted = false;

                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s || *s == '\n')
                        return after ? 0 : -1;
                while (*s && *s != '\n' && (quoted || (*s != ' ' && *s != '\t'))) {
                        if (*s == '"') {
                                quoted = !quoted;
                                s++;
                                continue;
                        }
                        if (quoted && *s == '\\' && s[1])
                                s++;
                        if (n + 1 >= sizeof(word))
                                return -1;
                        word[n++] = *s++;
                }
                word[n] = '\0';
                if (strcmp(word, "=>") == 0) {
                        after = true;
                        continue;
                }
                if (strcmp(word, "@merged-usr") == 0) {
                        k->merged_usr = true;
                        continue;
                }
                char *eq = strchr(word, '=');
                if (!eq) {
                        if (!after || nbare >= 2 ||
                            copy(nbare++ ? k->line : k->action, sizeof(k->line), word) < 0)
                                return -1;
                        continue;
                }
                if ((after ? k->nout : k->nin) >= MAX_FIELDS)
                        return -1;
                f = after ? &k->out[k->nout++] : &k->in[k->nin++];
                *eq = '\0';
                if (copy(f->key, sizeof(f->key), word) < 0 ||
                    copy(f->val, sizeof(f->val), eq + 1) < 0)
                        return -1;
        }
}

static size_t split_list(char *s, const char **v)
{
        size_t n = 0;

        for (char *tok = strtok(s, ","); tok && n < MAX_LIST; tok = strtok(NULL, ","))
                v[n++] = tok;
        return n;
}

time_t case_parse_time(const char *s)
{
        struct tm tm = {0};

        if (!strptime(s, "%Y-%m-%dT%H:%M", &tm))
                return (time_t)-1;
        return timegm(&tm);
}

static bool yes(const char *v)
{
        return strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

static void factors_format(const struct su_decision *d, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < d->nfactor_sets; i++) {
                bool first = true;
                for (unsigned bit = 1; bit; bit <<= 1) {
                        if (!(d->factor_sets[i] & bit))
                                continue;
                        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                                first ? (i ? "|" : "") : "+",
                                                su_factor_name(bit) ? su_factor_name(bit) : "?");
                        first = false;
                }
        }
}

static const char *or_none(const char *s)
{
        return s ? s : "(none)";
}

bool case_merged_usr(void)
{
        char buf[PATH_MAX];

        return realpath("/bin", buf) && strcmp(buf, "/usr/bin") == 0;
}

#define FAIL(k, ...)                                                                               \
        do {                                                                                       \
                fprintf(stderr, "%s:%u: ", (k)->table, (k)->lineno);                               \
                fprintf(stderr, __VA_ARGS__);                                                      \
                fputc('\n', stderr);                                                               \
                (k)->st->failures++;                                                               \
        } while (0)

static void run_case(const struct su_policy *p, struct kase *k)
{
        static const char *const actions[] = {"?", "allow", "deny", "require"};
        static const char *const scopes[] = {"tty", "session", "user"};
        static const char *const modes[] = {"default", "secure", "safe"};
        const char *groups[MAX_LIST], *tgroups[MAX_LIST];
        char lists[2][512], got[256], want[256];
        struct su_request rq = {.now = case_parse_time("2024-01-17T12:00")};
        struct su_explain ex = {0};
        struct su_command cmd = {0};
        struct su_decision d;
        int r;

        for (size_t i = 0; i < k->nin; i++) {
                const char *key = k->in[i].key;
                char *v = k->in[i].val;

                if (!strcmp(key, "service"))
                        rq.service = v;
                else if (!strcmp(key, "user"))
                        rq.user = v;
                else if (!strcmp(key, "ruser"))
                        rq.ruser = v;
                else if (!strcmp(key, "tty"))
                        rq.tty = v;
                else if (!strcmp(key, "rhost"))
                        rq.rhost = v;
                else if (!strcmp(key, "command"))
                        rq.command = v;
                else if (!strcmp(key, "exec") || !strcmp(key, "gate")) {
                        su_command_done(&cmd);
                        r = su_command_canonical(
                            v, NULL, key[0] == 'e' ? SU_COMMAND_JOINED : SU_COMMAND_WORDS, &cmd);
                        if (r < 0) {
                                FAIL(k, "su_command_canonical(%s) returned %d", v, r);
                                continue;
                        }
                        rq.command = cmd.text;
                        rq.command_is_shell = cmd.shell;
                        rq.command_is_sudoedit = cmd.sudoedit;
                        rq.command_unresolved = cmd.unresolved;
                        rq.command_why = cmd.unresolved ? cmd.why : NULL;
                } else if (!strcmp(key, "shell"))
                        rq.command_is_shell = yes(v);
                else if (!strcmp(key, "sudoedit"))
                        rq.command_is_sudoedit = yes(v);
                else if (!strcmp(key, "target-user"))
                        rq.target_user = v;
                else if (!strcmp(key, "target-group"))
                        rq.target_group = v;
                else if (!strcmp(key, "remote"))
                        rq.remote = yes(v);
                else if (!strcmp(key, "groups")) {
                        snprintf(lists[0], sizeof(lists[0]), "%s", v);
                        rq.ngroups = split_list(lists[0], groups);
                        rq.groups = groups;
                } else if (!strcmp(key, "target-groups")) {
                        snprintf(lists[1], sizeof(lists[1]), "%s", v);
                        rq.ntarget_groups = split_list(lists[1], tgroups);
                        rq.target_groups = tgroups;
                } else if (!strcmp(key, "time")) {
                        rq.now = case_parse_time(v);
                        if (rq.now == (time_t)-1)
                                FAIL(k, "bad time '%s'", v);
                } else
                        FAIL(k, "unknown input '%s'", key);
        }

        r = su_policy_eval(p, &rq, &d, &ex);
        k->st->run++;
        k->st->checks += 4 + (int)k->nout; /* decision, three invariants, each expectation */
        if (r != 0) {
                FAIL(k, "su_policy_eval returned %d", r);
                su_explain_free(&ex);
                su_command_done(&cmd);
                return;
        }
        if (d.matched)
                snprintf(got, sizeof(got), "%s %u", actions[d.action], d.line);
        else
                snprintf(got, sizeof(got), "%s -", actions[d.action]);
        snprintf(want, sizeof(want), "%s %s", k->action, k->line);
        if (strcmp(got, want) != 0)
                FAIL(k, "decision is '%s', expected '%s'", got, want);

        /* What every decision must satisfy whatever the table says. */
        if (d.matched != (ex.n > 0 && ex.v[ex.n - 1].matched))
                FAIL(k, "explain does not end with the deciding rule");
        if (!d.matched && (d.action != SU_ACTION_DENY || strcmp(d.file, "(default)") != 0 ||
                           ex.n != su_policy_rule_count(p)))
                FAIL(k, "no match must be DENY from (default) after examining every rule");
        for (size_t i = 0; i < ex.n; i++)
                if (!ex.v[i].why[0])
                        FAIL(k, "explain entry for line %u has no reason", ex.v[i].line);

        for (size_t i = 0; i < k->nout; i++) {
                const char *key = k->out[i].key, *v = k->out[i].val;

                got[0] = '\0';
                if (!strcmp(key, "within") || !strcmp(key, "idle")) {
                        struct su_policy *dp = NULL;
                        struct su_decision dd;
                        /* parse the expected duration with the library itself */
                        char text[sizeof(k->out[i].val) + 32];
                        snprintf(text, sizeof(text), "require totp within %s", v);
                        if (su_policy_parse_buffer("expect", text, strlen(text), &dp, NULL) < 0 ||
                            su_policy_eval(dp, &rq, &dd, NULL) < 0) {
                                FAIL(k, "bad expected duration '%s'", v);
                                su_policy_free(dp);
                                continue;
                        }
                        su_policy_free(dp);
                        if ((!strcmp(key, "within") ? d.within_s : d.idle_s) != dd.within_s)
                                FAIL(k, "%s is %llus, expected %s", key,
                                     (unsigned long long)(!strcmp(key, "within") ? d.within_s
                                                                                 : d.idle_s),
                                     v);
                        continue;
                }
                if (!strcmp(key, "scope"))
                        snprintf(got, sizeof(got), "%s", scopes[d.scope]);
                else if (!strcmp(key, "failmode"))
                        snprintf(got, sizeof(got), "%s", modes[d.failmode]);
                else if (!strcmp(key, "factors"))
                        factors_format(&d, got, sizeof(got));
                else if (!strcmp(key, "message"))
                        snprintf(got, sizeof(got), "%s", or_none(d.message));
                else if (!strcmp(key, "reason"))
                        snprintf(got, sizeof(got), "%s", or_none(d.reason));
                else if (!strcmp(key, "command"))
                        snprintf(got, sizeof(got), "%s", or_none(rq.command));
                else if (!strcmp(key, "shell"))
                        snprintf(got, sizeof(got), "%s", rq.command_is_shell ? "yes" : "no");
                else if (!strcmp(key, "unresolved"))
                        snprintf(got, sizeof(got), "%s", rq.command_unresolved ? "yes" : "no");
                else if (!strncmp(key, "why@", 4)) {
                        unsigned line = (unsigned)atoi(key + 4);
                        snprintf(got, sizeof(got), "(rule on line %u not examined)", line);
                        for (size_t j = 0; j < ex.n; j++)
                                if (ex.v[j].line == line)
                                        snprintf(got, sizeof(got), "%s", ex.v[j].why);
                } else {
                        FAIL(k, "unknown expectation '%s'", key);
                        continue;
                }
                if (strcmp(got, v) != 0)
                        FAIL(k, "%s is '%s', expected '%s'", key, got, v);
        }
        su_explain_free(&ex);
        su_command_done(&cmd);
}

int case_run(const struct su_policy *p, const char *where, unsigned lineno, char *line,
             struct case_stats *st)
{
        struct kase k = {.st = st, .table = where, .lineno = lineno};

        if (split(line, &k) < 0) {
                FAIL(&k, "malformed case");
                return -1;
        }
        if (k.merged_usr && !case_merged_usr()) {
                st->skipped++;
                return 0;
        }
        run_case(p, &k);
        return 0;
}
