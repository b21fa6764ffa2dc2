/* stepupd's own settings: command line, then /etc/stepup/stepupd.conf ("key = value").
 * Every key is documented in stepupd.conf(5). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SU_POOL_THREADS_MAX 64 /* pool_threads' upper bound */

struct su_config {
        char *pam_socket;
        char *user_socket;
        char *db_path; /* the host's SQLite database (always: it holds session assurance) */
        char *policy_path;
        char *config_path;
        char *questions_path;
        char *idp_config_path;    /* idp.conf: the idp factor's provider (missing: no idp factor) */
        bool idp_config_given;    /* --idp-config: the command line wins over stepupd.conf */
        uid_t policy_owner;       /* policy and config files must be owned by this uid */
        unsigned max_connections; /* PAM socket: open connections at once (root's own) */
        unsigned user_connections;         /* user socket: open connections at once, all users */
        unsigned user_connections_per_uid; /* user socket: per non-root uid */
        unsigned challenges_per_user;      /* open challenges (prompts) per user */
        unsigned hash_burst;               /* password hashes a non-root uid may cause at once */
        unsigned hash_per_minute;          /* ... and then per minute */
        unsigned audit_per_uid;            /* audit events a non-root uid may cause per window */
        unsigned audit_window;             /* s */
        unsigned idle_timeout;             /* s without a request before a connection is closed */
        unsigned challenge_timeout;        /* s a challenge stays answerable */
        unsigned rate_attempts;            /* verification attempts per user per rate_window */
        unsigned rate_window;              /* s */
        unsigned lockout_failures;         /* consecutive failures that lock the user */
        unsigned lockout_duration;         /* s a lockout lasts after the last failure */
        unsigned questions_enrol;          /* answers a user gives when enrolling questions */
        unsigned questions_ask;            /* questions asked in one challenge */
        unsigned user_totp_max_window;     /* TOTP steps either side a user may choose */
        unsigned user_totp_max_period;     /* longest TOTP period (s) a user may choose */
        unsigned threads;                  /* event-loop threads; 0 = one per online CPU */
        unsigned pool_threads;             /* threads for slow work (hashing, network stores) */
        int store_kind;                    /* enum su_store_kind */
        char *store_conninfo;              /* postgresql: libpq connection string or URI */
        char *fleet_key;                   /* postgresql: key file for the TOTP secrets */
        unsigned store_timeout_ms;         /* postgresql: connect and query together */
        unsigned fleet_revoke_interval;    /* postgresql: s between looks at the revocations */
        bool journal;                      /* force audit events to the journal */
        bool use_logind;                   /* booted with systemd: ask logind about sessions */
};

void su_config_defaults(struct su_config *c);
void su_config_free(struct su_config *c);
/* Reads path (missing file: defaults stay, returns 0).  On error returns negative errno and
 * writes "file:line: message" into err. */
int su_config_load(struct su_config *c, const char *path, char *err, size_t errsize);
