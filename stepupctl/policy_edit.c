/* stepupctl policy edit [--file FILE], like visudo: edit a private copy, check it together with
 * the rest of the policy set, step up through PAM (service stepup-policy), then install it
 * atomically and ask stepupd to reload.  A copy that does not parse, or a failed step-up, never
 * replaces the installed file. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "names.h"
#include "policy_cmd.h"
#include "safe_read.h"

#define EDIT_MAX_SIZE (1u << 20) /* the policy library's per-file limit */

struct edit {
        char target[PATH_MAX]; /* the file being edited, with a canonical directory */
        char set[PATH_MAX];    /* the PATH of the set it is checked in (policy.conf) */
        char tmpdir[PATH_MAX]; /* private (0700) directory holding the copy */
        char copy[PATH_MAX];
        char *orig, *text;
        size_t orig_len, len;
        bool orig_exists;
};

/* target = realpath(dirname(path)) + "/" + basename(path); a file in a directory named
 * policy.d is checked in the set of the policy.conf next to that directory. */
static int resolve_target(const char *path, struct edit *e)
{
        char a[PATH_MAX], b[PATH_MAX], dir[PATH_MAX];

        if (strlen(path) >= sizeof(a))
                return -ENAMETOOLONG;
        strcpy(a, path);
        strcpy(b, path);
        const char *base = basename(a);
        if (!realpath(dirname(b), dir))
                return -errno;
        if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0)
                return -EISDIR;
        if (snprintf(e->target, sizeof(e->target), "%s/%s", strcmp(dir, "/") ? dir : "", base) >=
            (int)sizeof(e->target))
                return -ENAMETOOLONG;
        snprintf(e->set, sizeof(e->set), "%s", e->target);
        const char *slash = strrchr(dir, '/');
        if (slash && strcmp(slash + 1, "policy.d") == 0 && slash != dir) {
                char main[PATH_MAX];
                struct stat st;
                snprintf(main, sizeof(main), "%.*s/policy.conf", (int)(slash - dir), dir);
                if (lstat(main, &st) == 0)
                        snprintf(e->set, sizeof(e->set), "%s", main);
        }
        return 0;
}

/* Root's files only, as stepupd reads them: no symbolic link, owner root, not g/o writable.
 * On failure why says what is wrong. */
static int read_policy_file(const char *path, char **ret, size_t *len, char *why, size_t whysize)
{
        return su_safe_read(path, 0, EDIT_MAX_SIZE, 0, ret, len, why, whysize);
}

static int write_copy(const char *path, const char *text, size_t len)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = 0;

        if (fd < 0)
                return -errno;
        while (len > 0 && r == 0) {
                ssize_t n = write(fd, text, len);
                if (n < 0 && errno != EINTR)
                        r = -errno;
                if (n > 0) {
                        text += n;
                        len -= (size_t)n;
                }
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int make_copy(struct edit *e)
{
        const char *tmp = getenv("TMPDIR");
        const char *base = strrchr(e->target, '/') + 1;

        if (!tmp || tmp[0] != '/')
                tmp = "/tmp";
        if (snprintf(e->tmpdir, sizeof(e->tmpdir), "%s/stepup-policy.XXXXXX", tmp) >=
            (int)sizeof(e->tmpdir))
                return -ENAMETOOLONG;
        if (!mkdtemp(e->tmpdir)) { /* 0700 */
                e->tmpdir[0] = '\0';
                return -errno;
        }
        /* the same name as the target, so the editor picks its syntax */
        if (snprintf(e->copy, sizeof(e->copy), "%s/%s", e->tmpdir, base) >= (int)sizeof(e->copy))
                return -ENAMETOOLONG;
        return write_copy(e->copy, e->orig ? e->orig : "", e->orig_len);
}

/* The private directory and whatever the editor left in it (backup files). */
static void remove_copy(struct edit *e)
{
        if (!e->tmpdir[0])
                return;
        DIR *d = opendir(e->tmpdir);
        if (d) {
                struct dirent *de;
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                                unlinkat(dirfd(d), de->d_name, 0);
                closedir(d);
        }
        rmdir(e->tmpdir);
        e->tmpdir[0] = '\0';
}

/* $VISUAL, $EDITOR or vi, through the shell (so "vim -u NONE" works, as git does it), with the
 * file as a positional parameter: its name is never parsed by the shell. */
static int run_editor(const char *file)
{
        const char *editor = getenv("VISUAL");
        struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
        char cmd[PATH_MAX + 16];
        int status;
        pid_t pid;

        if (!editor || !*editor)
                editor = getenv("EDITOR");
        if (!editor || !*editor)
                editor = "vi";
        if (snprintf(cmd, sizeof(cmd), "%s \"$@\"", editor) >= (int)sizeof(cmd))
                return -ENAMETOOLONG;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGINT, &ign, &old_int);
        sigaction(SIGQUIT, &ign, &old_quit);
        pid = fork();
        if (pid == 0) {
                sigaction(SIGINT, &old_int, NULL);
                sigaction(SIGQUIT, &old_quit, NULL);
                execl("/bin/sh", "sh", "-c", cmd, editor, file, (char *)NULL);
                _exit(127);
        }
        int r = pid < 0 ? -errno : 0;
        while (pid > 0 && waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        break;
                }
        }
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        if (r < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "stepupctl: the editor (%s) failed (%s %d)\n", editor,
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                return -ECHILD;
        }
        return 0;
}

