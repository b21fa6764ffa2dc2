/* Command patterns.  A request's command is "path args..."; the path must match the path
 * glob and, when one is given, the argument string must match the argument glob.  Paths are
 * also matched in their canonical spelling so /bin/x and /usr/bin/x (merged /usr) are one. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool glob_has_magic(const char *s)
{
        return strpbrk(s, "*?[\\") != NULL;
}

static bool form_known(const struct cmd_pattern *c, const char *s)
{
        for (size_t i = 0; i < CMD_FORMS; i++)
                if (c->forms[i] && strcmp(c->forms[i], s) == 0)
                        return true;
        return false;
}

/* Add s (taking ownership) unless it is already one of the forms. */
static void form_add(struct cmd_pattern *c, char *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < CMD_FORMS; i++)
                if (!c->forms[i] && !form_known(c, s)) {
                        c->forms[i] = s;
                        return;
                }
        free(s);
}

/* realpath() of the directory part, with the last component kept as written: this follows
 * /bin -> usr/bin but not /usr/bin/sh -> dash, and works for globs in the last component. */
static char *canonical_dir_form(const char *path)
{
        const char *slash = strrchr(path, '/');
        char dir[PATH_MAX], *real, *r;
        size_t dlen = (size_t)(slash - path), rlen;

        if (dlen == 0 || dlen >= sizeof(dir))
                return NULL;
        memcpy(dir, path, dlen);
        dir[dlen] = '\0';
        if (glob_has_magic(dir))
                return NULL;
        real = realpath(dir, NULL);
        if (!real)
                return NULL;
        rlen = strlen(real);
        r = malloc(rlen + strlen(slash) + 1);
        if (r) {
                memcpy(r, real, rlen);
                strcpy(r + (strcmp(real, "/") == 0 ? rlen - 1 : rlen), slash);
        }
        free(real);
        return r;
}

int cmd_pattern_init(struct cmd_pattern *c, enum cmd_kind kind, const char *path, const char *args)
{
        memset(c, 0, sizeof(*c));
        c->kind = kind;
        if (args) {
                c->args = strdup(args);
                if (!c->args)
                        return -ENOMEM;
        }
        if (kind != CMD_PATH)
                return 0;
        c->forms[0] = strdup(path);
        if (!c->forms[0])
                return -ENOMEM;
        /* Canonical spellings are a convenience; failing to find one (no such file yet) just
         * leaves the written form. */
        form_add(c, canonical_dir_form(path));
        if (!glob_has_magic(path))
                form_add(c, realpath(path, NULL));
        return 0;
}

void cmd_pattern_clear(struct cmd_pattern *c)
{
        for (size_t i = 0; i < CMD_FORMS; i++)
                free(c->forms[i]);
        free(c->args);
        memset(c, 0, sizeof(*c));
}

bool cmd_match(const struct cmd_pattern *c, const struct su_request *rq)
{
        const char *cmd = rq->command, *sp, *args;
        char path[PATH_MAX];
        size_t plen;

        switch (c->kind) {
        case CMD_SHELL:
                return rq->command_is_shell || rq->command_unresolved;
        case CMD_SUDOEDIT:
                if (!rq->command_is_sudoedit)
                        return false;
                if (!c->args)
                        return true;
                if (!cmd)
                        return false;
                sp = strchr(cmd, ' ');
                return fnmatch(c->args, sp ? sp + 1 : "", 0) == 0;
        case CMD_PATH:
                break;
        }
        if (!cmd)
                return false;
        sp = strchr(cmd, ' ');
        plen = sp ? (size_t)(sp - cmd) : strlen(cmd);
        args = sp ? sp + 1 : "";
        if (plen >= sizeof(path))
                return false;
        memcpy(path, cmd, plen);
        path[plen] = '\0';
        if (c->args && fnmatch(c->args, args, 0) != 0)
                return false;
        for (size_t i = 0; i < CMD_FORMS; i++)
                if (c->forms[i] && fnmatch(c->forms[i], path, 0) == 0)
                        return true;
        return false;
}
