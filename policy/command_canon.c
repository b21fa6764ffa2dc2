/* The command as the policy sees it: "path args" with the path made canonical, and whether it
 * is a shell or sudoedit.  Shared by stepupd (every DECIDE) and `stepupctl policy test`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

bool su_path_is_shell(const char *path, const char *shells)
{
        FILE *f = fopen(shells ? shells : "/etc/shells", "re");
        char line[PATH_MAX];
        bool found = false;

        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] == '/') {
                        char canon[PATH_MAX];
                        found = strcmp(line, path) == 0 ||
                                (realpath(line, canon) && strcmp(canon, path) == 0);
                }
        }
        fclose(f);
        return found;
}

int su_command_canonical(const char *cmd, const char *shells, char **ret, bool *ret_shell,
                         bool *ret_sudoedit)
{
        const char *sp = strchr(cmd, ' ');
        size_t plen = sp ? (size_t)(sp - cmd) : strlen(cmd);
        char path[PATH_MAX], canon[PATH_MAX], *out = NULL;
        bool shell = false, sudoedit;

        if (plen == 0 || plen >= sizeof(path))
                return -EINVAL;
        memcpy(path, cmd, plen);
        path[plen] = '\0';
        sudoedit = strcmp(path, "sudoedit") == 0;
        if (sudoedit) {
                out = strdup(cmd);
                if (!out)
                        return -ENOMEM;
        } else {
                if (path[0] != '/')
                        return -EINVAL; /* sudo always resolves the command; anything else is odd */
                const char *use = realpath(path, canon) ? canon : path;
                shell = su_path_is_shell(use, shells) || su_path_is_shell(path, shells);
                if (asprintf(&out, "%s%s", use, sp ? sp : "") < 0)
                        return -ENOMEM;
        }
        *ret = out;
        *ret_shell = shell;
        *ret_sudoedit = sudoedit;
        return 0;
}
