/* The command as the policy sees it: "path args" with the path made canonical, and whether it
 * is a shell or sudoedit.  Shared by stepupd (every DECIDE) and `stepupctl policy test`. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "policy.h"

/* /etc/shells, read once and again only when the file changes (it was read twice per
 * DECIDE, with a realpath() per line: 60-100 us of every sudo decision). */
#define SHELLS_MAX 256
static struct {
        char file[PATH_MAX];
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        size_t n;
        char *name[SHELLS_MAX];  /* as written */
        char *canon[SHELLS_MAX]; /* realpath, or NULL */
        bool valid;
} shells_cache;

static void shells_drop(void)
{
        for (size_t i = 0; i < shells_cache.n; i++) {
                free(shells_cache.name[i]);
                free(shells_cache.canon[i]);
        }
        shells_cache.n = 0;
        shells_cache.valid = false;
}

static bool shells_load(const char *file)
{
        struct stat st;
        if (stat(file, &st) < 0) {
                shells_drop();
                return false;
        }
        if (shells_cache.valid && strcmp(shells_cache.file, file) == 0 &&
            shells_cache.dev == st.st_dev && shells_cache.ino == st.st_ino &&
            shells_cache.size == st.st_size && shells_cache.mtime.tv_sec == st.st_mtim.tv_sec &&
            shells_cache.mtime.tv_nsec == st.st_mtim.tv_nsec)
                return true;
        shells_drop();
        FILE *f = fopen(file, "re");
        if (!f)
                return false;
        char line[PATH_MAX];
        while (shells_cache.n < SHELLS_MAX && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] != '/')
                        continue;
                char canon[PATH_MAX];
                size_t i = shells_cache.n;
                shells_cache.name[i] = strdup(line);
                shells_cache.canon[i] = realpath(line, canon) ? strdup(canon) : NULL;
                if (!shells_cache.name[i]) {
                        free(shells_cache.canon[i]);
                        break;
                }
                shells_cache.n++;
        }
        fclose(f);
        snprintf(shells_cache.file, sizeof(shells_cache.file), "%s", file);
        shells_cache.dev = st.st_dev;
        shells_cache.ino = st.st_ino;
        shells_cache.size = st.st_size;
        shells_cache.mtime = st.st_mtim;
        shells_cache.valid = true;
        return true;
}

bool su_path_is_shell(const char *path, const char *shells)
{
        if (!shells_load(shells ? shells : "/etc/shells"))
                return false;
        for (size_t i = 0; i < shells_cache.n; i++)
                if (strcmp(shells_cache.name[i], path) == 0 ||
                    (shells_cache.canon[i] && strcmp(shells_cache.canon[i], path) == 0))
                        return true;
        return false;
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
