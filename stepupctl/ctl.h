/* stepupctl: shared state of the sub-commands. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "proto.h"

struct ctl {
        const char *socket;      /* PAM socket, used when running as root */
        const char *user_socket; /* used otherwise */
        bool json;
        int timeout_ms;
};

/* One conversation (common/client.h) on the right socket for this caller: sends req, fills
 * rep with the final reply.  Prints why and returns negative errno on failure ("stepupd is
 * not running" apart from every other failure).  A CHALLENGE is an unexpected reply. */
int ctl_call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep);
/* Like ctl_call, but answers a CHALLENGE (stepupd wants a fresh proof with an existing
 * factor before an enrolment change) at the terminal and then repeats the request. */
int ctl_call_gated(const struct ctl *c, const struct su_msg *req, struct su_msg *rep);
/* The JSON document of an OK reply (STATUS, LIST, STATS...): -EBADMSG without one. */
int ctl_reply_data(const struct su_msg *rep, json_t **ret);
/* The --user NAME of a sub-command's arguments (also accepts --json), or NULL. */
const char *ctl_opt_user(int argc, char **argv);
/* Prints an ERROR/DENY reply's text; returns 1 (the exit code) for non-OK replies. */
int ctl_report(const struct su_msg *rep);

int cmd_enroll(const struct ctl *c, int argc, char **argv);
int cmd_status(const struct ctl *c, int argc, char **argv);
int cmd_revoke(const struct ctl *c, int argc, char **argv);
int cmd_unlock(const struct ctl *c, int argc, char **argv);
int cmd_policy(const struct ctl *c, int argc, char **argv);
int cmd_stats(const struct ctl *c, int argc, char **argv);
int cmd_enroll_questions(const struct ctl *c, int argc, char **argv);
int cmd_recovery_codes(const struct ctl *c, int argc, char **argv);
int cmd_remove(const struct ctl *c, int argc, char **argv);
int cmd_reset(const struct ctl *c, int argc, char **argv);
int cmd_forget(const struct ctl *c, int argc, char **argv);
int cmd_list(const struct ctl *c, int argc, char **argv);
int cmd_import(const struct ctl *c, int argc, char **argv);
int cmd_fleet(const struct ctl *c, int argc, char **argv);
