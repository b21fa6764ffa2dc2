/* pam_stepup: PAM entry points.  Each converts the module's result to a PAM code once. */
#include <syslog.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "proto.h"
#include "stepup.h"

static int entry(pam_handle_t *pamh, int flags, int argc, const char **argv, int phase)
{
        struct su_mod_args a;
        const char *bad = "";
        if (su_mod_parse_args(argc, argv, &a, &bad) < 0) {
                pam_syslog(pamh, LOG_ERR, "bad module argument '%s'", bad);
                return PAM_SERVICE_ERR;
        }
        return su_mod_to_pam(pamh, su_mod_run(pamh, flags, &a, phase), &a, phase);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return entry(pamh, flags, argc, argv, SU_PHASE_AUTH);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return entry(pamh, flags, argc, argv, SU_PHASE_ACCOUNT);
}

/* Credentials are not ours to set; succeed so stacks that call setcred keep working. */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
        return PAM_SUCCESS;
}
