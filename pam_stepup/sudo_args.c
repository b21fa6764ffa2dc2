/* sudo's command line, parsed as sudo 1.9.13's parse_args() does, for what SUDO_COMMAND
 * does not say (target user and group, sudoedit's files); see sudo_args.h. */
#include "sudo_args.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMDLINE_MAX (256u * 1024u)
#define ARGS_MAX 4096

/* sudo 1.9.13: short_opts "+Aa:BbC:c:D:Eeg:Hh::iKklNnPp:R:r:SsT:t:U:u:Vv". */
enum arg_kind { NO_ARG, REQ_ARG, OPT_ARG };
struct opt {
        const char *name; /* long name, NULL for short-only */
        int ch;
        enum arg_kind kind;
};
#define OPT_HOST 256
static const struct opt opts[] = {
    {"askpass", 'A', NO_ARG},
    {"auth-type", 'a', REQ_ARG},
    {"bell", 'B', NO_ARG},
    {"background", 'b', NO_ARG},
    {"close-from", 'C', REQ_ARG},
    {"login-class", 'c', REQ_ARG},
    {"chdir", 'D', REQ_ARG},
    {"preserve-env", 'E', OPT_ARG}, /* short -E takes no argument */
    {"edit", 'e', NO_ARG},
    {"group", 'g', REQ_ARG},
    {"set-home", 'H', NO_ARG},
    {"help", 'h', NO_ARG}, /* short -h takes an optional attached host */
    {"host", OPT_HOST, REQ_ARG},
    {"login", 'i', NO_ARG},
    {"remove-timestamp", 'K', NO_ARG},
    {"reset-timestamp", 'k', NO_ARG},
    {"list", 'l', NO_ARG},
    {"no-update", 'N', NO_ARG},
    {"non-interactive", 'n', NO_ARG},
    {"preserve-groups", 'P', NO_ARG},
    {"prompt", 'p', REQ_ARG},
    {"chroot", 'R', REQ_ARG},
    {"role", 'r', REQ_ARG},
    {"stdin", 'S', NO_ARG},
    {"shell", 's', NO_ARG},
    {"command-timeout", 'T', REQ_ARG},
    {"type", 't', REQ_ARG},
    {"other-user", 'U', REQ_ARG},
    {"user", 'u', REQ_ARG},
    {"version", 'V', NO_ARG},
    {"validate", 'v', NO_ARG},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct opt *short_opt(int ch)
{
        for (size_t i = 0; i < NOPTS; i++)
                if (opts[i].ch == ch)
                        return &opts[i];
        return NULL;
}

/* getopt_long's rule: an exact name, else a unique prefix. */
static const struct opt *long_opt(const char *s, size_t len)
{
        const struct opt *found = NULL;
        for (size_t i = 0; i < NOPTS; i++) {
                if (strncmp(opts[i].name, s, len) != 0)
                        continue;
                if (strlen(opts[i].name) == len)
                        return &opts[i];
                if (found && found->ch != opts[i].ch)
                        return NULL; /* ambiguous: sudo refuses it too */
                found = &opts[i];
        }
        return found;
}

enum { M_NONE, M_RUN, M_EDIT, M_HELP, M_KILL, M_LIST, M_VALIDATE, M_VERSION };

struct state {
        int mode;
        bool shell, login, ignore_ticket, env_added;
        const char *user, *group, *chroot;
};

/* One option; returns 0 or -EINVAL (where sudo would print its usage and exit). */
static int apply(struct state *st, int ch, const char *optarg)
{
        switch (ch) {
        case 'e':
                if (st->mode && st->mode != M_EDIT)
                        return -EINVAL;
                st->mode = M_EDIT;
                return 0;
        case 'g':
                if (!optarg || !*optarg)
                        return -EINVAL;
                st->group = optarg;
                return 0;
        case 'u':
                if (!optarg || !*optarg)
                        return -EINVAL;
                st->user = optarg;
                return 0;
        case 'R':
                st->chroot = optarg;
                return 0;
        case 'i':
                st->login = true;
                return 0;
        case 's':
                st->shell = true;
                return 0;
        case 'k':
                st->ignore_ticket = true;
                return 0;
        case 'K':
        case 'l':
        case 'v':
        case 'V': {
                int m = ch == 'K'   ? M_KILL
                        : ch == 'l' ? M_LIST
                        : ch == 'v' ? M_VALIDATE
                                    : M_VERSION;
                if (st->mode && st->mode != m)
                        return -EINVAL;
                st->mode = m;
                return 0;
        }
        default:
                return 0; /* options that do not change what runs or as whom */
        }
}

static bool is_envar(const char *s)
{
        return s[0] != '/' && strchr(s, '=') != NULL;
}

int su_sudo_parse(int argc, const char *const argv[], struct su_sudo_args *ret)
{
        if (argc < 1 || !argv[0])
                return -EINVAL;
        struct state st = {0};
        const char *prog = strrchr(argv[0], '/');
        prog = prog ? prog + 1 : argv[0];
        size_t plen = strlen(prog);
        bool is_sudoedit = plen > 4 && strcmp(prog + plen - 4, "edit") == 0;
        if (is_sudoedit)
                st.mode = M_EDIT;

        int i = 1;
        bool end_of_args = false;
        while (i < argc) {
                const char *s = argv[i];
                if (strcmp(s, "--") == 0) {
                        i++;
                        end_of_args = true;
                        break;
                }
                if (s[0] != '-' || s[1] == 0) {
                        if (is_envar(s)) {
                                st.env_added = true;
                                i++;
                                continue;
                        }
                        break; /* the command */
                }
                if (s[1] == '-') { /* --name[=value] */
                        const char *eq = strchr(s + 2, '=');
                        size_t len = eq ? (size_t)(eq - s - 2) : strlen(s + 2);
                        const struct opt *o = long_opt(s + 2, len);
                        if (!o)
                                return -EINVAL;
                        const char *val = eq ? eq + 1 : NULL;
                        i++;
                        if (o->kind == NO_ARG && val)
                                return -EINVAL;
                        if (o->kind == REQ_ARG && !val) {
                                if (i >= argc)
                                        return -EINVAL;
                                val = argv[i++];
                        }
                        if (o->ch == 'h') {
                                if (st.mode && st.mode != M_HELP && !is_sudoedit)
                                        return -EINVAL;
                                st.mode = M_HELP;
                                continue;
                        }
                        if (apply(&st, o->ch, val) < 0)
                                return -EINVAL;
                        continue;
                }
                /* a cluster of short options: -nu root, -nuroot, -hhost */
                i++;
                for (const char *p = s + 1; *p; p++) {
                        const struct opt *o = short_opt((unsigned char)*p);
                        if (!o || o->ch >= OPT_HOST)
                                return -EINVAL;
                        if (o->ch == 'h') {
                                if (p[1]) { /* -hhost */
                                        break;
                                }
                                /* "-h" alone followed by a word that is neither an option
                                 * nor VAR=value names the host (sudo's got_host_flag) */
                                if (p == s + 1 && i < argc && argv[i][0] != '-' &&
                                    !is_envar(argv[i])) {
                                        i++;
                                        break;
                                }
                                if (st.mode && st.mode != M_HELP && !is_sudoedit)
                                        return -EINVAL;
                                st.mode = M_HELP;
                                continue;
                        }
                        if (o->ch == 'E' || o->kind == NO_ARG) {
                                if (apply(&st, o->ch, NULL) < 0)
                                        return -EINVAL;
                                continue;
                        }
                        const char *val = p[1] ? p + 1 : (i < argc ? argv[i++] : NULL);
                        if (!val)
                                return -EINVAL;
                        if (apply(&st, o->ch, val) < 0)
                                return -EINVAL;
                        break;
                }
        }
        (void)end_of_args;
        int nargc = argc - i;
        const char *const *nargv = argv + i;

        if (!st.mode) {
                if (st.ignore_ticket && nargc == 0 && !st.shell && !st.login)
                        st.mode = M_KILL; /* "-k" alone: invalidate the timestamp */
                else
                        st.mode = M_RUN;
        }
        if (st.login && st.shell)
                return -EINVAL;
        if (st.mode == M_EDIT && (nargc == 0 || st.env_added || st.shell || st.login))
                return -EINVAL;
        if (nargc > 0 && st.mode != M_RUN && st.mode != M_EDIT && st.mode != M_LIST)
                return -EINVAL;

        *ret = (struct su_sudo_args){.runas_user = st.user,
                                     .runas_group = st.group,
                                     .chroot = st.chroot,
                                     .argc = nargc,
                                     .argv = nargv};
        if (st.mode == M_RUN) {
                ret->mode = SU_SUDO_RUN;
                ret->login = st.login;
                ret->shell = st.shell || st.login || nargc == 0;
        } else if (st.mode == M_EDIT) {
                ret->mode = SU_SUDO_EDIT;
        } else {
                ret->mode = SU_SUDO_OTHER;
        }
        return 0;
}

/* A growing text buffer with a hard cap. */
struct text {
        char *s;
        size_t len, cap, max;
        int err;
};

static void put(struct text *t, const char *s, size_t n)
{
        if (t->err)
                return;
        if (t->len + n > t->max) {
                t->err = -E2BIG;
                return;
        }
        if (t->len + n + 1 > t->cap) {
                size_t cap = t->cap ? t->cap : 128;
                while (cap < t->len + n + 1)
                        cap *= 2;
                char *ns = realloc(t->s, cap);
                if (!ns) {
                        t->err = -ENOMEM;
                        return;
                }
                t->s = ns;
                t->cap = cap;
        }
        memcpy(t->s + t->len, s, n);
        t->len += n;
        t->s[t->len] = 0;
}

static void puts_(struct text *t, const char *s)
{
        put(t, s, strlen(s));
}

/* "#1000" -> the user's name; a name stays a name. */
static int runas_name(const char *v, bool group, char **ret)
{
        if (v[0] != '#') {
                *ret = strdup(v);
                return *ret ? 0 : -ENOMEM;
        }
        char *end;
        errno = 0;
        unsigned long id = strtoul(v + 1, &end, 10);
        if (errno || end == v + 1 || *end || id > UINT_MAX - 1)
                return -EINVAL;
        char buf[8192];
        if (group) {
                struct group gr, *grp = NULL;
                if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &grp) != 0 || !grp)
                        return -EINVAL;
                *ret = strdup(gr.gr_name);
        } else {
                struct passwd pw, *pwp = NULL;
                if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                        return -EINVAL;
                *ret = strdup(pw.pw_name);
        }
        return *ret ? 0 : -ENOMEM;
}

