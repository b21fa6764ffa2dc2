/* The step-up before `policy edit` installs anything: one PAM transaction on the service
 * stepup-policy.  pam_stepup in that stack asks stepupd, whose policy can demand fresh factors
 * (`require ... when service stepup-policy`).  The only file of stepupctl that uses libpam. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_misc.h>

#include "policy_cmd.h"

int policy_authenticate(const char *user)
{
        struct pam_conv conv = {misc_conv, NULL};
        pam_handle_t *pamh = NULL;
        const char *tty = isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO) : NULL;
        int r;

        r = pam_start(POLICY_PAM_SERVICE, user, &conv, &pamh);
        if (r != PAM_SUCCESS) {
                fprintf(stderr, "stepupctl: cannot start PAM for %s: %s\n", POLICY_PAM_SERVICE,
                        pam_strerror(pamh, r));
                return -EACCES;
        }
        r = pam_set_item(pamh, PAM_RUSER, user);
        if (r == PAM_SUCCESS && tty)
                r = pam_set_item(pamh, PAM_TTY, tty);
        if (r == PAM_SUCCESS)
                r = pam_authenticate(pamh, PAM_DISALLOW_NULL_AUTHTOK);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(pamh, PAM_DISALLOW_NULL_AUTHTOK);
        if (r != PAM_SUCCESS)
                fprintf(stderr, "stepupctl: authentication (PAM service %s, user %s) failed: %s\n",
                        POLICY_PAM_SERVICE, user, pam_strerror(pamh, r));
        pam_end(pamh, r);
        return r == PAM_SUCCESS ? 0 : -EACCES;
}
