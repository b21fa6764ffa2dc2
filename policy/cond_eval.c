/* Evaluating a condition tree against a request, with an explanation in words of why it did
 * or did not match (for `stepupctl policy test`).  Absent request fields never match. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define WHY_MAX 256

void buf_append(char *buf, size_t size, const char *fmt, ...)
{
        size_t len = strnlen(buf, size);
        va_list ap;

        if (len + 1 >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
        va_list ap;

        if (!why || !size)
                return;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
}

static bool in_names(const struct cond *c, const char *v)
{
        if (!v)
                return false;
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->names[i], v) == 0)
                        return true;
        return false;
}

static const char *one_of(const struct cond *c)
{
        return c->n > 1 ? "one of " : "";
}

/* service, user, target-user: one value against the list. */
static int eval_value(const struct cond *c, const char *what, const char *v, char *why, size_t size)
{
        if (in_names(c, v)) {
                say(why, size, "%s is '%s'", what, v);
                return 1;
        }
        if (!v)
                say(why, size, "no %s given, rule wants %s%s", what, one_of(c), c->spec);
        else
                say(why, size, "%s is '%.64s', not %s%s", what, v, one_of(c), c->spec);
        return 0;
}

static const char *member_of(const struct cond *c, const char *const *groups, size_t n)
{
        for (size_t i = 0; groups && i < n; i++)
                if (in_names(c, groups[i]))
                        return groups[i];
        return NULL;
}

static int eval_group(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        const char *user = rq->user ? rq->user : "(none)";
        const char *g = member_of(c, rq->groups, rq->ngroups);

        if (g)
                say(why, size, "user '%.64s' is in group %s", user, g);
        else if (c->n > 1)
                say(why, size, "user '%.64s' is in none of the groups %s", user, c->spec);
        else
                say(why, size, "user '%.64s' is not in group %s", user, c->spec);
        return g != NULL;
}

static int eval_target_group(const struct cond *c, const struct su_request *rq, char *why,
                             size_t size)
{
        const char *g;

        if (in_names(c, rq->target_group)) {
                say(why, size, "target group is '%s'", rq->target_group);
                return 1;
        }
        g = member_of(c, rq->target_groups, rq->ntarget_groups);
        if (g) {
                say(why, size, "target user is in group %s", g);
                return 1;
        }
        say(why, size, "neither the target group nor the target user's groups include %s%s",
            one_of(c), c->spec);
        return 0;
}

static int eval_command(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        bool m = cmd_match(&c->cmd, rq);
        const char *cmd = rq->command;

        /* Which program an unresolved command runs is not known, so neither is whether it
         * matches a path pattern.  It counts as a shell (cmd_match) and is never sudoedit. */
        if (c->cmd.kind == CMD_PATH && cmd && rq->command_unresolved) {
                say(why, size,
                    "command '%.64s' cannot be resolved (%.80s), so %s may or may not match", cmd,
                    rq->command_why ? rq->command_why : "an exec wrapper", c->spec);
                return COND_UNKNOWN;
        }
        if (c->cmd.kind == CMD_SHELL && cmd && rq->command_unresolved) {
                say(why, size, "command cannot be resolved (%.80s), so it counts as a shell",
                    rq->command_why ? rq->command_why : "an exec wrapper");
                return 1;
        }

        switch (c->cmd.kind) {
        case CMD_SHELL:
                say(why, size, m ? "command is a shell" : "command is not a shell");
                break;
        case CMD_SUDOEDIT:
                if (!rq->command_is_sudoedit)
                        say(why, size, "command is not sudoedit");
                else
                        say(why, size, "command '%.96s' %s %s", cmd ? cmd : "",
                            m ? "matches" : "does not match", c->spec);
                break;
        case CMD_PATH:
                if (!cmd)
                        say(why, size, "no command, rule wants %s", c->spec);
                else
                        say(why, size, "command '%.96s' %s %s", cmd,
                            m ? "matches" : "does not match", c->spec);
                break;
        }
        return m;
}

