/* The module's reading of sudo's command line (pam_stepup/sudo_args.c): as whom sudo 1.9.13
 * runs, sudoedit's files, and SUDO_COMMAND for the rest; anything unclear is refused.  The
 * e2e suite checks the same against the real sudo. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "sudo_args.h"

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NARGS(...) ((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)))

static struct su_sudo_env env = {.sudo_command = "/usr/bin/id", .cwd = "/", .invoker = "alice"};

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
        /* the command is sudo's own SUDO_COMMAND; the target root unless -u / -g */
        EXPECT("/usr/bin/id", "root", N, "sudo", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-n", "--", "id", "-u");
        /* -u in every spelling getopt_long accepts */
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-u", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-unobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-nu", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--user=nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--user", "nobody", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "--us=nobody", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-u", "#0", "id");
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "-i", "-u", "nobody");
        /* VAR=value words between options, options after them */
        EXPECT("/usr/bin/id", "nobody", N, "sudo", "FOO=1", "-u", "nobody", "BAR=2", "id");
        /* a -u after the command belongs to the command */
        EXPECT("/usr/bin/id", "root", N, "sudo", "id", "-u", "nobody");
        EXPECT("/usr/bin/id", "root", N, "sudo", "--", "-u", "nobody");
        /* -h host (separate word) and -hhost; option arguments are not the target */
        EXPECT("/usr/bin/id", "root", N, "sudo", "-h", "localhost", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-hlocalhost", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-p", "-u nobody", "id");
        EXPECT("/usr/bin/id", "root", N, "sudo", "-p-unobody", "id");
        EXPECT(N, N, N, "sudo", "-U", "nobody", "-l");
        /* -g alone runs as the caller */
        EXPECT("/usr/bin/id", "alice", "root", "sudo", "-g", "#0", "id");
        EXPECT("/usr/bin/id", "nobody", "root", "sudo", "-g", "root", "-u", "nobody", "id");
        /* -k with a command still runs it; -k alone, -l, -v, -K run nothing */
        EXPECT("/usr/bin/id", "root", N, "sudo", "-k", "id");
        EXPECT(N, N, N, "sudo", "-k");
        EXPECT(N, N, N, "sudo", "-K");
        EXPECT(N, N, N, "sudo", "-l");
        EXPECT(N, N, N, "sudo", "-v");
        EXPECT(N, N, N, "sudo", "-l", "systemctl");
        /* sudoedit: files made absolute, the directory canonical, from argv */
        env.sudo_command = "sudoedit ./hosts";
        EXPECT("sudoedit /etc/hosts", "root", N, "sudoedit", "/etc/hosts");
        EXPECT("sudoedit /etc/hosts /etc/x", "root", N, "sudo", "-e", "/etc/../etc/hosts",
               "/etc/x");
        env.cwd = "/etc";
        EXPECT("sudoedit /etc/sudoers", "root", N, "sudo", "--edit", "sudoers");
        EXPECT("sudoedit /etc/a\\ b", "root", N, "sudoedit", "a\\ b");
        env.cwd = "/";
        /* SUDO_COMMAND and argv must agree on sudoedit; no SUDO_COMMAND, no guess */
        REFUSE(-EINVAL, "sudo", "id");
        env.sudo_command = "/usr/bin/id";
        REFUSE(-EINVAL, "sudoedit", "/etc/hosts");
        env.sudo_command = NULL;
        REFUSE(-EINVAL, "sudo", "id");
        EXPECT(N, N, N, "sudo", "-v"); /* nothing runs: nothing to tell */
        env.sudo_command = "/usr/bin/id";

        /* refused: where sudo prints its usage, or where the module cannot be sure */
        REFUSE(-EINVAL, "sudo", "--bogus", "id");
        REFUSE(-EINVAL, "sudo", "--h", "id"); /* ambiguous: --help or --host */
        REFUSE(-EINVAL, "sudo", "-u");
        REFUSE(-EINVAL, "sudo", "-u", "");
        REFUSE(-EINVAL, "sudo", "-Z", "id");
        REFUSE(-EINVAL, "sudo", "--list=x");
        REFUSE(-EINVAL, "sudo", "-i", "-s");
        REFUSE(-EINVAL, "sudo", "-e");
        REFUSE(-EINVAL, "sudo", "-l", "-v");
        REFUSE(-EINVAL, "sudo", "-R", "/srv/jail", "id");
        REFUSE(-EINVAL, "sudo", "-u", "#4000000001", "id");
        REFUSE(-EINVAL, "sudo", "-u", "#12x", "id");
        /* too long for the protocol's COMMAND field: refused, never cut */
        {
                static char big[5000];
                memset(big, 'a', sizeof(big) - 1);
                env.sudo_command = big;
                REFUSE(-E2BIG, "sudo", "id");
                env.sudo_command = "sudoedit x";
                REFUSE(-E2BIG, "sudoedit", big);
                env.sudo_command = "/usr/bin/id";
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
