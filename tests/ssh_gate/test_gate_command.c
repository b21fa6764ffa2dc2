/* stepup-ssh's reading of SSH_ORIGINAL_COMMAND (ssh_gate/command.c): what is a simple
 * command, how it is resolved, and what counts as `shell`. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "command.h"

static char dir[] = "/tmp/stepup-gate-test.XXXXXX";

static void file(const char *name, mode_t mode)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fputs("#!/bin/sh\nexit 0\n", f);
        fclose(f);
        chmod(path, mode);
}

/* Parses with PATH = the test directory then /usr/bin; returns the kind. */
static struct sshg_command parse(const char *cmd)
{
        char path_list[PATH_MAX + 64], sftp[PATH_MAX];
        snprintf(path_list, sizeof(path_list), "%s/bin:.::relative:/usr/bin", dir);
        snprintf(sftp, sizeof(sftp), "%s/bin/sftp-server", dir);
        struct sshg_command c;
        CHECK_INT(sshg_command_parse(cmd, path_list, sftp, &c), 0);
        return c;
}

static void expect_shell(const char *cmd)
{
        struct sshg_command c = parse(cmd);
        if (c.kind != SSHG_SHELL)
                fprintf(stderr, "not shell: '%s'\n", cmd);
        CHECK_INT(c.kind, SSHG_SHELL);
        CHECK(c.why != NULL && c.canonical == NULL && c.argv == NULL);
        sshg_command_free(&c);
}

static void expect_simple(const char *cmd, const char *canonical, const char *argv0, int argc)
{
        struct sshg_command c = parse(cmd);
        CHECK_INT(c.kind, SSHG_SIMPLE);
        if (c.kind == SSHG_SIMPLE) {
                CHECK_STREQ(c.canonical, canonical);
                CHECK_STREQ(c.argv[0], argv0);
                int n = 0;
                while (c.argv[n])
                        n++;
                CHECK_INT(n, argc);
                /* the program that runs is the one in the canonical text */
                CHECK(strncmp(c.canonical, c.path, strlen(c.path)) == 0);
        }
        sshg_command_free(&c);
}

