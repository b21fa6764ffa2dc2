/* su_policy_load: PATH, then the *.conf files in DIR(PATH)/policy.d in strcmp order, as one policy.
 * Every file is read through common/safe_read.h; any refusal or parse error in any file refuses
 * the whole set, after every file has been looked at so the admin sees all problems at once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "safe_read.h"

/* su_policy_load_replacing: one file of the set reads as this text instead of from disk. */
struct override {
        const char *path; /* compared with the file's display name (PATH, DIR/policy.d/NAME) */
        const char *text;
        size_t len;
};

static bool is_dropin_name(const char *name)
{
        size_t len = strlen(name);

        /* hidden files are editor or package-manager leftovers */
        return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".conf") == 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read and parse one file into p.  Returns 0 (parse errors are counted in *errors) or a
 * negative errno after a diagnostic saying why the file was refused. */
static int load_file(struct su_policy *p, int dirfd, const char *name, const char *display,
                     uid_t owner, const struct override *ov, struct su_diags *diags, size_t *errors)
{
        struct source src = {display, NULL, 0, diags, 0, false};
        char err[256], *text = NULL;
        size_t len = 0;
        int r;

        if (ov && strcmp(display, ov->path) == 0) {
                src.text = ov->text;
                src.len = ov->len;
                r = policy_parse_into(p, &src);
                *errors += src.errors;
                return r;
        }
        r = su_safe_read_at(dirfd, name, owner, POLICY_MAX_FILE_SIZE, 0, &text, &len, err,
                            sizeof(err));
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                diag_add(diags, SU_DIAG_ERROR, display, 0, 0, NULL, 0, "%s", err);
                return r;
        }
        src.text = text;
        src.len = len;
        r = policy_parse_into(p, &src);
        *errors += src.errors;
        free(text);
        return r;
}

/* The sorted *.conf names in dirfd, at most POLICY_MAX_FILES of them. */
static int list_dropins(int dirfd, const char *display, const char *extra, struct su_diags *diags,
                        char ***ret, size_t *ret_n)
{
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *dir;
        int fd, r = 0;

        fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3); /* closedir() closes its own copy */
        if (fd < 0)
                return -errno;
        dir = fdopendir(fd);
        if (!dir) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(dir)) || extra) {
                const char *name = de ? de->d_name : extra;
                char **v;

                if (!de)
                        extra = NULL; /* a replaced file not on disk yet joins the listing */
                else if (extra && strcmp(de->d_name, extra) == 0)
                        extra = NULL;
                if (!is_dropin_name(name))
                        continue;
                if (n == POLICY_MAX_FILES) {
                        diag_add(diags, SU_DIAG_ERROR, display, 0, 0, NULL, 0,
                                 "too many *.conf files (max %d)", POLICY_MAX_FILES);
                        r = -E2BIG;
                        break;
                }
                v = realloc(names, (n + 1) * sizeof(*v));
                if (!v || !(v[n] = strdup(name))) {
                        names = v ? v : names;
                        r = -ENOMEM;
                        break;
                }
                names = v;
                n++;
        }
        if (r == 0 && errno) {
                r = -errno;
                diag_add(diags, SU_DIAG_ERROR, display, 0, 0, NULL, 0, "cannot read directory: %s",
                         strerror(-r));
        }
        closedir(dir);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        qsort(names, n, sizeof(*names), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

/* DIR(path)/policy.d; a missing directory is fine, an unsafe one refuses the set. */
static int load_dropins(struct su_policy *p, const char *path, uid_t owner,
                        const struct override *ov, struct su_diags *diags, size_t *errors)
{
        const char *slash = strrchr(path, '/');
        char *dirpath, *display, err[256], **names = NULL;
        size_t dlen = slash ? (size_t)(slash - path) + 1 : 0, n = 0;
        int dirfd = -1, r, first = 0;

        dirpath = malloc(dlen + sizeof("policy.d"));
        if (!dirpath)
                return -ENOMEM;
        memcpy(dirpath, path, dlen);
        strcpy(dirpath + dlen, "policy.d");

        r = su_safe_open_dir(dirpath, owner, 0, &dirfd, err, sizeof(err));
        if (r == -ENOENT) {
                free(dirpath);
                return 0;
        }
        if (r < 0) {
                if (r != -ENOMEM)
                        diag_add(diags, SU_DIAG_ERROR, dirpath, 0, 0, NULL, 0, "%s", err);
                free(dirpath);
                return r;
        }
        const char *extra = NULL;
        size_t plen = strlen(dirpath);
        if (ov && strncmp(ov->path, dirpath, plen) == 0 && ov->path[plen] == '/' &&
            !strchr(ov->path + plen + 1, '/'))
                extra = ov->path + plen + 1;
        r = list_dropins(dirfd, dirpath, extra, diags, &names, &n);
        for (size_t i = 0; r == 0 && i < n; i++) {
                size_t len = strlen(dirpath) + 1 + strlen(names[i]) + 1;

                display = malloc(len);
                if (!display) {
                        r = -ENOMEM;
                        break;
                }
                snprintf(display, len, "%s/%s", dirpath, names[i]);
                r = load_file(p, dirfd, names[i], display, owner, ov, diags, errors);
                free(display);
                if (r < 0 && r != -ENOMEM) {
                        /* keep going: report the other files' problems too */
                        if (!first)
                                first = r;
                        r = 0;
                }
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        close(dirfd);
        free(dirpath);
        return r < 0 ? r : first;
}

static int load_set(const char *path, uid_t expected_owner, const struct override *ov,
                    struct su_policy **ret, struct su_diags *diags)
{
        struct su_policy *p;
        size_t errors = 0;
        int r, r2;

        if (!path || !*path || !ret)
                return -EINVAL;
        p = policy_new();
        if (!p)
                return -ENOMEM;
        r = load_file(p, AT_FDCWD, path, path, expected_owner, ov, diags, &errors);
        if (r == -ENOENT || r == -ENOMEM) {
                su_policy_free(p);
                return r;
        }
        r2 = load_dropins(p, path, expected_owner, ov, diags, &errors);
        if (r == 0 || r2 == -ENOMEM)
                r = r2;
        if (r == 0 && errors)
                r = -EINVAL;
        if (r < 0) {
                su_policy_free(p);
                return r;
        }
        policy_check_set(p, diags, path);
        *ret = p;
        return 0;
}

int su_policy_load(const char *path, uid_t expected_owner, struct su_policy **ret,
                   struct su_diags *diags)
{
        return load_set(path, expected_owner, NULL, ret, diags);
}

int su_policy_load_replacing(const char *path, uid_t expected_owner, const char *replace_path,
                             const char *text, size_t len, struct su_policy **ret,
                             struct su_diags *diags)
{
        struct override ov = {replace_path, text, len};

        if (!replace_path || (!text && len))
                return -EINVAL;
        if (!text)
                ov.text = "";
        if (len > POLICY_MAX_FILE_SIZE) {
                diag_add(diags, SU_DIAG_ERROR, replace_path, 0, 0, NULL, 0,
                         "policy too large (%zu bytes, max %u)", len, POLICY_MAX_FILE_SIZE);
                return -EINVAL;
        }
        return load_set(path, expected_owner, &ov, ret, diags);
}
