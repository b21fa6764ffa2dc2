/* stepupd's own settings: command line, then /etc/stepup/stepupd.conf ("key = value"). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct su_config {
        char *pam_socket;
        char *user_socket;
        char *db_path;
        char *policy_path;
        char *config_path;
        char *questions_path;
        uid_t policy_owner;         /* policy and config files must be owned by this uid */
        unsigned max_connections;   /* open connections at once */
        unsigned idle_timeout;      /* s without a request before a connection is closed */
        unsigned challenge_timeout; /* s a challenge stays answerable */
        unsigned rate_attempts;     /* verification attempts per user per rate_window */
        unsigned rate_window;       /* s */
        unsigned lockout_failures;  /* consecutive failures that lock the user */
        unsigned lockout_duration;  /* s a lockout lasts after the last failure */
        unsigned questions_enrol;   /* answers a user gives when enrolling questions */
        unsigned questions_ask;     /* questions asked in one challenge */
        bool journal;               /* force audit events to the journal */
};

void su_config_defaults(struct su_config *c);
void su_config_free(struct su_config *c);
/* Reads path (missing file: defaults stay, returns 0).  On error returns negative errno and
 * writes "file:line: message" into err. */
int su_config_load(struct su_config *c, const char *path, char *err, size_t errsize);