/* Parse the copy in its set.  Returns 0 (valid), 1 (errors, printed) or a negative errno. */
static int validate(const struct edit *e)
{
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        int r;

        r = su_policy_load_replacing(e->set, 0, e->target, e->text, e->len, &p, &d);
        if (r == 0)
                (void)su_policy_lint(p, &d); /* warnings only: they never stop the install */
        policy_print_diags(&d);
        if (r == 0)
                printf("%s: OK (%zu rules in the set, %zu warnings)\n", e->target,
                       su_policy_rule_count(p), d.warnings);
        else if (r == -EINVAL || r == -EPERM || r == -ELOOP || r == -EFBIG || r == -E2BIG)
                fprintf(stderr, "%s: %zu error(s) in the policy set of %s: not installed\n",
                        e->target, d.errors, e->set);
        else
                fprintf(stderr, "%s: cannot check the policy set of %s: %s\n", e->target, e->set,
                        strerror(-r));
        su_policy_free(p);
        su_diags_free(&d);
        return r == 0 ? 0 : 1;
}

/* After errors: 'e' edits again; anything else (or no terminal) gives up. */
static bool ask_reedit(void)
{
        char line[32];

        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr, "stepupctl: no terminal to ask on: nothing installed\n");
                return false;
        }
        for (int tries = 0; tries < 5; tries++) {
                fprintf(stderr, "What now? (e)dit again, (q)uit without installing: ");
                if (!fgets(line, sizeof(line), stdin))
                        return false;
                if (line[0] == 'e' && (line[1] == '\n' || !line[1]))
                        return true;
                if (line[0] == 'q' && (line[1] == '\n' || !line[1]))
                        return false;
        }
        return false;
}

/* Whoever stepupd should demand the step-up from: the human behind sudo, else the caller. */
static const char *invoking_user(char *buf, size_t size)
{
        const char *sudo_user = getenv("SUDO_USER");
        struct passwd pw, *pwp = NULL;
        char pwbuf[4096];

        if (getuid() == 0 && sudo_user && su_valid_user(sudo_user))
                return sudo_user;
        if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp ||
            snprintf(buf, size, "%s", pw.pw_name) >= (int)size)
                return NULL;
        return buf;
}

/* The target still holds what we copied (nobody else changed it meanwhile). */
static bool target_unchanged(const struct edit *e)
{
        char *now = NULL;
        size_t len = 0;
        char why[160];
        int r = read_policy_file(e->target, &now, &len, why, sizeof(why));
        bool same = r == -ENOENT ? !e->orig_exists
                    : r == 0
                        ? e->orig_exists && len == e->orig_len && memcmp(now, e->orig, len) == 0
                        : false;

        free(now);
        return same;
}

