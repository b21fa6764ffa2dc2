/* stepup policy language: parse /etc/stepup/policy.conf (and policy.d/NAME.conf) and
 * evaluate a request against it.  Pure libc; never logs: every problem is returned
 * as a diagnostic with file, line and column. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum su_severity { SU_DIAG_ERROR = 0, SU_DIAG_WARNING = 1 };

struct su_diag {
        enum su_severity severity;
        char file[256];
        unsigned line, column; /* 1-based; column 0 = whole line/file */
        char message[256];
        char text[256]; /* the offending source line, for the caret display */
};

struct su_diags {
        struct su_diag *v;
        size_t n, cap;
        size_t errors, warnings;
};

void su_diags_free(struct su_diags *d);
/* Format one diagnostic as "file:line:col: error: msg\n  text\n  ^" into buf. */
int su_diag_format(const struct su_diag *d, char *buf, size_t size);

/* Factors.  A factor expression is kept in disjunctive normal form:
 * a list of alternatives, each a set (bitmask) of factors that must all be proven. */
enum su_factor {
        SU_FACTOR_TOTP = 1u << 0,
        SU_FACTOR_QUESTION = 1u << 1,
        SU_FACTOR_RECOVERY = 1u << 2,
        SU_FACTOR_IDP = 1u << 3, /* approval at the identity provider (device grant) */
};
#define SU_FACTOR_SETS_MAX 8
const char *su_factor_name(unsigned factor_bit); /* "totp", ... */
int su_factor_from_name(const char *name);       /* bit, or -EINVAL */

enum su_action { SU_ACTION_ALLOW = 1, SU_ACTION_DENY = 2, SU_ACTION_REQUIRE = 3 };
enum su_scope { SU_SCOPE_TTY = 0, SU_SCOPE_SESSION = 1, SU_SCOPE_USER = 2 };
enum su_failmode { SU_FAILMODE_DEFAULT = 0, SU_FAILMODE_SECURE = 1, SU_FAILMODE_SAFE = 2 };

#define SU_DURATION_MAX_S (366ull * 24 * 3600) /* longest accepted duration */

/* What the daemon knows about one request.  All strings may be NULL (= absent). */
struct su_request {
        const char *service;
        const char *user;
        const char *ruser;
        const char *tty;          /* "pts/3", "tty1"; NULL or "" = no tty */
        const char *rhost;        /* address or host name; NULL = local */
        const char *command;      /* resolved "path args..." (sudo), NULL if none */
        bool command_is_shell;    /* `command shell`: see struct su_command */
        bool command_is_sudoedit; /* command is "sudoedit FILE..." */
        /* The program the command finally runs cannot be told (struct su_command): a path
         * pattern neither matches nor fails to match it (see su_policy_eval). */
        bool command_unresolved;
        const char *command_why;   /* why, when unresolved (for explanations), or NULL */
        const char *target_user;   /* sudo -u / su target */
        const char *target_group;  /* sudo -g */
        const char *const *groups; /* names of the user's groups (NSS), ngroups long */
        size_t ngroups;
        const char *const *target_groups; /* groups of the target user */
        size_t ntarget_groups;
        bool remote; /* the caller's session is remote (ssh) */
        time_t now;  /* wall clock used for time-of-day / weekday matches (localtime) */
};

struct su_decision {
        enum su_action action;
        uint32_t factor_sets[SU_FACTOR_SETS_MAX]; /* REQUIRE: any one set, all of its bits */
        size_t nfactor_sets;
        uint64_t within_s;   /* REQUIRE: max age of the last step-up; 0 = every time */
        uint64_t idle_s;     /* REQUIRE: 0 = no idle limit */
        enum su_scope scope; /* REQUIRE */
        enum su_failmode failmode;
        const char *message; /* shown to the user, or NULL; owned by the policy */
        const char *reason;  /* DENY reason, or NULL; owned by the policy */
        const char *file;    /* rule location, owned by the policy; "(default)" if none matched */
        unsigned line;
        bool matched; /* false: no rule matched, action is DENY (fail closed) */
};

/* Why each rule before the deciding one did not match (for `stepupctl policy test`). */
struct su_explain_entry {
        const char *file;
        unsigned line;
        bool matched;
        char why[256]; /* e.g. "service is 'sshd', rule wants sudo" */
};
struct su_explain {
        struct su_explain_entry *v;
        size_t n, cap;
};
void su_explain_free(struct su_explain *e);

struct su_policy;

/* Parse a buffer; name is used in diagnostics.  On any error returns -EINVAL, *ret untouched,
 * diagnostics appended.  Warnings alone do not fail. */
int su_policy_parse_buffer(const char *name, const char *text, size_t len, struct su_policy **ret,
                           struct su_diags *diags);

/* Load PATH and then every PATH's-dir/policy.d/NAME.conf in lexical (strcmp) order, as one policy.
 * Each file is opened O_NOFOLLOW|O_CLOEXEC and refused unless owned by expected_owner and not
 * group/world-writable (checked with fstat on the open fd); size capped at 1 MiB per file.
 * Any error in any file refuses the whole set. */
int su_policy_load(const char *path, uid_t expected_owner, struct su_policy **ret,
                   struct su_diags *diags);

/* su_policy_load, except that the file of the set named replace_path (spelled as the set names
 * it: PATH itself, or DIR(PATH)/policy.d/NAME.conf) is read from text instead of from disk; a
 * replace_path in policy.d that does not exist yet joins the set in its sorted place.  Diagnostics
 * name replace_path.  For checking an edit in the context of the whole set before installing it
 * (`stepupctl policy edit`).  -EINVAL also for text longer than the 1 MiB file limit. */
