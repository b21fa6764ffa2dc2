/* stepupctl policy test: what the policy decides for one request, which rule decided, and why
 * each rule before it did not match.  The request is built as stepupd builds it from a DECIDE
 * message: the same name checks, the user's groups from NSS, the command made canonical with
 * su_command_canonical() (realpath, /etc/shells, sudoedit). */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "json_out.h"
#include "names.h"
#include "policy_cmd.h"

#define TEST_GROUPS_MAX SU_USER_GROUPS_MAX
#define TEST_COMMAND_MAX 4096

struct test_opts {
        const char *file, *user, *service, *ruser, *command, *target_user, *target_group;
        const char *rhost, *tty, *time, *weekday, *groups, *target_groups;
        bool remote, json;
        char **command_argv; /* after "--" */
        int command_argc;
};

/* Owned strings of the request. */
struct test_req {
        struct su_request rq;
        struct su_command command;
        char *groups[TEST_GROUPS_MAX], *target_groups[TEST_GROUPS_MAX];
        size_t ngroups, ntarget_groups;
};

static void usage(FILE *f)
{
        fprintf(f, "Usage: stepupctl policy test [--file FILE] --user USER --service SERVICE\n"
                   "         [--groups G1,G2] [--command \"PATH ARGS\"] [--target-user USER]\n"
                   "         [--target-group GROUP] [--target-groups G1,G2] [--ruser USER]\n"
                   "         [--rhost HOST] [--tty TTY] [--remote] [--time HH:MM] [--weekday DAY]\n"
                   "         [--json] [-- COMMAND ARGS...]\n");
}

static void req_done(struct test_req *t)
{
        su_command_done(&t->command);
        for (size_t i = 0; i < TEST_GROUPS_MAX; i++) {
                free(t->groups[i]);
                free(t->target_groups[i]);
        }
}

/* "a,b,c" into malloc'd names; empty items are skipped. */
static int split_groups(const char *list, char **out, size_t *n)
{
        const char *s = list;

        *n = 0;
        while (*s) {
                size_t len = strcspn(s, ",");
                if (len > 0) {
                        if (*n == TEST_GROUPS_MAX)
                                return -E2BIG;
                        out[*n] = strndup(s, len);
                        if (!out[*n])
                                return -ENOMEM;
                        if (!su_valid_user(out[*n]))
                                return -EINVAL;
                        (*n)++;
                }
                s += len;
                if (*s == ',')
                        s++;
        }
        return 0;
}

/* The groups of user: the --groups list if given, else NSS (as stepupd does). */
static int groups_for(const char *user, const char *list, const char *what, char **out, size_t *n)
{
        int r;

        if (list) {
                r = split_groups(list, out, n);
                if (r < 0)
                        fprintf(stderr, "stepupctl: bad %s list '%s'\n", what, list);
                return r;
        }
        r = su_user_groups(user, out, TEST_GROUPS_MAX);
        if (r == -ENOENT) {
                fprintf(stderr,
                        "stepupctl: user '%s' is unknown to NSS: stepupd denies its requests as "
                        "invalid; give --%s to evaluate the policy anyway\n",
                        user, what);
                return r;
        }
        if (r < 0) {
                fprintf(stderr, "stepupctl: cannot look up the groups of '%s': %s\n", user,
                        strerror(-r));
                return r;
        }
        *n = (size_t)r;
        return 0;
}

/* A bare command name is looked up in $PATH (sudo sends the resolved path). */
static int resolve_path(const char *name, char *out, size_t size)
{
        const char *path = getenv("PATH");

        if (!path || !*path)
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        while (*path) {
                size_t len = strcspn(path, ":");
                if (len > 0 && path[0] == '/') {
                        int n = snprintf(out, size, "%.*s/%s", (int)len, path, name);
                        if (n > 0 && (size_t)n < size && access(out, X_OK) == 0)
                                return 0;
                }
                path += len;
                if (*path == ':')
                        path++;
        }
        return -ENOENT;
}

