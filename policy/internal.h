/* Private to the policy library: limits, the parsed rule and condition tree, and the small
 * interfaces the lexer, parser, matchers and evaluator share.  Nothing here leaves policy/. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Limits on everything a policy author controls (STYLE: limits on every input). */
#define POLICY_MAX_RULES 4096             /* per loaded set, all files together */
#define POLICY_MAX_LINE 4096              /* bytes per physical line */
#define POLICY_MAX_DEPTH 32               /* nesting of ( ) and 'not' */
#define POLICY_MAX_FILE_SIZE (1u << 20)   /* bytes per file */
#define POLICY_MAX_FILES 64               /* *.conf files in policy.d */
#define POLICY_MAX_NAME 255               /* user, group, service, host names */
#define POLICY_MAX_STRING 1024            /* deny reasons and messages */
#define POLICY_MAX_DIAGS 128              /* stored diagnostics; more are only counted */
#define POLICY_DEFAULT_WITHIN_S (15 * 60) /* require without 'within' */

/* ---- diagnostics (diag.c) ---- */

/* Where something is in the source: enough to print file:line:col and the line itself. */
struct srcpos {
        unsigned line, col;        /* 1-based; col 0 = the whole line, line 0 = whole file */
        size_t line_off, line_len; /* the physical line inside source.text */
};

/* One input being parsed.  errors counts every error even when diags is NULL or full, so a
 * parse can never succeed just because a diagnostic could not be stored. */
struct source {
        const char *name; /* file name used in diagnostics */
        const char *text;
        size_t len;
        struct su_diags *diags; /* may be NULL */
        size_t errors;
        bool oom; /* a diagnostic could not be stored for lack of memory */
};

void src_report(struct source *s, enum su_severity sev, const struct srcpos *at, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));
#define src_error(s, at, ...) src_report((s), SU_DIAG_ERROR, (at), __VA_ARGS__)
#define src_warning(s, at, ...) src_report((s), SU_DIAG_WARNING, (at), __VA_ARGS__)

/* Append one diagnostic (text may be NULL).  Returns 0 or -ENOMEM; the error/warning counters
 * are bumped either way. */
