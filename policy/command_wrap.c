/* Exec wrappers: programs whose job is to run another program named on their command line.
 * wrap_step() reads one wrapper's arguments the way the wrapper itself reads them and finds
 * the program it runs; whatever it does not understand leaves the command unresolved.
 *
 * The wrappers followed (coreutils 9.1, util-linux 2.38, GNU time 1.9 as in Debian 12) all
 * read their options with getopt_long and a leading '+': options come first, "--" ends them,
 * a short option's value is the rest of its word or the next word.  Long options are taken
 * only when spelled in full (getopt_long would also take a unique abbreviation: here it is
 * not understood, so unresolved). */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* What an option means here. */
enum {
        O_TEXT = 1u << 0,  /* its value may hold a space (see SU_COMMAND_JOINED) */
        O_SELF = 1u << 1,  /* the wrapper then acts on other processes and runs nothing (-p) */
        O_EXIT = 1u << 2,  /* the wrapper stops there and runs nothing (--help, chrt -m) */
        O_UNRES = 1u << 3, /* the wrapper then does something not followed here (why) */
        O_ENV_I = 1u << 4, /* env -i: an empty environment, so execvp's default PATH */
        O_ENV_U = 1u << 5, /* env -u NAME */
        O_ENV_S = 1u << 6, /* env -S STRING */
};

enum arg { NOARG, REQARG, OPTARG }; /* OPTARG: long options only, as --name=VALUE */

struct wopt {
        char ch;          /* short option, or 0 */
        const char *name; /* long option, or NULL */
        enum arg arg;
        unsigned what;
        const char *why; /* O_UNRES */
};

enum operand { OPERAND_NONE, OPERAND_DURATION, OPERAND_PRIORITY, OPERAND_MASK };

struct wrapper {
        const char *name;
        const struct wopt *opts;
        size_t nopts;
        enum operand operand; /* what comes between the options and the program */
        bool env;             /* env's "-", NAME=VALUE words, -i, -u, -S */
        bool nice;            /* nice's old "-N" adjustment words */
};

