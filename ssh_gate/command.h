/* What an ssh command is, as stepup-ssh sees it (docs/ssh.md):
 *  - none (an interactive login): the login shell, asked about as `shell`;
 *  - a simple command (words separated by blanks, no shell syntax, the first word a
 *    program found in the fixed PATH or a path to one): run directly with execv, asked
 *    about as "REALPATH ARGS", so the command that is checked is the command that runs;
 *  - anything else (shell syntax, a shell builtin, an unknown program, too long): run by
 *    the login shell with -c, asked about as `shell`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define SSHG_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SSHG_SFTP_SERVER "/usr/lib/openssh/sftp-server"
#define SSHG_COMMAND_MAX 4096 /* the protocol's COMMAND field */

enum sshg_kind { SSHG_LOGIN_SHELL, SSHG_SHELL, SSHG_SIMPLE };

struct sshg_command {
        enum sshg_kind kind;
        const char *why; /* SSHG_SHELL: why it is not a simple command */
        char *canonical; /* SSHG_SIMPLE: "REALPATH ARGS" (what stepupd is asked about) */
        char *path;      /* SSHG_SIMPLE: the program that execv runs (REALPATH) */
        char **argv;     /* SSHG_SIMPLE: argv[0] the first word as typed, NULL-terminated */
        char *words;     /* storage behind argv */
};

/* True when s holds shell syntax: one of ;&|<>()$`\"'*?[]{}~#! or a control byte other
 * than tab, or a first word that assigns a variable (NAME=...). */
bool sshg_has_shell_syntax(const char *s);

/* Classifies original (SSH_ORIGINAL_COMMAND, NULL when unset) and resolves a simple command
 * through path_list (':'-separated, SSHG_PATH in the program) unless its first word holds a
 * '/'.  "internal-sftp" (sshd's built-in sftp) becomes sftp_server.  0 or -ENOMEM. */
int sshg_command_parse(const char *original, const char *path_list, const char *sftp_server,
                       struct sshg_command *ret);
void sshg_command_free(struct sshg_command *c);
