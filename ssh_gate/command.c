#include "command.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char shell_chars[] = ";&|<>()$`\\\"'*?[]{}~#!";

bool sshg_has_shell_syntax(const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '\t')
                        continue;
                if (*p < 0x20 || *p == 0x7f || strchr(shell_chars, *p))
                        return true;
        }
        /* NAME=value in front of a command is an assignment for the shell. */
        size_t lead = strspn(s, " \t");
        size_t w = strcspn(s + lead, " \t");
        return memchr(s + lead, '=', w) != NULL;
}

static bool is_program(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The real path (no symbolic links) of the program a word names, as a shell would find it:
 * a word with a '/' is a path (relative to the current directory), else the first
 * executable regular file of that name in path_list. */
static int resolve(const char *word, const char *path_list, char out[PATH_MAX])
{
        if (strchr(word, '/'))
                return realpath(word, out) && is_program(out) ? 0 : -ENOENT;
        for (const char *d = path_list; *d;) {
                size_t n = strcspn(d, ":");
                char cand[PATH_MAX];
                /* Only absolute directories: an empty or relative PATH entry means the
                 * current directory to a shell, which is never searched here. */
                if (n > 0 && d[0] == '/' && n + 1 + strlen(word) < sizeof(cand)) {
                        snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, d, word);
                        if (is_program(cand) && realpath(cand, out) && is_program(out))
                                return 0;
                }
                d += n;
                if (*d == ':')
                        d++;
        }
        return -ENOENT;
}

void sshg_command_free(struct sshg_command *c)
{
        free(c->canonical);
        free(c->path);
        free(c->argv);
        free(c->words);
        *c = (struct sshg_command){0};
}

int sshg_command_parse(const char *original, const char *path_list, const char *sftp_server,
                       struct sshg_command *ret)
{
        struct sshg_command c = {.kind = SSHG_SHELL};
        if (!original || original[strspn(original, " \t")] == '\0') {
                *ret = (struct sshg_command){.kind = SSHG_LOGIN_SHELL};
                return 0;
        }
        size_t len = strlen(original);
        if (len > SSHG_COMMAND_MAX) {
                c.why = "too long to check as a simple command";
                goto out;
        }
        if (sshg_has_shell_syntax(original)) {
                c.why = "shell syntax";
                goto out;
        }
        c.words = strdup(original);
        c.argv = calloc(len / 2 + 2, sizeof(*c.argv)); /* words are at least 2 bytes apart */
        if (!c.words || !c.argv) {
                sshg_command_free(&c);
                return -ENOMEM;
        }
        size_t n = 0;
        char *save = NULL;
        for (char *w = strtok_r(c.words, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                c.argv[n++] = w;
        bool sftp = strcmp(c.argv[0], "internal-sftp") == 0;
        char real[PATH_MAX];
        if (resolve(sftp ? sftp_server : c.argv[0], path_list, real) < 0) {
                c.why = "not a program in PATH (a shell builtin, or unknown)";
                goto out;
        }
        size_t size = strlen(real) + 1;
        for (size_t i = 1; i < n; i++)
                size += 1 + strlen(c.argv[i]);
        if (size > SSHG_COMMAND_MAX + 1) {
                c.why = "too long to check as a simple command";
                goto out;
        }
        c.path = strdup(real);
        c.canonical = malloc(size);
        if (!c.path || !c.canonical) {
                sshg_command_free(&c);
                return -ENOMEM;
        }
        /* Words hold no blanks, so "REALPATH ARG..." names exactly one argument vector. */
        char *p = stpcpy(c.canonical, real);
        for (size_t i = 1; i < n; i++) {
                *p++ = ' ';
                p = stpcpy(p, c.argv[i]);
        }
        if (sftp)
                c.argv[0] = c.path; /* sshd's built-in sftp: the standalone server instead */
        c.kind = SSHG_SIMPLE;
        c.why = NULL;
        *ret = c;
        return 0;
out:
        free(c.argv);
        free(c.words);
        *ret = (struct sshg_command){.kind = SSHG_SHELL, .why = c.why};
        return 0;
}