static int edit_loop(struct edit *e)
{
        for (;;) {
                int r = run_editor(e->copy);
                if (r < 0) {
                        if (r != -ECHILD)
                                fprintf(stderr, "stepupctl: cannot run the editor: %s\n",
                                        strerror(-r));
                        return -1;
                }
                free(e->text);
                e->text = NULL;
                char why[160];
                r = read_policy_file(e->copy, &e->text, &e->len, why, sizeof(why));
                if (r < 0) {
                        fprintf(stderr, "stepupctl: cannot read back %s: %s\n", e->copy, why);
                        return -1;
                }
                if (e->len == e->orig_len && memcmp(e->text, e->orig ? e->orig : "", e->len) == 0) {
                        printf("%s: no changes, nothing installed\n", e->target);
                        return 0;
                }
                if (validate(e) == 0)
                        return 1;
                if (!ask_reedit())
                        return -1;
        }
}

static int parse_opts(int argc, char **argv, const char **file)
{
        for (int i = 2; i < argc; i++) {
                if (strcmp(argv[i], "--file") == 0 && i + 1 < argc)
                        *file = argv[++i];
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        printf("Usage: stepupctl policy edit [--file FILE]\n"
                               "Edit a copy of FILE (default %s) with $VISUAL or $EDITOR, check "
                               "it with the\nrest of the policy set, step up through PAM "
                               "service %s, install it\natomically and make stepupd reload. "
                               "Root only.\n",
                               STEPUP_POLICY_PATH, POLICY_PAM_SERVICE);
                        return 1;
                } else {
                        fprintf(stderr, "Usage: stepupctl policy edit [--file FILE]\n");
                        return -EINVAL;
                }
        }
        return 0;
}

int policy_edit(const struct ctl *c, int argc, char **argv)
{
        const char *file = STEPUP_POLICY_PATH, *user;
        struct edit e = {0};
        char userbuf[256], err[512];
        int r, rc = 1;
        bool keep = false;

        r = parse_opts(argc, argv, &file);
        if (r != 0)
                return r > 0 ? 0 : 2;
        if (geteuid() != 0) {
                fprintf(stderr,
                        "stepupctl: policy edit is for root (sudo stepupctl policy edit)\n");
                return 1;
        }
        r = resolve_target(file, &e);
        if (r < 0) {
                fprintf(stderr, "stepupctl: cannot edit %s: %s\n", file, strerror(-r));
                return 1;
        }
        r = read_policy_file(e.target, &e.orig, &e.orig_len, err, sizeof(err));
        if (r == -ENOENT) {
                printf("%s does not exist: starting a new file\n", e.target);
        } else if (r < 0) {
                fprintf(stderr, "stepupctl: refusing to edit %s: %s\n", e.target, err);
                return 1;
        }
        e.orig_exists = r == 0;
        user = invoking_user(userbuf, sizeof(userbuf));
        if (!user) {
                fprintf(stderr, "stepupctl: cannot tell who is running this\n");
                goto out;
        }
        r = make_copy(&e);
        if (r < 0) {
                fprintf(stderr, "stepupctl: cannot make a private copy: %s\n", strerror(-r));
                goto out;
        }
        r = edit_loop(&e);
        if (r <= 0) {
                rc = r == 0 ? 0 : 1;
                goto out;
        }

        /* Valid: step up, then install.  From here on a refusal keeps the user's work. */
        keep = true;
        if (policy_authenticate(user) < 0) {
                fprintf(stderr, "%s: not installed (the step-up for %s failed)\n", e.target,
                        POLICY_PAM_SERVICE);
                goto out;
        }
        if (!target_unchanged(&e)) {
                fprintf(stderr,
                        "%s: changed by someone else while you were editing: not "
                        "installed\n",
                        e.target);
                goto out;
        }
        r = policy_install(e.target, e.text, e.len, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "%s: not installed: %s\n", e.target, err);
                goto out;
        }
        if (r > 0)
                fprintf(stderr, "stepupctl: warning: %s\n", err);
        keep = false;
        printf("%s: installed\n", e.target);

        r = policy_reload(c);
        if (r < 0)
                fprintf(stderr, "stepupctl: stepupd did not reload (it is not running?); the new "
                                "policy is installed and is read when stepupd starts or "
                                "reloads\n");
        else if (r > 0)
                fprintf(stderr, "stepupctl: stepupd refused its policy and keeps the old one; "
                                "fix the errors above, then run 'stepupctl policy reload'\n");
        rc = r > 0 ? 1 : 0;
out:
        if (keep && e.tmpdir[0])
                fprintf(stderr, "stepupctl: your edit is kept in %s\n", e.copy);
        else
                remove_copy(&e);
        free(e.orig);
        free(e.text);
        return rc;
}
