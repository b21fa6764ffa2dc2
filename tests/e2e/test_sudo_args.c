/* The module's reading of sudo's command line (pam_stepup/sudo_args.c): what sudo 1.9.13
 * would run, and as whom; anything unclear is refused.  The e2e suite checks the same
 * against the real sudo. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sudo_args.h"

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))

static struct su_sudo_env env = {.path = "/usr/bin:/bin",
                                 .shell = "/bin/bash",
                                 .cwd = "/",
                                 .invoker = "root",
                                 .secure_path = SU_SUDO_SECURE_PATH};

/* Parses and builds; returns the first error or 0, with the results in *q. */
static int run(int argc, const char *const *argv, struct su_sudo_request *q)
{
        struct su_sudo_args a;
        int r = su_sudo_parse(argc, argv, &a);
        if (r < 0)
                return r;
        return su_sudo_request(&a, &env, 4096, q);
}

#define EXPECT(cmd, user, group, ...)                                                              \
        do {                                                                                       \
                struct su_sudo_request q_;                                                         \
                const char *cmd_ = (cmd), *user_ = (user), *group_ = (group);                      \
                int r_ = run(NARGS(__VA_ARGS__), ARGV(__VA_ARGS__), &q_);                          \
                CHECK_INT(r_, 0);                                                                  \
                if (r_ == 0) {                                                                     \
                        if (cmd_)                                                                  \
                                CHECK_STREQ(q_.command, cmd_);                                     \
                        else                                                                       \
                                CHECK(q_.command == NULL);                                         \
                        if (user_)                                                                 \
                                CHECK_STREQ(q_.target_user, user_);                                \
                        else                                                                       \
                                CHECK(q_.target_user == NULL);                                     \
                        if (group_)                                                                \
                                CHECK_STREQ(q_.target_group, group_);                              \
                        else                                                                       \
                                CHECK(q_.target_group == NULL);                                    \
                        su_sudo_request_free(&q_);                                                 \
                }                                                                                  \
        } while (0)

#define REFUSE(err, ...)                                                                           \
        do {                                                                                       \
                struct su_sudo_request q_ = {0};                                                   \
                CHECK_INT(run(NARGS(__VA_ARGS__), ARGV(__VA_ARGS__), &q_), err);                   \
                su_sudo_request_free(&q_);                                                         \
        } while (0)

