/* stepupctl import google-authenticator --user U FILE | import oath FILE (root). */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "import.h"

static int apply(const struct ctl *c, const struct su_import_totp *t)
{
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_ENROLL_SET);
        if (su_msg_put_str(&req, SU_T_USER, t->user) < 0 ||
            su_msg_put_str(&req, SU_T_SECRET, t->secret_b32) < 0 ||
            su_msg_put_u32(&req, SU_T_DIGITS, t->digits) < 0 ||
            su_msg_put_u32(&req, SU_T_PERIOD, t->period) < 0 ||
            su_msg_put_u32(&req, SU_T_WINDOW, t->window) < 0) {
                su_msg_wipe(&req);
                return -EINVAL;
        }
        int r = ctl_call(c, &req, &rep);
        su_msg_wipe(&req);
        if (r < 0 || ctl_report(&rep) != 0)
                return -EIO;
        if (t->nscratch == 0)
                return 0;
        char body[SU_IMPORT_SCRATCH_MAX * 9 + 1] = "";
        for (size_t i = 0; i < t->nscratch; i++) {
                strcat(body, t->scratch[i]);
                strcat(body, "\n");
        }
        su_msg_init(&req, SU_REQ_RECOVERY_SET);
        su_msg_put_str(&req, SU_T_USER, t->user);
        su_msg_put_str(&req, SU_T_BODY, body);
        explicit_bzero(body, sizeof(body));
        r = ctl_call(c, &req, &rep);
        su_msg_wipe(&req);
        if (r < 0 || ctl_report(&rep) != 0)
                return -EIO;
        return 0;
}

/* The file must belong to whom it speaks for: a pam_oath usersfile names any user, root
 * among them, so root's; a google-authenticator file is its user's (or root's). */
static int read_file(const char *path, const char *ga_user, char **text, size_t *len)
{
        char err[600];
        uid_t owner = 0;
        if (ga_user) {
                struct passwd *pw = getpwnam(ga_user);
                if (!pw) {
                        fprintf(stderr, "stepupctl: no such user: %s\n", ga_user);
                        return -ENOENT;
                }
                owner = pw->pw_uid;
        }
        int r = su_import_read(path, owner, ga_user != NULL, text, len, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "stepupctl: %s\nnothing was imported\n", err);
        return r;
}

int cmd_import(const struct ctl *c, int argc, char **argv)
{
        static const struct option opts[] = {
            {"user", required_argument, NULL, 'u'}, {"dry-run", no_argument, NULL, 'n'}, {}};
        const char *kind = argc >= 2 ? argv[1] : "";
        const char *user = NULL;
        bool dry = false;
        int o;
        optind = 1;
        argc--;
        argv++;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                if (o == 'u')
                        user = optarg;
                else if (o == 'n')
                        dry = true;
                else
                        return 2;
        }
        const char *file = optind < argc ? argv[optind] : NULL;
        bool ga = strcmp(kind, "google-authenticator") == 0, oath = strcmp(kind, "oath") == 0;
        if (!file || (!ga && !oath) || (ga && !user)) {
                fprintf(stderr, "Usage: stepupctl import google-authenticator --user NAME FILE\n"
                                "       stepupctl import oath FILE\n"
                                "  --dry-run  parse and report, change nothing\n");
                return 2;
        }
        if (geteuid() != 0 && !dry) {
                fprintf(stderr, "stepupctl: import is for root\n");
                return 1;
        }
        char *text;
        size_t len;
        if (read_file(file, ga ? user : NULL, &text, &len) < 0)
                return 1;
        char err[512];
        size_t n = 0;
        struct su_import_totp *t = calloc(ga ? 1 : SU_IMPORT_USERS_MAX, sizeof(*t));
        int r = !t   ? -ENOMEM
                : ga ? su_import_ga_parse(file, text, len, t, err, sizeof(err))
                     : su_import_oath_parse(file, text, len, t, SU_IMPORT_USERS_MAX, &n, err,
                                            sizeof(err));
        explicit_bzero(text, len);
        free(text);
        if (r < 0) {
                fprintf(stderr, "stepupctl: %s\nnothing was imported\n",
                        r == -ENOMEM ? "out of memory" : err);
                free(t);
                return 1;
        }
        if (ga) {
                snprintf(t->user, sizeof(t->user), "%s", user);
                n = 1;
        }
        int rc = 0;
        /* The whole file parsed: only now does anything change. */
        for (size_t i = 0; i < n && rc == 0; i++) {
                printf("%s: TOTP, %u digits, %u s, window %u, %zu recovery code(s)%s%s\n",
                       t[i].user, t[i].digits, t[i].period, t[i].window, t[i].nscratch,
                       t[i].notes[0] ? "; note: " : "", t[i].notes);
                if (!dry && apply(c, &t[i]) < 0) {
                        fprintf(stderr,
                                "stepupctl: import of %s failed; users before it in "
                                "the file were imported\n",
                                t[i].user);
                        rc = 1;
                }
        }
        explicit_bzero(t, (ga ? 1 : SU_IMPORT_USERS_MAX) * sizeof(*t));
        free(t);
        return rc;
}
