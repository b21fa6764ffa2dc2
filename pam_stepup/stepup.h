/* The module's logic, kept apart from the pam_sm_* entry points so tests can link it. */
#pragma once
#include <stdbool.h>
#include <security/pam_modules.h>

enum su_mod_failmode { SU_MOD_SECURE = 0, SU_MOD_SAFE = 1 };

struct su_mod_args {
        const char *socket;
        enum su_mod_failmode failmode;
        int timeout_ms;
        bool debug;
};

/* Parses module arguments; -EINVAL (and *bad set) on an unknown or malformed one. */
int su_mod_parse_args(int argc, const char **argv, struct su_mod_args *a, const char **bad);

/* Runs one step-up check for the given phase (SU_PHASE_AUTH / SU_PHASE_ACCOUNT).
 * Returns 0 when allowed, or a negative errno:
 *   -EACCES     denied (policy, wrong code, lockout, an ERROR reply, user gave up)
 *   -EHOSTDOWN  stepupd is not running (no socket, or nobody listening): failmode decides
 *   -ECOMM      stepupd did not answer properly (timeout, reset, nonsense): always denied
 *   -EAGAIN     the conversation asked to be called again (PAM_CONV_AGAIN)
 *   -EBADE      conversation failure
 *   -ENOENT     no user
 *   -ENOMEM, -EINVAL */
int su_mod_run(pam_handle_t *pamh, int flags, const struct su_mod_args *a, int phase);

/* The single place where negative errno becomes a PAM code. */
int su_mod_to_pam(pam_handle_t *pamh, int r, const struct su_mod_args *a, int phase);