int main(void)
{
        const char *N = NULL;
        /* plain commands: resolved, canonical (merged /usr), run as root by default */
        EXPECT("/usr/bin/systemctl --version", "root", N, "sudo", "systemctl", "--version");
        EXPECT("/usr/bin/true", "root", N, "/usr/bin/sudo", "/bin/true");
        EXPECT("/usr/bin/id -u", "root", N, "sudo", "-n", "--", "id", "-u");
        /* -u in every spelling getopt_long accepts */
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-u", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-unobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-nu", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--user=nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--user", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--us=nobody", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-u", "#0", "id");
        /* VAR=value words between options, options after them */
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "FOO=1", "-u", "nobody", "BAR=2", "id");
        /* -h host (separate word) and -hhost; -p's argument is not the command */
        EXPECT("/usr/bin/id", "root", N, "sudo", "-h", "localhost", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-p", "systemctl", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-psystemctl", "id");
        /* -g alone runs as the caller */
        EXPECT("/usr/bin/id", "root", "root", "sudo", "-g", "#0", "id");
        /* -k with a command still runs it; -k alone, -l, -v run nothing */
        EXPECT("/usr/bin/id", "root", N, "sudo", "-k", "id");
        EXPECT(N, N, N, "sudo", "-k");
        EXPECT(N, N, N, "sudo", "-l");
        EXPECT(N, N, N, "sudo", "-v");
        EXPECT(N, N, N, "sudo", "-l", "systemctl");
        /* shells: -s uses $SHELL, -i the target's login shell, no command = shell */
        EXPECT("/usr/bin/bash", "root", N, "sudo", "-s");
        EXPECT("/usr/bin/bash", "root", N, "sudo");
        EXPECT("/usr/bin/bash -c ls -l \\/tmp", "root", N, "sudo", "-s", "ls", "-l", "/tmp");
        {
                struct su_sudo_request q;
                CHECK_INT(run(2, ARGV("sudo", "-i"), &q), 0);
                CHECK(q.command && q.command[0] == '/'); /* root's shell from passwd */
                CHECK_STREQ(q.target_user, "root");
                su_sudo_request_free(&q);
        }
        /* sudoedit: files made absolute, the directory canonical */
        EXPECT("sudoedit /etc/hosts", "root", N, "sudoedit", "/etc/hosts");
        EXPECT("sudoedit /etc/hosts /etc/x", "root", N, "sudo", "-e", "/etc/../etc/hosts",
               "/etc/x");
        env.cwd = "/etc";
        EXPECT("sudoedit /etc/sudoers", "root", N, "sudo", "--edit", "sudoers");
        EXPECT("/usr/bin/true", "root", N, "sudo", "../usr/bin/true");
        env.cwd = "/";

        /* refused: where sudo prints its usage, or where the module cannot be sure */
        REFUSE(-EINVAL, "sudo", "--bogus", "id");
        REFUSE(-EINVAL, "sudo", "--h", "id"); /* ambiguous: --help or --host */
        REFUSE(-EINVAL, "sudo", "-u");
        REFUSE(-EINVAL, "sudo", "-Z", "id");
        REFUSE(-EINVAL, "sudo", "--list=x");
        REFUSE(-EINVAL, "sudo", "-i", "-s");
        REFUSE(-EINVAL, "sudo", "-e");
        REFUSE(-EINVAL, "sudo", "-R", "/srv/jail", "id");
        REFUSE(-EINVAL, "sudo", "-D", "/tmp", "./x");
        REFUSE(-EINVAL, "sudo", "-u", "#4000000001", "id");
        REFUSE(-ENOENT, "sudo", "no-such-command-here");
        {
                /* a PATH entry shadowing the secure path: which one sudo runs depends on
                 * sudoers' secure_path, so the module refuses to guess */
                char dir[] = "/tmp/sudo-args.XXXXXX";
                CHECK(mkdtemp(dir) != NULL);
                char path[64];
                snprintf(path, sizeof(path), "%s/id", dir);
                FILE *f = fopen(path, "w");
                CHECK(f != NULL);
                if (f) {
                        fputs("#!/bin/sh\n", f);
                        fclose(f);
                }
                chmod(path, 0755);
                env.path = dir;
                REFUSE(-EINVAL, "sudo", "id");
                /* found only on PATH: that is what sudo runs when secure_path is unset */
                snprintf(path, sizeof(path), "%s/only-here", dir);
                f = fopen(path, "w");
                if (f)
                        fclose(f);
                chmod(path, 0755);
                char want[80];
                snprintf(want, sizeof(want), "%s/only-here", dir);
                EXPECT(want, "root", N, "sudo", "only-here");
                env.path = "/usr/bin:/bin";
                unlink(path);
                snprintf(path, sizeof(path), "%s/id", dir);
                unlink(path);
                rmdir(dir);
        }
        /* too long for the protocol's COMMAND field: refused, never cut */
        {
                static char big[5000];
                memset(big, 'a', sizeof(big) - 1);
                struct su_sudo_args a;
                CHECK_INT(su_sudo_parse(3, ARGV("sudo", "id", big), &a), 0);
                struct su_sudo_request q;
                CHECK_INT(su_sudo_request(&a, &env, 4096, &q), -E2BIG);
        }
        /* /proc/self/cmdline of this test */
        {
                char *buf;
                const char **argv;
                int argc;
                CHECK_INT(su_sudo_read_cmdline("/proc/self/cmdline", &buf, &argv, &argc), 0);
                CHECK(argc >= 1 && strstr(argv[0], "test-sudo-args") != NULL);
                free(argv);
                free(buf);
        }
        return check_done();
}
