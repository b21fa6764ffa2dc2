/* su_policy_load: policy.conf plus the *.conf files in policy.d, in a scratch directory, and every
 * reason a file or the set is refused.  Files are created here with exact modes, so the result does
 * not depend on the umask or on how the source tree was checked out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw flags */
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "testutil.h"

static char root[256];
static int case_no;

/* A fresh directory for one case; returns the policy.conf path inside it. */
static const char *new_case(void)
{
        static char conf[300];
        char dir[280];

        snprintf(dir, sizeof(dir), "%s/%d", root, ++case_no);
        if (mkdir(dir, 0755) < 0)
                abort();
        snprintf(conf, sizeof(conf), "%s/policy.conf", dir);
        return conf;
}

static void put(const char *path, const char *text, mode_t mode)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        size_t len = strlen(text);

        if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
                abort();
        close(fd);
}

/* DIR(conf)/policy.d/name, creating policy.d (0755) on first use. */
static const char *dropin(const char *conf, const char *name)
{
        static char path[400];
        const char *slash = strrchr(conf, '/');

        snprintf(path, sizeof(path), "%.*s/policy.d", (int)(slash - conf), conf);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                abort();
        if (chmod(path, 0755) < 0)
                abort();
        if (name) {
                size_t len = strlen(path);
                snprintf(path + len, sizeof(path) - len, "/%s", name);
        }
        return path;
}

static int load(const char *conf, struct su_policy **p, struct su_diags *d)
{
        su_diags_free(d);
        *p = su_policy_free(*p);
        return su_policy_load(conf, getuid(), p, d);
}

/* Whether some diagnostic's first line is exactly want (with the file name). */
static bool has_diag(const struct su_diags *d, const char *want)
{
        for (size_t i = 0; i < d->n; i++) {
                char buf[1024], *nl;
                su_diag_format(&d->v[i], buf, sizeof(buf));
                nl = strchr(buf, '\n');
                if (nl)
                        *nl = '\0';
                if (strcmp(buf, want) == 0)
                        return true;
        }
        for (size_t i = 0; i < d->n; i++)
                fprintf(stderr, "  have: %s:%u:%u: %s\n", d->v[i].file, d->v[i].line,
                        d->v[i].column, d->v[i].message);
        fprintf(stderr, "  want: %s\n", want);
        return false;
}

static const char *decide_file(const struct su_policy *p, const char *service, unsigned *line)
{
        struct su_request rq = {.service = service};
        struct su_decision dec;

        if (su_policy_eval(p, &rq, &dec, NULL) < 0)
                return "(eval failed)";
        *line = dec.line;
        return dec.file;
}

static void test_order(void)
{
        const char *conf = new_case();
        struct su_policy *p = NULL;
        struct su_diags d = {0};
        char want[600];
        unsigned line = 0;

        put(conf, "allow when service a\n", 0644);
        /* strcmp order: "10-b" sorts before "9-a" */
        put(dropin(conf, "9-a.conf"), "deny when service b\nallow when service c\n", 0644);
        put(dropin(conf, "10-b.conf"), "# b\nrequire totp when service b\n", 0644);
        put(dropin(conf, "99-last.conf"), "deny \"nothing else\"\n", 0600);
        /* not *.conf, or hidden: never read (they would not parse) */
        put(dropin(conf, "README"), "garbage\n", 0644);
        put(dropin(conf, ".hidden.conf"), "garbage\n", 0644);
        put(dropin(conf, "old.conf.dpkg-old"), "garbage\n", 0644);
        put(dropin(conf, ".conf"), "garbage\n", 0644);

        CHECK_INT(load(conf, &p, &d), 0);
        CHECK_INT(d.errors, 0);
        CHECK_INT(d.warnings, 0);
        CHECK_INT(su_policy_rule_count(p), 5);
        CHECK_STREQ(decide_file(p, "a", &line), conf);
        CHECK_INT(line, 1);
        snprintf(want, sizeof(want), "%s", dropin(conf, "10-b.conf"));
        CHECK_STREQ(decide_file(p, "b", &line), want);
        CHECK_INT(line, 2);
        snprintf(want, sizeof(want), "%s", dropin(conf, "9-a.conf"));
        CHECK_STREQ(decide_file(p, "c", &line), want);
        snprintf(want, sizeof(want), "%s", dropin(conf, "99-last.conf"));
        CHECK_STREQ(decide_file(p, "zzz", &line), want);

        /* a catch-all in policy.conf makes every policy.d rule unreachable: warned, loaded */
        put(conf, "allow\n", 0644);
        CHECK_INT(load(conf, &p, &d), 0);
        CHECK_INT(d.warnings, 4);
        snprintf(want, sizeof(want),
                 "%s:1:1: warning: rule is unreachable: the rule at %s:1 has no 'when' and "
                 "matches every request",
                 dropin(conf, "9-a.conf"), conf);
        CHECK(has_diag(&d, want));
        su_policy_free(p);
        su_diags_free(&d);
}

