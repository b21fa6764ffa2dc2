/* The command as the policy sees it: "path args" of the program that runs in the end, its path
 * made canonical, followed through exec wrappers (command_wrap.c); whether it is a shell, an
 * interpreter given code, sudoedit, or cannot be told.  Shared by stepupd (every DECIDE and
 * GATE) and `stepupctl policy test`. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

/* /etc/shells, read once and again only when the file changes (it was read twice per
 * DECIDE, with a realpath() per line: 60-100 us of every sudo decision). */
#define SHELLS_MAX 256
static struct {
        char file[PATH_MAX];
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        size_t n;
        char *name[SHELLS_MAX];  /* as written */
        char *canon[SHELLS_MAX]; /* realpath, or NULL */
        bool valid;
} shells_cache;
static pthread_mutex_t shells_lock = PTHREAD_MUTEX_INITIALIZER;

static void shells_drop(void)
{
        for (size_t i = 0; i < shells_cache.n; i++) {
                free(shells_cache.name[i]);
                free(shells_cache.canon[i]);
        }
        shells_cache.n = 0;
        shells_cache.valid = false;
}

static bool shells_load(const char *file)
{
        struct stat st;
        if (stat(file, &st) < 0) {
                shells_drop();
                return false;
        }
        if (shells_cache.valid && strcmp(shells_cache.file, file) == 0 &&
            shells_cache.dev == st.st_dev && shells_cache.ino == st.st_ino &&
            shells_cache.size == st.st_size && shells_cache.mtime.tv_sec == st.st_mtim.tv_sec &&
            shells_cache.mtime.tv_nsec == st.st_mtim.tv_nsec)
                return true;
        shells_drop();
        FILE *f = fopen(file, "re");
        if (!f)
                return false;
        char line[PATH_MAX];
        while (shells_cache.n < SHELLS_MAX && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] != '/')
                        continue;
                char canon[PATH_MAX];
                size_t i = shells_cache.n;
                shells_cache.name[i] = strdup(line);
                shells_cache.canon[i] = realpath(line, canon) ? strdup(canon) : NULL;
                if (!shells_cache.name[i]) {
                        free(shells_cache.canon[i]);
                        break;
                }
                shells_cache.n++;
        }
        fclose(f);
        snprintf(shells_cache.file, sizeof(shells_cache.file), "%s", file);
        shells_cache.dev = st.st_dev;
        shells_cache.ino = st.st_ino;
        shells_cache.size = st.st_size;
        shells_cache.mtime = st.st_mtim;
        shells_cache.valid = true;
        return true;
}

bool su_path_is_shell(const char *path, const char *shells)
{
        bool found = false;
        /* stepupd's event loops decide in parallel: one of them may reload the list while
         * another reads it. */
        pthread_mutex_lock(&shells_lock);
        if (shells_load(shells ? shells : "/etc/shells"))
                for (size_t i = 0; i < shells_cache.n && !found; i++)
                        found = strcmp(shells_cache.name[i], path) == 0 ||
                                (shells_cache.canon[i] && strcmp(shells_cache.canon[i], path) == 0);
        pthread_mutex_unlock(&shells_lock);
        return found;
}

/* Shells by name: any run of them runs code the caller chooses.  awk too: its program is text
 * on its command line.  tmux and screen start a shell. */
/* clang-format off */
static const char *const shell_names[] = {
    "sh",   "bash",  "rbash", "dash",  "zsh",          "ksh", "ksh93", "mksh",
    "lksh", "pdksh", "posh",  "ash",   "yash",         "csh", "tcsh",  "bsd-csh",
    "fish", "rc",    "es",    "xonsh", "elvish",       "nu",  "tmux",  "screen",
    "awk",  "gawk",  "mawk",  "nawk",  "original-awk", NULL};

/* Interpreters: a shell unless their first argument is a script file. */
static const char *const interpreters[] = {
    "python", "python[0-9]*", "pypy*",   "perl",      "perl5*", "ruby",      "ruby[0-9]*", "irb*",
    "node",   "nodejs",       "php",     "php[0-9]*", "lua",    "lua[0-9]*", "luajit*",    "tclsh*",
    "wish*",  "expect",       "Rscript", "guile*",    "julia",  NULL};

static const char *base_name(const char *path)
{
        const char *slash = strrchr(path, '/');
        return slash ? slash + 1 : path;
}