static const struct wopt env_opts[] = {
    {'i', "ignore-environment", NOARG, O_ENV_I, NULL},
    {'0', "null", NOARG, 0, NULL},
    {'u', "unset", REQARG, O_ENV_U | O_TEXT, NULL},
    {'C', "chdir", REQARG, O_TEXT, NULL},
    {'S', "split-string", REQARG, O_ENV_S, NULL},
    {0, "block-signal", OPTARG, 0, NULL},
    {0, "default-signal", OPTARG, 0, NULL},
    {0, "ignore-signal", OPTARG, 0, NULL},
    {0, "list-signal-handling", NOARG, 0, NULL},
    {'v', "debug", NOARG, 0, NULL},
    {0, "help", NOARG, O_EXIT, NULL},
    {0, "version", NOARG, O_EXIT, NULL},
};
static const struct wopt nice_opts[] = {
    {'n', "adjustment", REQARG, 0, NULL},
    {0, "help", NOARG, O_EXIT, NULL},
    {0, "version", NOARG, O_EXIT, NULL},
};
static const struct wopt nohup_opts[] = {
    {0, "help", NOARG, O_EXIT, NULL},
    {0, "version", NOARG, O_EXIT, NULL},
};
static const struct wopt timeout_opts[] = {
    {'k', "kill-after", REQARG, 0, NULL}, {'s', "signal", REQARG, 0, NULL},
    {'v', "verbose", NOARG, 0, NULL},     {0, "preserve-status", NOARG, 0, NULL},
    {0, "foreground", NOARG, 0, NULL},    {0, "help", NOARG, O_EXIT, NULL},
    {0, "version", NOARG, O_EXIT, NULL},
};
static const struct wopt stdbuf_opts[] = {
    {'i', "input", REQARG, 0, NULL},     {'o', "output", REQARG, 0, NULL},
    {'e', "error", REQARG, 0, NULL},     {0, "help", NOARG, O_EXIT, NULL},
    {0, "version", NOARG, O_EXIT, NULL},
};
static const struct wopt setsid_opts[] = {
    {'c', "ctty", NOARG, 0, NULL},         {'f', "fork", NOARG, 0, NULL},
    {'w', "wait", NOARG, 0, NULL},         {'h', "help", NOARG, O_EXIT, NULL},
    {'V', "version", NOARG, O_EXIT, NULL},
};
static const struct wopt ionice_opts[] = {
    {'c', "class", REQARG, 0, NULL},    {'n', "classdata", REQARG, 0, NULL},
    {'p', "pid", REQARG, O_SELF, NULL}, {'P', "pgid", REQARG, O_SELF, NULL},
    {'u', "uid", REQARG, O_SELF, NULL}, {'t', "ignore", NOARG, 0, NULL},
    {'h', "help", NOARG, O_EXIT, NULL}, {'V', "version", NOARG, O_EXIT, NULL},
};
static const struct wopt chrt_opts[] = {
    {'a', "all-tasks", NOARG, 0, NULL},
    {'b', "batch", NOARG, 0, NULL},
    {'d', "deadline", NOARG, 0, NULL},
    {'f', "fifo", NOARG, 0, NULL},
    {'i', "idle", NOARG, 0, NULL},
    {'o', "other", NOARG, 0, NULL},
    {'r', "rr", NOARG, 0, NULL},
    {'R', "reset-on-fork", NOARG, 0, NULL},
    {'T', "sched-runtime", REQARG, 0, NULL},
    {'P', "sched-period", REQARG, 0, NULL},
    {'D', "sched-deadline", REQARG, 0, NULL},
    {'v', "verbose", NOARG, 0, NULL},
    {'p', "pid", NOARG, O_SELF, NULL},
    {'m', "max", NOARG, O_EXIT, NULL},
    {'h', "help", NOARG, O_EXIT, NULL},
    {'V', "version", NOARG, O_EXIT, NULL},
};
static const struct wopt taskset_opts[] = {
    {'a', "all-tasks", NOARG, 0, NULL},    {'p', "pid", NOARG, O_SELF, NULL},
    {'c', "cpu-list", NOARG, 0, NULL},     {'h', "help", NOARG, O_EXIT, NULL},
    {'V', "version", NOARG, O_EXIT, NULL},
};
static const struct wopt time_opts[] = {
    {'a', "append", NOARG, 0, NULL},
    {'f', "format", REQARG, O_TEXT, NULL},
    {'o', "output-file", REQARG, O_UNRES, "time -o writes a file the caller names"},
    {'p', "portability", NOARG, 0, NULL},
    {'q', "quiet", NOARG, 0, NULL},
    {'v', "verbose", NOARG, 0, NULL},
    {0, "help", NOARG, O_EXIT, NULL},
    {'V', "version", NOARG, O_EXIT, NULL},
};

#define NOPTS(o) (sizeof(o) / sizeof((o)[0]))
static const struct wrapper wrappers[] = {
    {"env", env_opts, NOPTS(env_opts), OPERAND_NONE, true, false},
    {"nice", nice_opts, NOPTS(nice_opts), OPERAND_NONE, false, true},
    {"nohup", nohup_opts, NOPTS(nohup_opts), OPERAND_NONE, false, false},
    {"timeout", timeout_opts, NOPTS(timeout_opts), OPERAND_DURATION, false, false},
    {"stdbuf", stdbuf_opts, NOPTS(stdbuf_opts), OPERAND_NONE, false, false},
    {"setsid", setsid_opts, NOPTS(setsid_opts), OPERAND_NONE, false, false},
    {"ionice", ionice_opts, NOPTS(ionice_opts), OPERAND_NONE, false, false},
    {"chrt", chrt_opts, NOPTS(chrt_opts), OPERAND_PRIORITY, false, false},
    {"taskset", taskset_opts, NOPTS(taskset_opts), OPERAND_MASK, false, false},
    {"time", time_opts, NOPTS(time_opts), OPERAND_NONE, false, false},
};
#undef NOPTS