/* sudoedit FILE: absolute, its directory made canonical (sudoedit will not follow a link in
 * the last component), so a relative name or a link cannot dodge a `command sudoedit` rule. */
static void put_edit_file(struct text *t, const char *file, const char *cwd)
{
        char abs[PATH_MAX], dir[PATH_MAX];
        int w = file[0] == '/' ? snprintf(abs, sizeof(abs), "%s", file)
                               : snprintf(abs, sizeof(abs), "%s/%s", cwd, file);
        if (w < 0 || (size_t)w >= sizeof(abs)) {
                t->err = t->err ? t->err : -E2BIG;
                return;
        }
        char *slash = strrchr(abs, '/');
        *slash = 0;
        const char *base = slash + 1;
        if (realpath(abs[0] ? abs : "/", dir)) {
                puts_(t, strcmp(dir, "/") == 0 ? "" : dir);
        } else {
                puts_(t, abs);
        }
        put(t, "/", 1);
        puts_(t, base);
}

int su_sudo_request(const struct su_sudo_args *a, const struct su_sudo_env *e, size_t maxlen,
                    struct su_sudo_request *ret)
{
        *ret = (struct su_sudo_request){0};
        if (a->mode == SU_SUDO_OTHER)
                return 0; /* -l, -v, -k...: nothing runs, no command to match */
        if (a->chroot)
                return -EINVAL; /* SUDO_COMMAND would be a path inside another root */
        const char *sc = e->sudo_command;
        bool sc_edit = sc && strncmp(sc, "sudoedit ", 9) == 0;
        if (!sc || !*sc || sc_edit != (a->mode == SU_SUDO_EDIT))
                return -EINVAL; /* not the sudo this was written for: do not guess */
        struct su_sudo_request r = {0};
        int err = 0;
        if (a->runas_user)
                err = runas_name(a->runas_user, false, &r.target_user);
        else /* -g alone runs as the invoking user; otherwise sudo's runas_default, root */
                err = (r.target_user = strdup(a->runas_group ? e->invoker : "root")) ? 0 : -ENOMEM;
        if (err == 0 && a->runas_group)
                err = runas_name(a->runas_group, true, &r.target_group);