int main(void)
{
        if (!mkdtemp(dir))
                return 1;
        char sub[PATH_MAX * 2], real_id[PATH_MAX], real_sh[PATH_MAX], buf[PATH_MAX * 3];
        snprintf(sub, sizeof(sub), "%s/bin", dir);
        mkdir(sub, 0755);
        file("bin/tool", 0755);
        file("bin/sftp-server", 0755);
        file("bin/notexec", 0644);
        file("zz", 0755); /* in the current directory only */
        snprintf(buf, sizeof(buf), "%s/relative", dir);
        mkdir(buf, 0755);
        file("relative/relative", 0755); /* PATH's "relative" entry, from the current dir */
        snprintf(buf, sizeof(buf), "%s/bin/stepup-dir", dir);
        mkdir(buf, 0755); /* a directory is no program */
        snprintf(buf, sizeof(buf), "%s/bin/tool", dir);
        snprintf(sub, sizeof(sub), "%s/bin/link", dir);
        if (symlink(buf, sub) < 0)
                return 1;
        if (!realpath("/usr/bin/id", real_id) || !realpath("/bin/sh", real_sh))
                return 1;
        char rdir[PATH_MAX];
        if (!realpath(dir, rdir) || chdir(dir) < 0)
                return 1;

        /* shell syntax */
        CHECK(!sshg_has_shell_syntax("id -un"));
        CHECK(!sshg_has_shell_syntax("scp -t -- /tmp/x.txt"));
        CHECK(!sshg_has_shell_syntax("a\tb c=d"));
        const char *meta = ";&|<>()$`\\\"'*?[]{}~#!";
        for (const char *p = meta; *p; p++) {
                char s[16];
                snprintf(s, sizeof(s), "id %c", *p);
                CHECK(sshg_has_shell_syntax(s));
        }
        CHECK(sshg_has_shell_syntax("id\n-un"));
        CHECK(sshg_has_shell_syntax("id\r"));
        CHECK(sshg_has_shell_syntax("id \x1b[0m"));
        CHECK(sshg_has_shell_syntax("FOO=1 id"));
        CHECK(sshg_has_shell_syntax("  PATH=/tmp id"));

        /* no command, or only blanks: the login shell */
        struct sshg_command c = parse(NULL);
        CHECK_INT(c.kind, SSHG_LOGIN_SHELL);
        sshg_command_free(&c);
        c = parse(" \t ");
        CHECK_INT(c.kind, SSHG_LOGIN_SHELL);
        sshg_command_free(&c);

        /* simple commands, resolved through the PATH given, blanks squeezed */
        snprintf(buf, sizeof(buf), "%s -un", real_id);
        expect_simple("id -un", buf, "id", 2);
        snprintf(buf, sizeof(buf), "%s -u -n -g", real_id);
        expect_simple("  id \t -u  -n\t-g  ", buf, "id", 4);
        snprintf(buf, sizeof(buf), "%s/bin/tool a=b --x", rdir);
        expect_simple("tool a=b --x", buf, "tool", 3); /* '=' after the first word is fine */
        /* a link is asked about as its target, run under the name typed */
        snprintf(buf, sizeof(buf), "%s/bin/tool", rdir);
        expect_simple("link", buf, "link", 1);
        /* a path: realpath, relative to the current directory */
        snprintf(buf, sizeof(buf), "%s -c x", real_sh);
        expect_simple("/bin/sh -c x", buf, "/bin/sh", 3);
        snprintf(buf, sizeof(buf), "%s/zz", rdir);
        expect_simple("./zz", buf, "./zz", 1);
        /* internal-sftp is the standalone sftp server, under its own name */
        snprintf(buf, sizeof(buf), "%s/bin/sftp-server -l INFO", rdir);
        snprintf(sub, sizeof(sub), "%s/bin/sftp-server", rdir);
        expect_simple("internal-sftp -l INFO", buf, sub, 3);

        /* everything else counts as `shell` */
        expect_shell("id; rm -rf /");
        expect_shell("systemctl restart x && true");
        expect_shell("sh -c 'exit 7'");
        expect_shell("exit 3");   /* a builtin */
        expect_shell("cd /tmp");  /* a builtin */
        expect_shell("zz");       /* only in the current directory: PATH's "." is ignored */
        expect_shell("relative"); /* nor relative entries */
        expect_shell("notexec");  /* not executable */
        expect_shell("./bin/notexec");
        expect_shell("stepup-dir"); /* a directory */
        expect_shell("/nonexistent/program");
        expect_shell("FOO=1 id");
        expect_shell("id\x07");
        /* too long: over the COMMAND field's 4096 bytes as typed, or once resolved */
        char *big = malloc(SSHG_COMMAND_MAX + 2);
        memset(big, 'a', SSHG_COMMAND_MAX + 1);
        memcpy(big, "id ", 3);
        big[SSHG_COMMAND_MAX + 1] = 0;
        expect_shell(big);
        big[SSHG_COMMAND_MAX - 1] = 0; /* 4095 typed, longer once "id" is /usr/bin/id */
        expect_shell(big);
        size_t fits = SSHG_COMMAND_MAX - strlen(real_id) + 2; /* exactly 4096 resolved */
        big[fits] = 0;
        c = parse(big);
        CHECK_INT(c.kind, SSHG_SIMPLE);
        CHECK_INT(c.kind == SSHG_SIMPLE ? strlen(c.canonical) : 0, SSHG_COMMAND_MAX);
        sshg_command_free(&c);
        free(big);

        snprintf(buf, sizeof(buf), "rm -rf -- '%s'", dir);
        if (system(buf) != 0)
                fprintf(stderr, "could not remove %s\n", dir);
        return check_done();
}