/* Programs that run another program in ways not followed here: a command through them is
 * unresolved.  Not a complete list (no list of programs that can start others can be: an
 * editor, a pager, find -exec...); see docs/policy.md.  sudo is not one of them: it is the
 * program that runs, and it asks the policy itself (service sudo) about what it runs. */
/* clang-format off */
static const char *const opaque[] = {
    "su", "runuser", "doas", "pkexec", "setpriv", "prlimit", "unshare",
    "nsenter", "chroot", "schroot", "xargs", "parallel", "watch", "script", "flock", "strace",
    "ltrace", "gdb", "valgrind*", "perf", "systemd-run", "systemd-nspawn", "systemd-inhibit",
    "systemd-cat", "firejail", "bwrap", "fakeroot*", "fakechroot", "capsh", "busybox", "toybox",
    "coreutils", "setarch", "linux32", "linux64", "i386", "x86_64", "uname26", "numactl",
    "runcon", "sg", "newgrp", "dbus-run-session", "dbus-launch", "eatmydata", "faketime",
    "start-stop-daemon", "chpst", "daemonize", "cgexec", "cpulimit", "torsocks", "proxychains*",
    "unbuffer", "rlwrap", "catchsegv", "ssh-agent", "openvt", "ld.so", "ld-linux*", "ld64.so*",
    "ld-musl-*", NULL};
/* clang-format on */

/* Environment variables that env may set without making the command unresolved: they change
 * messages and formats, never which code runs (with a value free of '/', so never a path). */
/* clang-format off */
static const char *const harmless_env[] = {
    "LANG", "LANGUAGE", "LC_*", "TZ", "COLUMNS", "LINES", "NO_COLOR", NULL};
/* clang-format on */

bool cmd_name_in(const char *name, const char *const *globs)
{
        for (size_t i = 0; globs[i]; i++)
                if (fnmatch(globs[i], name, 0) == 0)
                        return true;
        return false;
}

int wrap_unresolved(struct cmd_walk *w, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(w->why, sizeof(w->why), fmt, ap);
        va_end(ap);
        return WRAP_UNRESOLVED;
}

static const struct wopt *find_short(const struct wrapper *wr, char c)
{
        for (size_t i = 0; i < wr->nopts; i++)
                if (wr->opts[i].ch && wr->opts[i].ch == c)
                        return &wr->opts[i];
        return NULL;
}

static const struct wopt *find_long(const struct wrapper *wr, const char *s, size_t len)
{
        for (size_t i = 0; i < wr->nopts; i++)
                if (wr->opts[i].name && strlen(wr->opts[i].name) == len &&
                    strncmp(wr->opts[i].name, s, len) == 0)
                        return &wr->opts[i];
        return NULL;
}

/* nice's own rule: "-N", "--N", "-+N", "--+N" (a digit after the sign) is an adjustment. */
static bool nice_adjustment(const char *s)
{
        return s[0] == '-' && s[1] && (unsigned)(s[1 + (s[1] == '-' || s[1] == '+')] - '0') < 10;
}

/* timeout's DURATION: a number with an optional unit s, m, h or d. */
static bool is_duration(const char *s)
{
        char *end;

        if (!*s || *s == ' ' || *s == '-')
                return false;
        (void)strtod(s, &end);
        return end != s && (!*end || (strchr("smhd", *end) && !end[1]));
}

/* chrt's priority: a decimal integer. */
static bool is_integer(const char *s)
{
        char *end;

        if (!*s || *s == ' ')
                return false;
        (void)strtol(s, &end, 10);
        return end != s && !*end;
}

/* A word the walk owns (the words of env -S). */
static int walk_own(struct cmd_walk *w, void *p)
{
        if (!p)
                return -ENOMEM;
        if (w->nown == sizeof(w->own) / sizeof(w->own[0])) {
                free(p);
                return -E2BIG;
        }
        w->own[w->nown++] = p;
        return 0;
}

/* env -S VALUE, its word at argv[next - 1]: the words of VALUE take its place, followed by
 * argv[next...], and option reading starts again at the first of them (as env does). */