/* The command text as the module would send it: "path args...". */
static int command_text(const struct test_opts *o, char *out, size_t size)
{
        size_t used = 0;

        out[0] = '\0';
        if (o->command) {
                if (strlen(o->command) >= size)
                        return -E2BIG;
                strcpy(out, o->command);
        } else {
                for (int i = 0; i < o->command_argc; i++) {
                        int n = snprintf(out + used, size - used, "%s%s", i ? " " : "",
                                         o->command_argv[i]);
                        if (n < 0 || (size_t)n >= size - used)
                                return -E2BIG;
                        used += (size_t)n;
                }
        }
        size_t plen = strcspn(out, " ");
        if (plen == 0 || out[0] == '/' || (plen == 8 && strncmp(out, "sudoedit", 8) == 0))
                return 0;
        char name[PATH_MAX], full[PATH_MAX];
        if (plen >= sizeof(name) || memchr(out, '/', plen))
                return -EINVAL; /* relative paths are refused by stepupd as well */
        memcpy(name, out, plen);
        name[plen] = '\0';
        if (resolve_path(name, full, sizeof(full)) < 0)
                return -ENOENT;
        if (strlen(full) + strlen(out + plen) >= size)
                return -E2BIG;
        memmove(out + strlen(full), out + plen, strlen(out + plen) + 1);
        memcpy(out, full, strlen(full));
        return 0;
}

static int weekday_index(const char *s)
{
        static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

        for (int i = 0; i < 7; i++)
                if (strcmp(s, days[i]) == 0)
                        return i;
        return -1;
}

/* now, moved to --time today and/or to the next --weekday (today if it is that day). */
static int pick_time(const struct test_opts *o, time_t *ret)
{
        time_t now = time(NULL);
        struct tm tm;

        if (!o->time && !o->weekday) {
                *ret = now;
                return 0;
        }
        if (!localtime_r(&now, &tm))
                return -EOVERFLOW;
        if (o->time) {
                unsigned h, m;
                char end;
                if (sscanf(o->time, "%2u:%2u%c", &h, &m, &end) != 2 || h > 23 || m > 59 ||
                    strlen(o->time) != 5) {
                        fprintf(stderr, "stepupctl: --time wants HH:MM, not '%s'\n", o->time);
                        return -EINVAL;
                }
                tm.tm_hour = (int)h;
                tm.tm_min = (int)m;
                tm.tm_sec = 0;
        }
        if (o->weekday) {
                int want = weekday_index(o->weekday);
                if (want < 0) {
                        fprintf(stderr, "stepupctl: --weekday wants mon, tue, ... sun, not '%s'\n",
                                o->weekday);
                        return -EINVAL;
                }
                tm.tm_mday += (want - tm.tm_wday + 7) % 7;
        }
        tm.tm_isdst = -1;
        *ret = mktime(&tm);
        return *ret == (time_t)-1 ? -EOVERFLOW : 0;
}

/* The same checks as stepupd's su_request_build: what it would refuse, we refuse. */
static const char *invalid_field(const struct su_request *q)
{
        if (!su_valid_service(q->service))
                return "--service";
        if (!su_valid_user(q->user))
                return "--user";
        if (q->ruser && !su_valid_user(q->ruser))
                return "--ruser";
        if (q->tty && !su_valid_tty(q->tty))
                return "--tty";
        if (q->rhost && !su_valid_host(q->rhost))
                return "--rhost";
        if (q->target_user && !su_valid_user(q->target_user))
                return "--target-user";
        if (q->target_group && !su_valid_user(q->target_group))
                return "--target-group";
        return NULL;
}

static int build_request(const struct test_opts *o, struct test_req *t)
{
        struct su_request *q = &t->rq;
        const char *bad;
        int r;

        q->service = o->service;
        q->user = o->user;
        q->ruser = o->ruser && *o->ruser ? o->ruser : NULL;
        q->tty = o->tty && *o->tty ? su_tty_relative(o->tty) : NULL;
        q->rhost = o->rhost && *o->rhost ? o->rhost : NULL;
        q->target_user = o->target_user;
        q->target_group = o->target_group;
        q->remote = o->remote;
        bad = invalid_field(q);
        if (bad) {
                fprintf(stderr, "stepupctl: invalid %s: stepupd refuses such a request\n", bad);
                return -EINVAL;
        }
        if (o->command || o->command_argc > 0) {
                char text[TEST_COMMAND_MAX];
                r = command_text(o, text, sizeof(text));
                /* As stepupd: stepup-ssh's GATE words are the arguments; sudo's DECIDE text
                 * joins them with spaces. */
                enum su_command_form form =
                    strcmp(q->service, "sshd-command") == 0 ? SU_COMMAND_WORDS : SU_COMMAND_JOINED;
                if (r == 0)
                        r = su_command_canonical(text, NULL, form, &t->command);
                if (r < 0) {
                        fprintf(stderr, "stepupctl: invalid command '%s': %s\n",
                                o->command ? o->command : o->command_argv[0],
                                r == -ENOENT ? "not found in $PATH"
                                : r == -EINVAL
                                    ? "the path must be absolute (or a name found in $PATH)"
                                    : strerror(-r));
                        return r;
                }
                q->command = t->command.text;
                q->command_is_shell = t->command.shell;
                q->command_is_sudoedit = t->command.sudoedit;
                q->command_unresolved = t->command.unresolved;
                q->command_why = t->command.unresolved ? t->command.why : NULL;
        }
        r = groups_for(q->user, o->groups, "groups", t->groups, &t->ngroups);
        if (r < 0)
                return r;
        q->groups = (const char *const *)t->groups;
        q->ngroups = t->ngroups;
        if (q->target_user) {
                r = groups_for(q->target_user, o->target_groups, "target-groups", t->target_groups,
                               &t->ntarget_groups);
                if (r < 0)
                        return r;
                q->target_groups = (const char *const *)t->target_groups;
                q->ntarget_groups = t->ntarget_groups;
        }
        return pick_time(o, &q->now);
}

