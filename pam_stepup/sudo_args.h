/* What sudo was asked to run, read from sudo's own command line (/proc/self/cmdline).
 *
 * sudo (1.9.13, Debian 12) puts nothing about the command into its own environment or into
 * PAM items while the PAM stack runs: an inherited SUDO_COMMAND is whatever the caller
 * exported, so it must never be trusted.  sudo's argv, on the other hand, is exactly what
 * sudo parses, and the caller cannot change it once the set-uid sudo runs.  This file parses
 * it the way sudo's parse_args() does (getopt_long without permutation, VAR=value words,
 * -h's optional host) and refuses (-EINVAL) whatever it cannot be sure about, so the module
 * fails closed instead of guessing. */
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
        const char *chdir;       /* -D, or NULL */
        const char *chroot;      /* -R, or NULL */
        int argc;                /* the command and its arguments (files for EDIT) */
        const char *const *argv;
};

/* Parses sudo's argv (argv[0] included).  Pointers in ret point into argv. */
int su_sudo_parse(int argc, const char *const argv[], struct su_sudo_args *ret);

/* What the module knows about sudo's process. */
struct su_sudo_env {
        const char *path;        /* PATH of sudo's process, may be NULL */
        const char *shell;       /* SHELL of sudo's process, may be NULL */
        const char *cwd;         /* working directory, absolute */
        const char *invoker;     /* the invoking user (PAM_USER) */
        const char *secure_path; /* sudoers' secure_path as the module assumes it */
};

#define SU_SUDO_SECURE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct su_sudo_request {
        char *command;      /* "/usr/bin/systemctl --version", "sudoedit /etc/x", "/bin/bash" */
        char *target_user;  /* NULL when nothing is run */
        char *target_group; /* NULL unless -g */
};

/* Builds the request.  -EINVAL when the command cannot be told for sure (a name that PATH and
 * the secure path resolve to different files, -R, a relative path with -D, an unknown uid),
 * -E2BIG when the command text is longer than maxlen. */
int su_sudo_request(const struct su_sudo_args *a, const struct su_sudo_env *e, size_t maxlen,
                    struct su_sudo_request *ret);
void su_sudo_request_free(struct su_sudo_request *r);

/* Reads /proc/self/cmdline (at most 256 KiB) into a NUL-separated buffer and an argv array.
 * Free both with free(). */
int su_sudo_read_cmdline(const char *path, char **ret_buf, const char ***ret_argv, int *ret_argc);