static int env_split(struct cmd_walk *w, const char *value, size_t next)
{
        size_t len = strlen(value), max = len + 1, rest = w->argc - next;
        char *buf;
        const char **v;
        bool cut;
        int n, r;

        if (++w->splits > CMD_SPLITS_MAX)
                return wrap_unresolved(w, "env: more than %d -S strings", CMD_SPLITS_MAX);
        buf = malloc(len + 1);
        r = walk_own(w, buf);
        if (r < 0)
                return r == -E2BIG ? wrap_unresolved(w, "env: too many -S strings") : r;
        v = calloc(1 + max + rest + 1, sizeof(*v));
        r = walk_own(w, (void *)v);
        if (r < 0)
                return r == -E2BIG ? wrap_unresolved(w, "env: too many -S strings") : r;
        n = cmd_env_split(value, buf, v + 1, max, &cut);
        if (n < 0)
                return wrap_unresolved(w, "env -S: a string whose words %s",
                                       n == -EINVAL ? "env refuses or the environment decides"
                                                    : "cannot be counted");
        /* Through sudo the string may go on in the next words (it may hold spaces): where a
         * comment or \c ends it is then not known. */
        if (cut && w->form == SU_COMMAND_JOINED)
                return wrap_unresolved(w, "env -S: a string cut short by # or \\c, which may "
                                          "hold spaces (sudo joins the arguments with spaces)");
        v[0] = w->argv[0];
        memcpy(v + 1 + n, w->argv + next, rest * sizeof(*v));
        w->argv = v;
        w->argc = 1 + (size_t)n + rest;
        return 0;
}

struct state {
        bool text; /* a value that may hold a space was read */
        bool self; /* the wrapper acts on other processes (-p PID) */
};

/* What one option does; 0 to go on, or a wrap_result.  *i is the next word to read. */
static int apply(struct cmd_walk *w, struct state *st, const struct wopt *o, const char *value,
                 size_t *i)
{
        if (o->what & O_EXIT)
                return WRAP_SELF;
        if (o->what & O_UNRES)
                return wrap_unresolved(w, "%s", o->why);
        if (o->what & O_SELF)
                st->self = true;
        if (o->what & O_TEXT)
                st->text = true;
        if (o->what & O_ENV_I)
                w->default_path = true;
        if ((o->what & O_ENV_U) && strcmp(value, "PATH") == 0)
                w->default_path = true;
        if (o->what & O_ENV_S) {
                int r = env_split(w, value, *i);
                if (r != 0)
                        return r;
                *i = 1;
        }
        return 0;
}