static const char *action_name(enum su_action a)
{
        return a == SU_ACTION_ALLOW ? "allow" : a == SU_ACTION_REQUIRE ? "require" : "deny";
}

static const char *scope_name(enum su_scope s)
{
        return s == SU_SCOPE_USER ? "user" : s == SU_SCOPE_SESSION ? "session" : "tty";
}

static const char *failmode_name(enum su_failmode f)
{
        return f == SU_FAILMODE_SECURE ? "secure" : f == SU_FAILMODE_SAFE ? "safe" : "default";
}

/* 5400 -> "1h30m", 0 -> "0": the policy's own spelling. */
static void format_duration(uint64_t s, char *buf, size_t size)
{
        static const struct {
                uint64_t secs;
                char unit;
        } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
        size_t used = 0;

        snprintf(buf, size, "0");
        for (size_t i = 0; i < 4 && s; i++) {
                if (s < units[i].secs)
                        continue;
                int n = snprintf(buf + used, size - used, "%llu%c",
                                 (unsigned long long)(s / units[i].secs), units[i].unit);
                if (n < 0 || (size_t)n >= size - used)
                        return;
                used += (size_t)n;
                s %= units[i].secs;
        }
}

static void format_factors(const struct su_decision *d, char *buf, size_t size)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < d->nfactor_sets; i++) {
                bool first = true;
                for (unsigned bit = 1; bit && bit <= d->factor_sets[i]; bit <<= 1) {
                        if (!(d->factor_sets[i] & bit))
                                continue;
                        const char *name = su_factor_name(bit);
                        int n = snprintf(buf + used, size - used, "%s%s",
                                         first ? (i ? "|" : "") : "+", name ? name : "?");
                        if (n < 0 || (size_t)n >= size - used)
                                return;
                        used += (size_t)n;
                        first = false;
                }
        }
}

static json_t *json_list(const char *const *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, ctl_json_text(v[i])) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        return a;
}

static json_t *json_explain(const struct su_explain *ex)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < ex->n; i++)
                if (json_array_append_new(
                        a, json_pack("{s:o, s:i, s:b, s:o}", "file", ctl_json_text(ex->v[i].file),
                                     "line", (int)ex->v[i].line, "matched", ex->v[i].matched, "why",
                                     ctl_json_text(ex->v[i].why))) < 0) {
                        json_decref(a);
                        a = NULL;
                }
        return a;
}

