/* What sudo was asked for, as far as sudo does not say it itself.
 *
 * Inside sudo's PAM stack (sudo 1.9.13, Debian 12), getenv() goes through sudo's environment
 * hooks and answers from the sudoers plugin's rebuilt environment: SUDO_COMMAND there is the
 * command sudo resolved (secure_path, shells for -s/-i), and a SUDO_COMMAND the caller exported
 * is not what getenv() returns (seen with env_reset and with -E).  That is the command the
 * module sends.  sudo exports nothing about the target user or group, and gives sudoedit's
 * file names as typed; those are read from sudo's own argv (/proc/self/cmdline), which the
 * caller cannot change once the set-uid sudo runs, parsed as sudo's parse_args() does
 * (getopt_long without permutation, VAR=value words, -h's optional host).  Whatever cannot be
 * told for sure is refused (-EINVAL), so the module fails closed instead of guessing. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum su_sudo_mode {
        SU_SUDO_RUN = 0,   /* run a command or a shell */
        SU_SUDO_EDIT = 1,  /* sudoedit / sudo -e */
        SU_SUDO_OTHER = 2, /* -l, -v, -k, -K, -V, -h: nothing is run */
};

struct su_sudo_args {
        enum su_sudo_mode mode;
        bool shell;              /* -s, -i, or no command at all (implied shell) */
        bool login;              /* -i */
        const char *runas_user;  /* -u, or NULL */
        const char *runas_group; /* -g, or NULL */
        const char *chroot;      /* -R, or NULL */
        int argc;                /* the command and its arguments (files for EDIT) */
        const char *const *argv;
};

/* Parses sudo's argv (argv[0] included).  Pointers in ret point into argv. */
int su_sudo_parse(int argc, const char *const argv[], struct su_sudo_args *ret);

/* What the module knows about sudo's process. */
struct su_sudo_env {
        const char *sudo_command; /* getenv("SUDO_COMMAND") inside sudo, may be NULL */
        const char *cwd;          /* working directory, absolute */
        const char *invoker;      /* the invoking user (PAM_USER) */
};

struct su_sudo_request {
        char *command;      /* "/usr/bin/systemctl --version", "sudoedit /etc/x", NULL */
        char *target_user;  /* NULL when nothing is run */
        char *target_group; /* NULL unless -g */
};

/* Builds the request: the command is sudo's SUDO_COMMAND, except for sudoedit, whose files
 * are made absolute with a canonical directory (a relative name or a link in the path cannot
 * dodge a `command sudoedit` rule); the target is -u (a #uid made a name), the caller with -g
 * alone, else root (sudo's default runas_default).  -EINVAL when it cannot be told for sure
 * (no SUDO_COMMAND for a command, SUDO_COMMAND and argv disagree on sudoedit, -R, an unknown
 * uid), -E2BIG when the command text is longer than maxlen. */
int su_sudo_request(const struct su_sudo_args *a, const struct su_sudo_env *e, size_t maxlen,
                    struct su_sudo_request *ret);
void su_sudo_request_free(struct su_sudo_request *r);

/* Reads /proc/self/cmdline (at most 256 KiB) into a NUL-separated buffer and an argv array.
 * Free both with free(). */
int su_sudo_read_cmdline(const char *path, char **ret_buf, const char ***ret_argv, int *ret_argc);