static void test_refusals(void)
{
        struct su_policy *p = NULL;
        struct su_diags d = {0};
        const char *conf;
        char want[700], other[400];

        /* missing policy.conf: -ENOENT and a diagnostic */
        conf = new_case();
        CHECK_INT(load(conf, &p, &d), -ENOENT);
        CHECK(p == NULL);
        snprintf(want, sizeof(want), "%s: error: cannot open: No such file or directory", conf);
        CHECK(has_diag(&d, want));

        /* missing policy.d is fine */
        put(conf, "allow\n", 0644);
        CHECK_INT(load(conf, &p, &d), 0);
        CHECK(p != NULL);

        /* world writable, group writable */
        put(conf, "allow\n", 0666);
        CHECK_INT(load(conf, &p, &d), -EPERM);
        CHECK(p == NULL);
        snprintf(want, sizeof(want), "%s: error: group or world writable (mode 0666)", conf);
        CHECK(has_diag(&d, want));
        put(conf, "allow\n", 0620);
        CHECK_INT(load(conf, &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: group or world writable (mode 0620)", conf);
        CHECK(has_diag(&d, want));
        put(conf, "allow\n", 0400); /* read-only is fine */
        CHECK_INT(load(conf, &p, &d), 0);

        /* not owned by the expected owner */
        put(conf, "allow\n", 0644);
        su_diags_free(&d);
        CHECK_INT(su_policy_load(conf, getuid() + 1, &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: owned by uid %u, must be uid %u", conf,
                 (unsigned)getuid(), (unsigned)getuid() + 1);
        CHECK(has_diag(&d, want));

        /* a symlink is never followed, even to a good file */
        snprintf(other, sizeof(other), "%s.real", conf);
        put(other, "allow\n", 0644);
        unlink(conf);
        if (symlink(other, conf) < 0)
                abort();
        CHECK_INT(load(conf, &p, &d), -ELOOP);
        snprintf(want, sizeof(want), "%s: error: is a symbolic link (refusing to follow it)", conf);
        CHECK(has_diag(&d, want));
        unlink(conf);

        /* a directory is not a policy */
        if (mkdir(conf, 0755) < 0)
                abort();
        CHECK_INT(load(conf, &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: not a regular file", conf);
        CHECK(has_diag(&d, want));
        rmdir(conf);

        /* over 1 MiB */
        {
                size_t n = (1u << 20) + 1;
                char *big = malloc(n + 1);
                if (!big)
                        abort();
                memset(big, '\n', n);
                big[n] = '\0';
                memcpy(big, "allow", 5);
                put(conf, big, 0644);
                free(big);
                CHECK_INT(load(conf, &p, &d), -EFBIG);
                snprintf(want, sizeof(want), "%s: error: too large (1048577 bytes, max 1048576)",
                         conf);
                CHECK(has_diag(&d, want));
        }
        su_policy_free(p);
        su_diags_free(&d);
}

static void test_dropin_refusals(void)
{
        struct su_policy *p = NULL;
        struct su_diags d = {0};
        const char *conf = new_case();
        char want[700], path[400];

        put(conf, "allow when service sshd\n", 0644);
        put(dropin(conf, "10-ok.conf"), "allow\n", 0644);

        /* an error in one drop-in refuses the whole set, with file:line:column */
        put(dropin(conf, "20-bad.conf"), "\nrequire totpp\n", 0644);
        CHECK_INT(load(conf, &p, &d), -EINVAL);
        CHECK(p == NULL);
        snprintf(want, sizeof(want),
                 "%s:2:9: error: unknown factor 'totpp' (expected totp, question, recovery or idp)",
                 dropin(conf, "20-bad.conf"));
        CHECK(has_diag(&d, want));

        /* an unsafe drop-in refuses the set too, and the other file's error is still shown */
        put(dropin(conf, "15-open.conf"), "allow\n", 0666);
        CHECK_INT(load(conf, &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: group or world writable (mode 0666)",
                 dropin(conf, "15-open.conf"));
        CHECK(has_diag(&d, want));
        CHECK_INT(d.errors, 2);
        unlink(dropin(conf, "15-open.conf"));
        unlink(dropin(conf, "20-bad.conf"));
        CHECK_INT(load(conf, &p, &d), 0);

        /* a FIFO named *.conf is refused without blocking on it */
        if (mkfifo(dropin(conf, "30-fifo.conf"), 0644) < 0)
                abort();
        CHECK_INT(load(conf, &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: not a regular file", dropin(conf, "30-fifo.conf"));
        CHECK(has_diag(&d, want));
        unlink(dropin(conf, "30-fifo.conf"));

        /* a symlinked drop-in is refused */
        snprintf(path, sizeof(path), "%s", dropin(conf, "10-ok.conf"));
        if (symlink(path, dropin(conf, "40-link.conf")) < 0)
                abort();
        CHECK_INT(load(conf, &p, &d), -ELOOP);
        unlink(dropin(conf, "40-link.conf"));

        /* policy.d itself must not be writable by others (they could delete a rule file) */
        if (chmod(dropin(conf, NULL), 0777) < 0)
                abort();
        su_diags_free(&d);
        p = su_policy_free(p);
        CHECK_INT(su_policy_load(conf, getuid(), &p, &d), -EPERM);
        snprintf(want, sizeof(want), "%s: error: group or world writable (mode 0777)",
                 dropin(conf, NULL));
        CHECK(has_diag(&d, want));
        chmod(dropin(conf, NULL), 0755);

        /* 64 files are fine, 65 are too many */
        for (int i = 0; i < 63; i++) {
                snprintf(path, sizeof(path), "f%02d.conf", i);
                put(dropin(conf, path), "deny when service x\n", 0644);
        }
        CHECK_INT(load(conf, &p, &d), 0);
        put(dropin(conf, "f99.conf"), "deny when service x\n", 0644);
        CHECK_INT(load(conf, &p, &d), -E2BIG);
        snprintf(want, sizeof(want), "%s: error: too many *.conf files (max 64)",
                 dropin(conf, NULL));
        CHECK(has_diag(&d, want));
        su_policy_free(p);
        su_diags_free(&d);
}

static void test_relative_and_args(void)
{
        struct su_policy *p = NULL;
        struct su_diags d = {0};
        const char *conf = new_case();
        char cwd[4096], dir[300];

        CHECK_INT(su_policy_load(NULL, getuid(), &p, &d), -EINVAL);
        CHECK_INT(su_policy_load("", getuid(), &p, &d), -EINVAL);
        CHECK_INT(su_policy_load(conf, getuid(), NULL, &d), -EINVAL);

        /* a path without a directory finds policy.d next to it */
        put(conf, "allow when tty\n", 0644);
        put(dropin(conf, "a.conf"), "deny\n", 0644);
        snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(conf, '/') - conf), conf);
        if (!getcwd(cwd, sizeof(cwd)) || chdir(dir) < 0)
                abort();
        CHECK_INT(su_policy_load("policy.conf", getuid(), &p, NULL), 0);
        CHECK_INT(su_policy_rule_count(p), 2);
        if (chdir(cwd) < 0)
                abort();
        su_policy_free(p);
        su_diags_free(&d);
}

/* su_policy_load_replacing: an edit is checked inside its set, before it is on disk. */
static void test_replacing(void)
{
        struct su_policy *p = NULL;
        struct su_diags d = {0};
        const char *conf = new_case();
        char a[400], b[400];
        unsigned line = 0;
        const char *text;

        put(conf, "deny when service x\n", 0644);
        snprintf(a, sizeof(a), "%s", dropin(conf, "10-a.conf"));
        put(a, "allow when service a\n", 0644);
        snprintf(b, sizeof(b), "%s", dropin(conf, "20-b.conf"));
        put(b, "deny\n", 0644);

        /* the main file replaced: the drop-ins still follow it */
        text = "\nallow when service x\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), conf, text, strlen(text), &p, &d), 0);
        CHECK_INT(su_policy_rule_count(p), 3);
        CHECK_STREQ(decide_file(p, "x", &line), conf);
        CHECK_INT(line, 2);
        CHECK(su_policy_eval(p, &(struct su_request){.service = "x"}, &(struct su_decision){0},
                             NULL) == 0);
        p = su_policy_free(p);

        /* a drop-in replaced in its place: the text, not the file on disk */
        text = "allow when service b\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), a, text, strlen(text), &p, &d), 0);
        CHECK_STREQ(decide_file(p, "b", &line), a);
        CHECK_STREQ(decide_file(p, "a", &line), b); /* 10-a's old rule is gone */
        p = su_policy_free(p);

        /* a new drop-in joins in sorted order (before 20-b's catch-all) */
        snprintf(b + strlen(b) - strlen("20-b.conf"), 20, "15-new.conf");
        text = "allow when service n\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), b, text, strlen(text), &p, &d), 0);
        CHECK_INT(su_policy_rule_count(p), 4);
        CHECK_STREQ(decide_file(p, "n", &line), b);
        p = su_policy_free(p);

        /* a broken edit refuses the set, with the diagnostic naming the file it replaces */
        su_diags_free(&d);
        text = "allow\nrequire totpp\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), a, text, strlen(text), &p, &d), -EINVAL);
        CHECK(p == NULL);
        char want[600];
        snprintf(want, sizeof(want),
                 "%s:2:9: error: unknown factor 'totpp' (expected totp, "
                 "question, recovery or idp)",
                 a);
        CHECK(has_diag(&d, want));

        /* a broken file elsewhere in the set refuses it too, even with a good edit */
        put(conf, "allow when\n", 0644);
        text = "allow\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), a, text, strlen(text), &p, &d), -EINVAL);
        /* and a fixed main file is accepted though the one on disk is broken */
        text = "deny when service x\n";
        CHECK_INT(su_policy_load_replacing(conf, getuid(), conf, text, strlen(text), &p, &d), 0);
        p = su_policy_free(p);
        CHECK_INT(su_policy_load_replacing(conf, getuid(), NULL, "", 0, &p, &d), -EINVAL);
        su_diags_free(&d);
}

/* su_command_canonical: the command as stepupd and `policy test` hand it to the policy.  The
 * exec wrappers have their own table test (test-command.c). */
static void test_command_canonical(void)
{
        const char *conf = new_case();
        char shells[400], shells2[400], link[400];
        struct su_command c = {0};

        snprintf(shells, sizeof(shells), "%.*s/shells", (int)(strrchr(conf, '/') - conf), conf);
        put(shells, "# comment\n/bin/sh\n/usr/bin/bash\n", 0644);
        snprintf(link, sizeof(link), "%.*s/true-link", (int)(strrchr(conf, '/') - conf), conf);
        if (symlink("/usr/bin/true", link) < 0)
                abort();
        snprintf(shells2, sizeof(shells2), "%.*s/shells2", (int)(strrchr(conf, '/') - conf), conf);
        put(shells2, link, 0644);

        char cmd[500];
        snprintf(cmd, sizeof(cmd), "%s -x 'a b'", link);
        CHECK_INT(su_command_canonical(cmd, shells, SU_COMMAND_JOINED, &c), 0);
        CHECK_STREQ(c.text, "/usr/bin/true -x 'a b'"); /* the link resolved, arguments untouched */
        CHECK_STREQ(c.given, "/usr/bin/true -x 'a b'");
        CHECK(!c.shell && !c.sudoedit && !c.unresolved && c.wrappers == 0);
        su_command_done(&c);
        CHECK(c.text == NULL && c.given == NULL);

        /* a program listed in the shells file is a shell, by its name there or its real path */
        CHECK_INT(su_command_canonical(cmd, shells2, SU_COMMAND_JOINED, &c), 0);
        CHECK(c.shell);
        su_command_done(&c);

        /* /bin/sh in the list matches its canonical spelling (dash on Debian) */
        char sh[4096];
        if (realpath("/bin/sh", sh)) {
                CHECK_INT(su_command_canonical(sh, shells, SU_COMMAND_JOINED, &c), 0);
                CHECK_STREQ(c.text, sh);
                CHECK(c.shell);
                su_command_done(&c);
        }
        CHECK_INT(su_command_canonical("/usr/bin/bash -c id", shells, SU_COMMAND_JOINED, &c), 0);
        CHECK(c.shell);
        su_command_done(&c);
        /* bash is a shell by its name, listed or not */
        CHECK_INT(su_command_canonical("/usr/bin/bash", conf, SU_COMMAND_JOINED, &c), 0);
        CHECK(c.shell);
        su_command_done(&c);

        CHECK_INT(
            su_command_canonical("sudoedit /etc/motd /etc/hosts", shells, SU_COMMAND_JOINED, &c),
            0);
        CHECK_STREQ(c.text, "sudoedit /etc/motd /etc/hosts");
        CHECK(c.sudoedit && !c.shell && !c.unresolved);
        su_command_done(&c);

        /* a missing file keeps its spelling */
        CHECK_INT(su_command_canonical("/nonexistent/x y", shells, SU_COMMAND_JOINED, &c), 0);
        CHECK_STREQ(c.text, "/nonexistent/x y");
        su_command_done(&c);

        c.text = (char *)"untouched";
        CHECK_INT(su_command_canonical("bin/ls", shells, SU_COMMAND_JOINED, &c), -EINVAL);
        CHECK_INT(su_command_canonical(" /bin/ls", shells, SU_COMMAND_JOINED, &c), -EINVAL);
        CHECK_INT(su_command_canonical("", shells, SU_COMMAND_JOINED, &c), -EINVAL);
        CHECK_INT(su_command_canonical(NULL, shells, SU_COMMAND_JOINED, &c), -EINVAL);
        CHECK_STREQ(c.text, "untouched");

        /* the length limit */
        size_t big = SU_COMMAND_LEN_MAX + 1;
        char *long_cmd = malloc(big + 1);
        if (!long_cmd)
                abort();
        memset(long_cmd, 'x', big);
        memcpy(long_cmd, "/usr/bin/id ", 12);
        long_cmd[big] = '\0';
        CHECK_INT(su_command_canonical(long_cmd, shells, SU_COMMAND_JOINED, &c), -E2BIG);
        long_cmd[big - 1] = '\0';
        c = (struct su_command){0};
        CHECK_INT(su_command_canonical(long_cmd, shells, SU_COMMAND_JOINED, &c), 0);
        CHECK_INT(strlen(c.text), big - 1);
        su_command_done(&c);
        free(long_cmd);
}

/* su_user_groups: root is in group root on every system. */
static void test_user_groups(void)
{
        char *names[SU_USER_GROUPS_MAX] = {0};
        int n = su_user_groups("root", names, SU_USER_GROUPS_MAX);
        bool in_root = false;

        CHECK(n >= 1);
        for (int i = 0; i < n; i++) {
                in_root |= strcmp(names[i], "root") == 0;
                free(names[i]);
        }
        CHECK(in_root);
        CHECK_INT(su_user_groups("no-such-user-stepup", names, SU_USER_GROUPS_MAX), -ENOENT);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int main(void)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(root, sizeof(root), "%s/stepup-policy-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                return 1;
        }
        test_order();
        test_refusals();
        test_dropin_refusals();
        test_relative_and_args();
        test_replacing();
        test_command_canonical();
        test_user_groups();
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return check_done();
}