/* The first directory of path_list holding an executable regular file called name. */
static bool path_lookup(const char *name, const char *path_list, char out[PATH_MAX])
{
        for (const char *d = path_list; *d;) {
                size_t n = strcspn(d, ":");
                struct stat st;
                if (n > 0 && d[0] == '/' && n + 1 + strlen(name) < PATH_MAX) {
                        snprintf(out, PATH_MAX, "%.*s/%s", (int)n, d, name);
                        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
                            (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
                                return true;
                }
                d += n;
                if (*d == ':')
                        d++;
        }
        return false;
}

struct program {
        char named[PATH_MAX]; /* the path as given or found in PATH */
        char real[PATH_MAX];  /* through realpath(3), or named when that fails */
};

/* The program a wrapper runs, named as in its argv: found as execvp would find it. */
static int find_program(struct cmd_walk *w, const char *name, struct program *pr)
{
        if (!*name)
                return wrap_unresolved(w, "an empty program name");
        if (strchr(name, '/')) {
                if (name[0] != '/')
                        return wrap_unresolved(w,
                                               "%.64s: a relative path (the working "
                                               "directory decides)",
                                               name);
                if (strlen(name) >= PATH_MAX)
                        return wrap_unresolved(w, "a program path too long");
                strcpy(pr->named, name);
                /* Unlike the command itself (sudo resolved it), a wrapped path is the
                 * caller's word: one stepupd cannot see (missing, or hidden from its
                 * sandbox, such as /tmp or /home) could be a link to any program. */
                if (!realpath(pr->named, pr->real))
                        return wrap_unresolved(w, "%.64s: not visible to stepupd", name);
                return 0;
        } else if (!path_lookup(name, w->default_path ? "/bin:/usr/bin" : SU_COMMAND_SAFE_PATH,
                                pr->named)) {
                return wrap_unresolved(w, "%.64s: not found in %s", name,
                                       w->default_path ? "/bin:/usr/bin" : SU_COMMAND_SAFE_PATH);
        }
        if (!realpath(pr->named, pr->real))
                strcpy(pr->real, pr->named);
        return 0;
}

/* "real args...": the program's real path and the rest of its argument vector. */
static char *join(const char *real, const char *const *argv, size_t argc)
{
        size_t len = strlen(real) + 1;
        char *s, *p;

        for (size_t i = 1; i < argc; i++)
                len += 1 + strlen(argv[i]);
        s = malloc(len);
        if (!s)
                return NULL;
        p = stpcpy(s, real);
        for (size_t i = 1; i < argc; i++) {
                *p++ = ' ';
                p = stpcpy(p, argv[i]);
        }
        return s;
}

static bool program_is_shell(const struct program *pr, const char *const *argv, size_t argc,
                             const char *shells)
{
        const char *name = base_name(pr->real);

        if (su_path_is_shell(pr->real, shells) || su_path_is_shell(pr->named, shells))
                return true;
        if (cmd_name_in(name, shell_names))
                return true;
        /* python3 /usr/local/sbin/tool.py runs that file; python3, python3 -c CODE, python3 -m
         * MODULE, python3 - (standard input) run code the caller gives. */
        if (cmd_name_in(name, interpreters))
                return argc < 2 || argv[1][0] == '-' || argv[1][0] == '\0';
        return false;
}

static void walk_done(struct cmd_walk *w)
{
        for (size_t i = 0; i < w->nown; i++)
                free(w->own[i]);
        w->nown = 0;
}

void su_command_done(struct su_command *c)
{
        if (!c)
                return;
        free(c->text);
        free(c->given);
        memset(c, 0, sizeof(*c));
}

int su_command_canonical(const char *cmd, const char *shells, enum su_command_form form,
                         struct su_command *ret)
{
        struct su_command c = {0};
        struct cmd_walk w = {.form = form};
        struct program pr;
        size_t len, plen, nwords = 1;
        const char **argv;
        char *words;
        int r = -ENOMEM;

        if (!cmd)
                return -EINVAL;
        len = strlen(cmd);
        if (len > SU_COMMAND_LEN_MAX)
                return -E2BIG;
        plen = strcspn(cmd, " ");
        if (plen == 0 || plen >= PATH_MAX)
                return -EINVAL;
        if (plen == 8 && strncmp(cmd, "sudoedit", 8) == 0) {
                c.text = strdup(cmd);
                c.given = strdup(cmd);
                if (!c.text || !c.given) {
                        su_command_done(&c);
                        return -ENOMEM;
                }
                c.sudoedit = true;
                *ret = c;
                return 0;
        }
        if (cmd[0] != '/')
                return -EINVAL; /* sudo always resolves the command; anything else is odd */

        /* The words: split at every single space, so joining them gives cmd back. */
        for (size_t i = 0; i < len; i++)
                nwords += cmd[i] == ' ';
        words = strdup(cmd);
        argv = calloc(nwords + 1, sizeof(*argv));
        if (!words || !argv)
                goto out;
        w.own[w.nown++] = words;
        w.own[w.nown++] = (void *)argv;
        for (char *p = words, *sp;; p = sp + 1) {
                argv[w.argc++] = p;
                sp = strchr(p, ' ');
                if (!sp)
                        break;
                *sp = '\0';
        }
        w.argv = argv;

        memcpy(pr.named, cmd, plen);
        pr.named[plen] = '\0';
        if (!realpath(pr.named, pr.real))
                strcpy(pr.real, pr.named);
        c.given = join(pr.real, w.argv, w.argc);
        if (!c.given)
                goto out;

        for (;;) {
                int step = wrap_step(&w, base_name(pr.real));
                if (step < 0) {
                        r = step;
                        goto out;
                }
                if (step == WRAP_PROGRAM) {
                        if (c.wrappers == SU_COMMAND_WRAPPERS_MAX)
                                step = wrap_unresolved(&w, "exec wrappers nested more than %d deep",
                                                       SU_COMMAND_WRAPPERS_MAX);
                        else if ((step = find_program(&w, w.argv[0], &pr)) == 0)
                                c.wrappers++;
                        if (step == 0)
                                continue;
                }
                if (step == WRAP_UNRESOLVED) {
                        c.unresolved = true;
                        c.shell = true;
                        snprintf(c.why, sizeof(c.why), "%s", w.why);
                        c.text = strdup(c.given);
                } else { /* WRAP_NOT, WRAP_SELF: this program is the one that runs */
                        c.shell = program_is_shell(&pr, w.argv, w.argc, shells);
                        c.text = join(pr.real, w.argv, w.argc);
                }
                break;
        }
        if (!c.text)
                goto out;
        *ret = c;
        c = (struct su_command){0};
        r = 0;
out:
        su_command_done(&c);
        walk_done(&w);
        return r;
}
