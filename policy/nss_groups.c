/* A user's groups by name, through NSS (getgrouplist), as the policy's `group` condition sees
 * them.  Shared by stepupd and `stepupctl policy test`. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int su_user_groups(const char *user, char **names, size_t max)
{
        char buf[4096];
        struct passwd pw, *pwp = NULL;
        gid_t gids[SU_USER_GROUPS_MAX];
        int n = SU_USER_GROUPS_MAX;
        size_t count = 0;

        if (getpwnam_r(user, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp)
                return -ENOENT;
        if (getgrouplist(user, pw.pw_gid, gids, &n) < 0)
                n = SU_USER_GROUPS_MAX; /* truncated: more groups than we match on */
        for (int i = 0; i < n && count < max; i++) {
                char gbuf[8192];
                struct group gr, *grp = NULL;

                if (getgrgid_r(gids[i], &gr, gbuf, sizeof(gbuf), &grp) != 0 || !grp)
                        continue;
                names[count] = strdup(gr.gr_name);
                if (!names[count]) {
                        while (count > 0) {
                                count--;
                                free(names[count]);
                                names[count] = NULL;
                        }
                        return -ENOMEM;
                }
                count++;
        }
        return (int)count;
}
