/* stepupctl: shared state of the sub-commands. */
#pragma once
#include <stdbool.h>
#include "proto.h"

struct ctl {
        const char *socket;      /* PAM socket, used when running as root */
        const char *user_socket; /* used otherwise */
        bool json;
        int timeout_ms;
};

/* Connects to the right socket for this caller and sends req, filling rep.
 * Prints an error and returns negative errno on failure. */
int ctl_call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep);
/* Connects once and keeps the fd, for two-step exchanges. */
int ctl_connect(const struct ctl *c);
/* Prints an ERROR/DENY reply's text; returns 1 (the exit code) for non-OK replies. */
int ctl_report(const struct su_msg *rep);

int cmd_enroll(const struct ctl *c, int argc, char **argv);
int cmd_status(const struct ctl *c, int argc, char **argv);
int cmd_revoke(const struct ctl *c, int argc, char **argv);
int cmd_unlock(const struct ctl *c, int argc, char **argv);
int cmd_policy(const struct ctl *c, int argc, char **argv);