static int eval_rhost(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        const char *h = rq->rhost;

        for (size_t i = 0; i < c->n; i++)
                if (host_match(&c->hosts[i], h)) {
                        say(why, size, "rhost '%.64s' matches %s", h, c->hosts[i].text);
                        return 1;
                }
        if (!h || !*h)
                say(why, size, "no remote host (a local request), rule wants %s", c->spec);
        else
                say(why, size, "rhost '%.64s' does not match %s", h, c->spec);
        return 0;
}

static int eval_clock(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        struct tm tm;
        unsigned minute;

        /* A clock we cannot read must not quietly turn a rule off: refuse to decide. */
        if (!localtime_r(&rq->now, &tm))
                return -EOVERFLOW;
        if (c->kind == COND_WEEKDAY) {
                bool m = (c->weekdays >> tm.tm_wday) & 1;
                say(why, size, "day is %s%s%s", weekday_name(tm.tm_wday), m ? ", in " : ", not ",
                    c->spec);
                return m;
        }
        minute = (unsigned)(tm.tm_hour * 60 + tm.tm_min);
        for (size_t i = 0; i < c->n; i++)
                if (time_range_contains(&c->times[i], minute)) {
                        say(why, size, "local time %02d:%02d is within %s", tm.tm_hour, tm.tm_min,
                            c->spec);
                        return 1;
                }
        say(why, size, "local time %02d:%02d is outside %s", tm.tm_hour, tm.tm_min, c->spec);
        return 0;
}

/* and/or: stop at the first kid that decides; explain with that kid, or with all of them.
 * An unknown kid leaves the result unknown unless a later kid decides it. */
static int eval_chain(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        int decisive = c->kind == COND_AND ? 0 : 1;
        bool unknown = false;
        char tmp[WHY_MAX];

        if (why && size)
                why[0] = '\0';
        for (size_t i = 0; i < c->n; i++) {
                int r;

                tmp[0] = '\0';
                r = cond_eval(c->kids[i], rq, why ? tmp : NULL, sizeof(tmp));
                if (r < 0)
                        return r;
                if (r == decisive) {
                        say(why, size, "%s", tmp);
                        return r;
                }
                if (r == COND_UNKNOWN)
                        unknown = true;
                if (why)
                        buf_append(why, size, "%s%s", i ? "; " : "", tmp);
        }
        return unknown ? COND_UNKNOWN : !decisive;
}

int cond_eval(const struct cond *c, const struct su_request *rq, char *why, size_t size)
{
        int r;

        switch (c->kind) {
        case COND_AND:
        case COND_OR:
                return eval_chain(c, rq, why, size);
        case COND_NOT:
                r = cond_eval(c->kids[0], rq, why, size);
                if (r == 1 && why)
                        buf_append(why, size, ", but the rule says not");
                else if (r == 0 && why)
                        buf_append(why, size, ", and the rule says not");
                else if (r == COND_UNKNOWN && why)
                        buf_append(why, size, ", and 'not' of that is as unknown");
                return r < 0 || r == COND_UNKNOWN ? r : !r;
        case COND_SERVICE:
                return eval_value(c, "service", rq->service, why, size);
        case COND_USER:
                return eval_value(c, "user", rq->user, why, size);
        case COND_TARGET_USER:
                return eval_value(c, "target user", rq->target_user, why, size);
        case COND_GROUP:
                return eval_group(c, rq, why, size);
        case COND_TARGET_GROUP:
                return eval_target_group(c, rq, why, size);
        case COND_COMMAND:
                return eval_command(c, rq, why, size);
        case COND_RHOST:
                return eval_rhost(c, rq, why, size);
        case COND_REMOTE:
                say(why, size, rq->remote ? "the session is remote" : "the session is not remote");
                return rq->remote;
        case COND_TTY:
                if (rq->tty && *rq->tty) {
                        say(why, size, "a tty is present ('%.32s')", rq->tty);
                        return 1;
                }
                say(why, size, "no tty");
                return 0;
        case COND_TIME:
        case COND_WEEKDAY:
                return eval_clock(c, rq, why, size);
        }
        return -EINVAL;
}