static int print_json(const char *file, const struct su_request *q, const struct su_command *cmd,
                      const struct su_decision *d, const struct su_explain *ex)
{
        char rule[PATH_MAX + 32], factors[256];
        bool req = d->action == SU_ACTION_REQUIRE;

        snprintf(rule, sizeof(rule), "%s:%u", d->file, d->line);
        format_factors(d, factors, sizeof(factors));
        json_t *request = json_pack(
            "{s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o, s:o, s:o, s:b, s:I}", "service",
            ctl_json_text(q->service), "user", ctl_json_text(q->user), "groups",
            json_list(q->groups, q->ngroups), "command", ctl_json_text(q->command),
            "command_is_shell", q->command_is_shell, "command_is_sudoedit", q->command_is_sudoedit,
            "target_user", ctl_json_text(q->target_user), "target_group",
            ctl_json_text(q->target_group), "rhost", ctl_json_text(q->rhost), "tty",
            ctl_json_text(q->tty), "remote", q->remote, "time", (json_int_t)q->now);
        /* what the wrappers hid (policy/command_wrap.c) */
        if (request) {
                json_object_set_new(request, "command_given",
                                    ctl_json_text(q->command ? cmd->given : NULL));
                json_object_set_new(request, "command_wrappers",
                                    json_integer(q->command ? cmd->wrappers : 0));
                json_object_set_new(request, "command_unresolved",
                                    json_boolean(q->command_unresolved));
                json_object_set_new(request, "command_why", ctl_json_text(q->command_why));
        }
        json_t *o =
            json_pack("{s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o}",
                      "decision", action_name(d->action), "matched", d->matched, "rule",
                      ctl_json_text(d->matched ? rule : NULL), "file",
                      ctl_json_text(d->matched ? d->file : NULL), "line",
                      d->matched ? json_integer(d->line) : json_null(), "factors",
                      ctl_json_text(req ? factors : NULL), "within",
                      req ? json_integer((json_int_t)d->within_s) : json_null(), "idle",
                      req ? json_integer((json_int_t)d->idle_s) : json_null(), "scope",
                      req ? json_string(scope_name(d->scope)) : json_null(), "failmode",
                      failmode_name(d->failmode), "message", ctl_json_text(d->message), "reason",
                      ctl_json_text(d->reason), "policy", ctl_json_text(file), "request", request,
                      "explain", json_explain(ex));
        return ctl_json_print(o, true);
}

static void print_text(const struct su_request *q, const struct su_command *cmd,
                       const struct su_decision *d, const struct su_explain *ex)
{
        char a[32], b[32], factors[256], tbuf[64];
        struct tm tm;

        if (d->action == SU_ACTION_REQUIRE) {
                format_duration(d->within_s, a, sizeof(a));
                format_factors(d, factors, sizeof(factors));
                printf("decision: require %s within %s", factors, a);
                if (d->idle_s) {
                        format_duration(d->idle_s, b, sizeof(b));
                        printf(" idle %s", b);
                }
                printf(" scope %s", scope_name(d->scope));
                if (d->failmode != SU_FAILMODE_DEFAULT)
                        printf(" failmode %s", failmode_name(d->failmode));
                printf("%s\n", d->within_s ? "" : "  (a step-up every time)");
        } else if (!d->matched)
                printf("decision: deny (no rule matched: the policy denies by default)\n");
        else
                printf("decision: %s\n", action_name(d->action));
        if (d->matched)
                printf("rule:     %s:%u\n", d->file, d->line);
        if (d->message)
                printf("message:  %s\n", d->message);
        if (d->reason)
                printf("reason:   %s\n", d->reason);

        printf("request:  service=%s user=%s groups=", q->service, q->user);
        for (size_t i = 0; i < q->ngroups; i++)
                printf("%s%s", i ? "," : "", q->groups[i]);
        if (q->ngroups == 0)
                printf("(none)");
        if (q->command) {
                printf(" command=\"%s\"%s%s", q->command, q->command_is_shell ? " (a shell)" : "",
                       q->command_is_sudoedit ? " (sudoedit)" : "");
                if (q->command_unresolved)
                        printf(" (cannot be resolved: %s)", q->command_why);
                else if (cmd->wrappers)
                        printf(" (through %u exec wrapper%s: \"%s\")", cmd->wrappers,
                               cmd->wrappers > 1 ? "s" : "", cmd->given);
        }
        if (q->target_user)
                printf(" target-user=%s", q->target_user);
        if (q->target_group)
                printf(" target-group=%s", q->target_group);
        if (q->target_user) {
                printf(" target-groups=");
                for (size_t i = 0; i < q->ntarget_groups; i++)
                        printf("%s%s", i ? "," : "", q->target_groups[i]);
        }
        if (q->rhost)
                printf(" rhost=%s", q->rhost);
        if (q->ruser)
                printf(" ruser=%s", q->ruser);
        printf(" tty=%s%s", q->tty ? q->tty : "(none)", q->remote ? " remote" : "");
        if (localtime_r(&q->now, &tm) && strftime(tbuf, sizeof(tbuf), "%a %Y-%m-%d %H:%M", &tm))
                printf(" time=\"%s\"", tbuf);
        printf("\nrules examined (first match wins):\n");
        for (size_t i = 0; i < ex->n; i++) {
                char where[PATH_MAX + 16];
                snprintf(where, sizeof(where), "%s:%u", ex->v[i].file, ex->v[i].line);
                printf("  %-30s %-4s %s\n", where, ex->v[i].matched ? "yes" : "no", ex->v[i].why);
        }
        if (!d->matched)
                printf("  (no rule matched: DENY)\n");
}