int diag_add(struct su_diags *d, enum su_severity sev, const char *file, unsigned line,
             unsigned col, const char *text, size_t text_len, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
int diag_addv(struct su_diags *d, enum su_severity sev, const char *file, unsigned line,
              unsigned col, const char *text, size_t text_len, const char *fmt, va_list ap)
    __attribute__((format(printf, 8, 0)));

/* ---- conditions ---- */

enum cond_kind {
        COND_AND,
        COND_OR,
        COND_NOT,
        COND_SERVICE,
        COND_USER,
        COND_GROUP,
        COND_TARGET_USER,
        COND_TARGET_GROUP,
        COND_COMMAND,
        COND_RHOST,
        COND_REMOTE,
        COND_TTY,
        COND_TIME,
        COND_WEEKDAY,
};

enum cmd_kind { CMD_PATH, CMD_SHELL, CMD_SUDOEDIT };

/* A command pattern.  forms[0] is the path glob as written; forms[1..] are canonical spellings
 * found at load time (realpath of the directory, of the file), NULL when absent or identical. */
#define CMD_FORMS 3
struct cmd_pattern {
        enum cmd_kind kind;
        char *forms[CMD_FORMS]; /* CMD_PATH only */
        char *args; /* argument glob (CMD_PATH) or file glob (CMD_SUDOEDIT); NULL = any */
};

/* An rhost item: an address with a prefix length, or a host-name glob (family 0). */
struct host_pattern {
        int family; /* AF_INET, AF_INET6, or 0 for a name */
        unsigned char addr[16];
        unsigned prefix;
        char *text; /* as written: the name glob, or the address for messages */
};

struct time_range {
        unsigned start, end; /* minutes since midnight; end may be 1440; start > end wraps */
};

struct cond {
        enum cond_kind kind;
        struct cond **kids; /* AND, OR (n of them), NOT (one) */
        char **names;       /* name lists */
        struct host_pattern *hosts;
        struct time_range *times;
        size_t n;          /* entries in kids, names, hosts or times */
        unsigned weekdays; /* bit (1 << tm_wday) */
        struct cmd_pattern cmd;
        char *spec; /* the arguments as written, for explanations */
};

struct cond *cond_free(struct cond *c);

/* ---- rules and the policy ---- */

struct rule {
        enum su_action action;
        const char *file; /* interned in the policy */
        unsigned line;
        uint32_t factor_sets[SU_FACTOR_SETS_MAX];
        size_t nfactor_sets;
        uint64_t within_s, idle_s;
        enum su_scope scope;
        enum su_failmode failmode;
        char *message, *reason;
        struct cond *when; /* NULL: matches everything */
};

struct su_policy {
        struct rule *rules;
        size_t nrules, cap;
        char **files; /* interned file names the rules point to */
        size_t nfiles;
        bool has_catchall; /* some rule has no 'when'; later rules are unreachable */
        const char *catchall_file;
        unsigned catchall_line;
};

struct su_policy *policy_new(void);
const char *policy_intern_file(struct su_policy *p, const char *name);
int policy_add_rule(struct su_policy *p, struct rule *r); /* takes the rule's contents */
void rule_clear(struct rule *r);

/* Parse one source and append its rules to p.  Errors are counted in src->errors; returns 0
 * or -ENOMEM.  The unreachable-rule warning spans every source added to the same policy. */
int policy_parse_into(struct su_policy *p, struct source *src);
/* Warnings about the set as a whole, once it is complete and free of errors. */
void policy_check_set(const struct su_policy *p, struct su_diags *d, const char *name);

/* ---- factors (factor.c) ---- */

/* A factor expression in disjunctive normal form, kept minimal: no duplicate sets and no set
 * that is a superset of another (it would never be the cheapest way to satisfy the rule). */
struct dnf {
        uint32_t set[SU_FACTOR_SETS_MAX];
        size_t n;
};
int dnf_or(struct dnf *a, const struct dnf *b);  /* a |= b; -E2BIG if too many sets */
int dnf_and(struct dnf *a, const struct dnf *b); /* a &= b; -E2BIG if too many sets */

/* ---- durations (duration.c) ---- */

/* 0, or -EINVAL (malformed), -EDOM (number without unit), -ERANGE (over SU_DURATION_MAX_S). */
int duration_parse(const char *s, uint64_t *ret);
void duration_format(uint64_t secs, char *buf, size_t size);

/* ---- matchers: names, commands, hosts, clock ---- */

int cmd_pattern_init(struct cmd_pattern *c, enum cmd_kind kind, const char *path, const char *args);
void cmd_pattern_clear(struct cmd_pattern *c);
bool cmd_match(const struct cmd_pattern *c, const struct su_request *rq);
bool glob_has_magic(const char *s);

/* Fills h, or writes a message to err and returns -EINVAL. */
int host_pattern_parse(const char *s, struct host_pattern *h, char *err, size_t errsize);
bool host_match(const struct host_pattern *h, const char *rhost);

int time_range_parse(const char *s, struct time_range *r); /* -EINVAL, or -EDOM if empty */
bool time_range_contains(const struct time_range *r, unsigned minute);
int weekday_parse(const char *s, unsigned *mask); /* one item: "mon" or "mon-fri" */
const char *weekday_name(int wday);

/* ---- requests' commands: exec wrappers (command_wrap.c, command_split.c) ---- */

#define CMD_SPLITS_MAX 16 /* env -S strings followed in one command */
#define CMD_WHY_MAX 192   /* = sizeof(struct su_command.why) */

/* An argument vector followed through exec wrappers.  argv[0] is the current program as it
 * was named; argv points into storage the walk owns (own[]). */
struct cmd_walk {
        const char **argv;
        size_t argc;
        enum su_command_form form;
        bool default_path; /* the wrapper cleared PATH (env -i, -u PATH): execvp's default */
        void *own[2 * CMD_SPLITS_MAX + 2];
        size_t nown;
        unsigned splits;
        char why[CMD_WHY_MAX];
};

enum wrap_result {
        WRAP_NOT = 0,    /* not an exec wrapper */
        WRAP_PROGRAM,    /* argv now starts at the program the wrapper runs (as named) */
        WRAP_SELF,       /* the wrapper runs no other program (none given, --help, -p PID...) */
        WRAP_UNRESOLVED, /* why says what cannot be followed */
};

/* One step through the wrapper whose real path's last component is name (argv[0] is that
 * wrapper).  Returns a wrap_result, or -ENOMEM. */
int wrap_step(struct cmd_walk *w, const char *name);
/* Writes why (printf) and returns WRAP_UNRESOLVED. */
int wrap_unresolved(struct cmd_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* name matches one of the fnmatch(3) patterns of the NULL-terminated list. */
bool cmd_name_in(const char *name, const char *const *globs);

/* env -S STRING split as GNU env splits it (coreutils 9.1): blanks separate, '...' and "..."
 * quote, backslash escapes, # at the start of a word comments out the rest, \c ends the
 * string (either sets *cut).  Words go into out (at least strlen(s) + 1 bytes), pointers into
 * words[0..max).  Returns the number of words, -EINVAL for a string env refuses or one whose
 * words depend on the environment (${NAME}), or -E2BIG for more than max words. */
int cmd_env_split(const char *s, char *out, const char **words, size_t max, bool *cut);

/* ---- evaluation (cond_eval.c) ---- */

/* 1 match, 0 no match, COND_UNKNOWN when it depends on what an unresolved command runs, negative
 * errno if the request cannot be judged.  why (may be NULL) explains the result in words either
 * way.  and/or/not follow three-valued (Kleene) logic: false and unknown is false, true or
 * unknown is true, not unknown is unknown. */
#define COND_UNKNOWN 2
int cond_eval(const struct cond *c, const struct su_request *rq, char *why, size_t size);

/* snprintf that appends to a NUL-terminated buffer and never overflows it. */
void buf_append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
