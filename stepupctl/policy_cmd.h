/* stepupctl policy: what the sub-commands share.  cmd_policy.c dispatches check, test, edit and
 * reload; policy_test.c, policy_edit.c (with policy_install.c and, for PAM, policy_auth.c) do
 * the work. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "ctl.h"
#include "policy.h"

/* Every diagnostic to stderr, compiler style. */
void policy_print_diags(const struct su_diags *d);

/* Sends RELOAD.  Returns 0 when stepupd reloaded, 1 when it refused the policy (its diagnostics
 * printed; the old policy stays), or a negative errno when stepupd could not be reached or did
 * not answer (printed too). */
int policy_reload(const struct ctl *c);

int policy_test(const struct ctl *c, int argc, char **argv);
int policy_edit(const struct ctl *c, int argc, char **argv);

/* The PAM transaction of `policy edit` (policy_auth.c, the only file that uses libpam):
 * pam_authenticate + pam_acct_mgmt for user on the service "stepup-policy", prompting on the
 * terminal.  Returns 0 on PAM_SUCCESS from both, else -EACCES with the reason printed. */
#define POLICY_PAM_SERVICE "stepup-policy"
int policy_authenticate(const char *user);

/* Replaces path with text atomically (policy_install.c): a hidden temporary file in the same
 * directory, created O_EXCL, 0644 root:root, written and fsync'd, renamed over path, and the
 * directory fsync'd.  Returns 0; 1 when installed but the directory fsync failed (err says so);
 * or a negative errno: then path is untouched, the temporary file removed, and err says why. */
int policy_install(const char *path, const char *text, size_t len, char *err, size_t errsize);