static int parse_opts(int argc, char **argv, struct test_opts *o)
{
        static const struct {
                const char *name;
                size_t off;
        } str_opts[] = {
#define OPT(n, f) {n, offsetof(struct test_opts, f)}
            OPT("--file", file),
            OPT("--user", user),
            OPT("--service", service),
            OPT("--ruser", ruser),
            OPT("--command", command),
            OPT("--target-user", target_user),
            OPT("--target-group", target_group),
            OPT("--rhost", rhost),
            OPT("--tty", tty),
            OPT("--time", time),
            OPT("--weekday", weekday),
            OPT("--groups", groups),
            OPT("--target-groups", target_groups),
#undef OPT
        };

        for (int i = 2; i < argc; i++) {
                const char *a = argv[i];
                bool found = false;

                if (strcmp(a, "--") == 0) {
                        o->command_argv = argv + i + 1;
                        o->command_argc = argc - i - 1;
                        break;
                }
                if (strcmp(a, "--remote") == 0) {
                        o->remote = true;
                        continue;
                }
                if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                        usage(stdout);
                        return 1;
                }
                if (strcmp(a, "--json") == 0) {
                        o->json = true;
                        continue;
                }
                for (size_t k = 0; k < sizeof(str_opts) / sizeof(str_opts[0]); k++) {
                        if (strcmp(a, str_opts[k].name) != 0)
                                continue;
                        if (i + 1 >= argc) {
                                fprintf(stderr, "stepupctl: %s needs a value\n", a);
                                return -EINVAL;
                        }
                        *(const char **)((char *)o + str_opts[k].off) = argv[++i];
                        found = true;
                        break;
                }
                if (!found) {
                        fprintf(stderr, "stepupctl: policy test: unknown option '%s'\n", a);
                        return -EINVAL;
                }
        }
        if (!o->user || !o->service) {
                fprintf(stderr, "stepupctl: policy test needs --user and --service\n");
                return -EINVAL;
        }
        if (o->command && o->command_argc > 0) {
                fprintf(stderr,
                        "stepupctl: give the command with --command or after --, not both\n");
                return -EINVAL;
        }
        if (o->target_groups && !o->target_user) {
                fprintf(stderr, "stepupctl: --target-groups needs --target-user\n");
                return -EINVAL;
        }
        return 0;
}

int policy_test(const struct ctl *c, int argc, char **argv)
{
        struct test_opts o = {.file = STEPUP_POLICY_PATH, .json = c->json};
        struct test_req t = {0};
        struct su_diags diags = {0};
        struct su_policy *p = NULL;
        struct su_explain ex = {0};
        struct su_decision d;
        int r, rc = 1;

        r = parse_opts(argc, argv, &o);
        if (r != 0) {
                if (r < 0)
                        usage(stderr);
                return r > 0 ? 0 : 2;
        }
        if (build_request(&o, &t) < 0)
                goto out;
        /* As `policy check`: the daemon wants root's files; a user may test their own copy. */
        r = su_policy_load(o.file, geteuid(), &p, &diags);
        policy_print_diags(&diags);
        if (r < 0) {
                fprintf(stderr, "%s: %s; stepupd would refuse this policy\n", o.file,
                        r == -EINVAL ? "errors" : strerror(-r));
                goto out;
        }
        /* explain lists every rule examined: the deciding one last */
        r = su_policy_eval(p, &t.rq, &d, &ex);
        if (r < 0) {
                fprintf(stderr, "stepupctl: the policy cannot be evaluated: %s\n", strerror(-r));
                goto out;
        }
        if (o.json) {
                if (print_json(o.file, &t.rq, &t.command, &d, &ex) < 0) {
                        fprintf(stderr, "stepupctl: out of memory\n");
                        goto out;
                }
        } else {
                print_text(&t.rq, &t.command, &d, &ex);
        }
        rc = 0;
out:
        su_explain_free(&ex);
        su_policy_free(p);
        su_diags_free(&diags);
        req_done(&t);
        return rc;
}