int su_policy_load_replacing(const char *path, uid_t expected_owner, const char *replace_path,
                             const char *text, size_t len, struct su_policy **ret,
                             struct su_diags *diags);

/* Warnings about what a loaded policy means, beyond what parsing checks (for `stepupctl policy
 * check` and `policy edit`; the daemon does not call it).  Today: a require or deny rule keyed
 * on the command (a deny-list) followed by an allow for the same service that does not name
 * the commands it allows, which any allowed program able to start another dodges.  Appends
 * warnings (file and line, no column) to diags; returns how many, or -ENOMEM. */
int su_policy_lint(const struct su_policy *p, struct su_diags *diags);

struct su_policy *su_policy_free(struct su_policy *p); /* accepts NULL, returns NULL */
size_t su_policy_rule_count(const struct su_policy *p);

/* First matching rule decides.  explain may be NULL. Returns 0 or negative errno.
 * A condition that cannot be decided because the command is unresolved (a path pattern: the
 * program is not known) is settled in the careful direction: an allow rule does not match,
 * a deny or require rule does. */
int su_policy_eval(const struct su_policy *p, const struct su_request *req, struct su_decision *ret,
                   struct su_explain *explain);

/* Building a request the way stepupd does (these two read the system: the file system and NSS;
 * `stepupctl policy test` uses them too, so that it sees what the daemon sees). */

/* The command of a request as the policy sees it.
 *
 * The program is found the way it runs: through realpath(3), and through exec wrappers, whose
 * own options are read the way the wrapper reads them (env, nice, nohup, timeout, stdbuf,
 * setsid, ionice, chrt, taskset, time; nested up to SU_COMMAND_WRAPPERS_MAX deep).  A wrapped
 * program named without a '/' is looked up in SU_COMMAND_SAFE_PATH (sudo's secure_path on
 * Debian), or in "/bin:/usr/bin" once the wrapper clears the environment (env -i, -u PATH).
 *
 * It is unresolved when that cannot be told for sure: an option or form of a wrapper that is
 * not understood, an environment assignment other than a few harmless ones (PATH, LD_PRELOAD,
 * BASH_ENV... would change what runs), a program not found, a wrapper nested too deep, a
 * program that runs others in ways not followed here (su, chroot, xargs, strace, flock,
 * busybox, the dynamic loader...), or, in SU_COMMAND_JOINED form, a wrapper argument that
 * could itself hold a space.  An unresolved command counts as a shell.  sudo is not followed:
 * it is the program that runs, and its own PAM stack asks the policy about what it runs.
 *
 * `shell` holds for a login shell (its path or real path in the shells file), any shell by
 * name (sh, bash, dash, zsh, ksh, csh, fish, tmux, screen...), awk (its program is text on the
 * command line), an interpreter (python, perl, ruby, node, php, lua, tclsh...) unless its first
 * argument is a script file (a word not starting with '-'), and an unresolved command. */
#define SU_COMMAND_WRAPPERS_MAX 8
#define SU_COMMAND_LEN_MAX (64u * 1024) /* longer commands are refused (-E2BIG) */
#define SU_COMMAND_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* How the words of a command text map to the program's arguments. */
enum su_command_form {
        /* sudo's SUDO_COMMAND: the arguments joined with single spaces, so an argument may
         * itself hold spaces and a word boundary is not necessarily an argument boundary. */
        SU_COMMAND_JOINED = 0,
        /* stepup-ssh: no argument holds a blank; each space-separated word is one argument. */
        SU_COMMAND_WORDS = 1,
};

struct su_command {
        char *text;        /* what command patterns match: "REALPATH ARGS" of the program that runs
                            * in the end; "sudoedit FILES"; when unresolved, the same as given */
        char *given;       /* the command as given, its path through realpath(3) */
        bool shell;        /* `command shell` (see above) */
        bool sudoedit;     /* "sudoedit FILES" */
        bool unresolved;   /* the program that runs in the end cannot be told */
        unsigned wrappers; /* exec wrappers seen through */
        char why[192];     /* when unresolved: why, in words */
};

/* cmd is "path args..." or "sudoedit FILES...".  shells: the shells file (NULL =
 * /etc/shells, whose entries are compared through realpath too).  Fills *ret, which the caller
 * releases with su_command_done().  Returns 0, -EINVAL for an empty, relative or over-long
 * path, -E2BIG for a command longer than SU_COMMAND_LEN_MAX, or -ENOMEM; *ret is untouched
 * on failure. */
int su_command_canonical(const char *cmd, const char *shells, enum su_command_form form,
                         struct su_command *ret);
void su_command_done(struct su_command *c);
bool su_path_is_shell(const char *path, const char *shells);

/* Group names of a user (primary and supplementary, getgrouplist) into names[0..max), each
 * malloc'd.  Returns the count, -ENOENT for a user NSS does not know, or -ENOMEM (nothing left
 * allocated).  At most SU_USER_GROUPS_MAX groups are looked at. */
#define SU_USER_GROUPS_MAX 256
int su_user_groups(const char *user, char **names, size_t max);
/* The same, with the names of gids kept for ttl_s seconds (the daemon's: membership is always
 * asked afresh; only a group renamed shows late).  Thread-safe. */
struct su_group_cache;
struct su_group_cache *su_group_cache_new(unsigned ttl_s);
struct su_group_cache *su_group_cache_free(struct su_group_cache *c);
int su_user_groups_cached(const char *user, char **names, size_t max, struct su_group_cache *cache);