/* The options, as getopt_long with a leading '+' reads them.  *i: the first word after them. */
static int read_options(struct cmd_walk *w, const struct wrapper *wr, struct state *st, size_t *i)
{
        while (*i < w->argc) {
                const char *a = w->argv[*i];
                const struct wopt *o;
                const char *value = NULL;
                int r;

                if (wr->nice && nice_adjustment(a)) {
                        (*i)++;
                        continue;
                }
                if (a[0] != '-' || a[1] == '\0')
                        return 0; /* the first operand */
                if (strcmp(a, "--") == 0) {
                        (*i)++;
                        return 0;
                }
                if (a[1] == '-') {
                        size_t len = strcspn(a + 2, "=");
                        o = find_long(wr, a + 2, len);
                        if (!o)
                                return wrap_unresolved(w, "%s: an option not understood: %.64s",
                                                       wr->name, a);
                        if (a[2 + len] == '=') {
                                if (o->arg == NOARG)
                                        return wrap_unresolved(w, "%s: %.64s takes no value",
                                                               wr->name, a);
                                value = a + 3 + len;
                        } else if (o->arg == REQARG) {
                                if (*i + 1 >= w->argc)
                                        return wrap_unresolved(w, "%s: %.64s needs a value",
                                                               wr->name, a);
                                value = w->argv[++*i];
                        }
                        (*i)++;
                        r = apply(w, st, o, value, i);
                        if (r != 0)
                                return r;
                        continue;
                }
                /* a cluster of short options: "-iu NAME", "-uNAME" */
                for (const char *p = a + 1; *p; p++) {
                        o = find_short(wr, *p);
                        if (!o)
                                return wrap_unresolved(w, "%s: an option not understood: -%c",
                                                       wr->name, *p);
                        if (o->arg != REQARG) {
                                r = apply(w, st, o, NULL, i);
                                if (r != 0)
                                        return r;
                                continue;
                        }
                        if (p[1])
                                value = p + 1;
                        else if (*i + 1 < w->argc)
                                value = w->argv[++*i];
                        else
                                return wrap_unresolved(w, "%s: -%c needs a value", wr->name, *p);
                        break;
                }
                (*i)++;
                if (value) {
                        r = apply(w, st, o, value, i);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* env after its options: "-" (an empty environment), then NAME=VALUE words. */
static int env_operands(struct cmd_walk *w, struct state *st, size_t *i)
{
        if (*i < w->argc && strcmp(w->argv[*i], "-") == 0) {
                w->default_path = true;
                (*i)++;
        }
        for (; *i < w->argc && strchr(w->argv[*i], '='); (*i)++) {
                const char *a = w->argv[*i], *eq = strchr(a, '=');
                char name[64];

                if ((size_t)(eq - a) >= sizeof(name) || eq == a)
                        return wrap_unresolved(w, "env sets a variable: %.64s", a);
                memcpy(name, a, (size_t)(eq - a));
                name[eq - a] = '\0';
                if (!cmd_name_in(name, harmless_env) || strchr(eq + 1, '/'))
                        return wrap_unresolved(w,
                                               "env sets %s, which can change what the program "
                                               "runs (as PATH, LD_PRELOAD, BASH_ENV, PAGER can)",
                                               name);
                st->text = true;
        }
        return 0;
}

int wrap_step(struct cmd_walk *w, const char *name)
{
        const struct wrapper *wr = NULL;
        struct state st = {0};
        size_t i = 1;
        int r;

        if (cmd_name_in(name, opaque))
                return wrap_unresolved(w, "%s runs other programs in ways not followed here", name);
        for (size_t k = 0; k < sizeof(wrappers) / sizeof(wrappers[0]); k++)
                if (strcmp(wrappers[k].name, name) == 0)
                        wr = &wrappers[k];
        if (!wr)
                return WRAP_NOT;

        r = read_options(w, wr, &st, &i);
        if (r != 0)
                return r;
        if (wr->env) {
                r = env_operands(w, &st, &i);
                if (r != 0)
                        return r;
        }
        if (st.self || i >= w->argc)
                return WRAP_SELF; /* -p PID, or no program: it runs nothing else */
        switch (wr->operand) {
        case OPERAND_NONE:
                break;
        case OPERAND_DURATION:
                if (!is_duration(w->argv[i]))
                        return wrap_unresolved(w, "timeout: not a duration: %.64s", w->argv[i]);
                i++;
                break;
        case OPERAND_PRIORITY:
                if (!is_integer(w->argv[i]))
                        return wrap_unresolved(w, "chrt: not a priority: %.64s", w->argv[i]);
                i++;
                break;
        case OPERAND_MASK:
                st.text = true; /* a CPU list is text to taskset */
                i++;
                break;
        }
        if (i >= w->argc)
                return WRAP_SELF; /* a usage error: it runs nothing */
        if (st.text && w->form == SU_COMMAND_JOINED)
                return wrap_unresolved(w,
                                       "%s: an argument may hold spaces (sudo joins the "
                                       "arguments with spaces), so where the program starts "
                                       "is not sure",
                                       wr->name);
        if (w->form == SU_COMMAND_JOINED)
                for (size_t k = 1; k <= i; k++)
                        if (!w->argv[k][0])
                                return wrap_unresolved(w,
                                                       "%s: an empty word (an argument "
                                                       "holding spaces?)",
                                                       wr->name);
        w->argv += i;
        w->argc -= i;
        return WRAP_PROGRAM;
}