        struct text t = {.max = maxlen};
        if (err == 0 && a->mode == SU_SUDO_EDIT) {
                puts_(&t, "sudoedit");
                for (int i = 0; i < a->argc; i++) {
                        put(&t, " ", 1);
                        put_edit_file(&t, a->argv[i], e->cwd);
                }
        } else if (err == 0) {
                puts_(&t, sc);
        }
        if (err == 0)
                err = t.err;
        if (err < 0) {
                free(t.s);
                su_sudo_request_free(&r);
                return err;
        }
        r.command = t.s;
        *ret = r;
        return 0;
}

void su_sudo_request_free(struct su_sudo_request *r)
{
        free(r->command);
        free(r->target_user);
        free(r->target_group);
        *r = (struct su_sudo_request){0};
}

int su_sudo_read_cmdline(const char *path, char **ret_buf, const char ***ret_argv, int *ret_argc)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        char *buf = malloc(CMDLINE_MAX + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        size_t len = 0;
        for (;;) {
                ssize_t n = read(fd, buf + len, CMDLINE_MAX + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = -errno;
                        close(fd);
                        free(buf);
                        return e;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > CMDLINE_MAX) {
                        close(fd);
                        free(buf);
                        return -E2BIG; /* never parse a truncated command line */
                }
        }
        close(fd);
        if (len == 0 || buf[len - 1] != 0) {
                free(buf);
                return -EINVAL;
        }
        int argc = 0;
        for (size_t i = 0; i < len; i++)
                argc += buf[i] == 0;
        if (argc > ARGS_MAX) {
                free(buf);
                return -E2BIG;
        }
        const char **argv = calloc((size_t)argc + 1, sizeof(*argv));
        if (!argv) {
                free(buf);
                return -ENOMEM;
        }
        size_t off = 0;
        for (int i = 0; i < argc; i++) {
                argv[i] = buf + off;
                off += strlen(buf + off) + 1;
        }
        *ret_buf = buf;
        *ret_argv = argv;
        *ret_argc = argc;
        return 0;
}
