/* Rule parser: one logical line is one rule.
 *     allow [when COND]
 *     deny ["reason"] [when COND]
 *     require FACTORS [within D] [idle D] [scope S] [failmode F] [message "text"] [when COND]
 * Options may come in any order but at most once each, and only on require; 'when' is last.
 * A rule with an error is reported and dropped, and parsing resumes at the next line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define FACTOR_LIST "totp, question, recovery or idp"

enum opt { OPT_WITHIN, OPT_IDLE, OPT_SCOPE, OPT_FAILMODE, OPT_MESSAGE, OPT_COUNT };
static const char *const opt_names[OPT_COUNT] = {"within", "idle", "scope", "failmode", "message"};

const struct token *peek(const struct parser *ps)
{
        return &ps->t[ps->i];
}

const struct token *take(struct parser *ps)
{
        const struct token *t = &ps->t[ps->i];

        if (t->type != TOK_EOL)
                ps->i++;
        return t;
}

bool tok_is(const struct token *t, const char *word)
{
        return t->type == TOK_WORD && strcmp(t->s, word) == 0;
}

const char *tok_describe(const struct token *t, char *buf, size_t size)
{
        static const char *const punct[] = {
            [TOK_EOL] = "end of line", [TOK_LPAREN] = "'('", [TOK_RPAREN] = "')'",
            [TOK_COMMA] = "','",       [TOK_PLUS] = "'+'",   [TOK_PIPE] = "'|'",
        };

        if (t->type == TOK_WORD)
                snprintf(buf, size, "'%.64s'%s", t->s, t->len > 64 ? "..." : "");
        else if (t->type == TOK_STRING)
                snprintf(buf, size, "string \"%.48s\"%s", t->s, t->len > 48 ? "..." : "");
        else
                snprintf(buf, size, "%s", punct[t->type]);
        return buf;
}

static int find_option(const struct token *t)
{
        for (int i = 0; i < OPT_COUNT; i++)
                if (tok_is(t, opt_names[i]))
                        return i;
        return -1;
}

/* ---- factor expressions:  or := and ('|' and)* ;  and := atom ('+' atom)* ---- */

static int parse_factor_or(struct parser *ps, unsigned depth, struct dnf *ret);

static int factor_combine(struct parser *ps, const struct token *op, struct dnf *a,
                          const struct dnf *b, bool all)
{
        if ((all ? dnf_and(a, b) : dnf_or(a, b)) == 0)
                return 0;
        src_error(ps->src, &op->at, "factor expression has more than %d alternatives",
                  SU_FACTOR_SETS_MAX);
        return -EINVAL;
}

static int parse_factor_atom(struct parser *ps, unsigned depth, struct dnf *ret)
{
        const struct token *t = take(ps), *close;
        char found[96];
        int bit, r;

        if (t->type == TOK_LPAREN) {
                if (depth >= POLICY_MAX_DEPTH) {
                        src_error(ps->src, &t->at,
                                  "factor expression nested too deeply (max %d levels)",
                                  POLICY_MAX_DEPTH);
                        return -EINVAL;
                }
                r = parse_factor_or(ps, depth + 1, ret);
                if (r < 0)
                        return r;
                close = take(ps);
                if (close->type != TOK_RPAREN) {
                        src_error(ps->src, &close->at,
                                  "expected ')' to close the '(' at column %u, found %s", t->at.col,
                                  tok_describe(close, found, sizeof(found)));
                        return -EINVAL;
                }
                return 0;
        }
        if (t->type == TOK_WORD && find_option(t) < 0 && !tok_is(t, "when")) {
                bit = su_factor_from_name(t->s);
                if (bit < 0) {
                        src_error(ps->src, &t->at, "unknown factor '%s' (expected " FACTOR_LIST ")",
                                  t->s);
                        return -EINVAL;
                }
                ret->n = 1;
                ret->set[0] = (uint32_t)bit;
                return 0;
        }
        src_error(ps->src, &t->at, "expected a factor (" FACTOR_LIST "), found %s",
                  tok_describe(t, found, sizeof(found)));
        return -EINVAL;
}

static int parse_factor_and(struct parser *ps, unsigned depth, struct dnf *ret)
{
        struct dnf rhs;
        int r;

        r = parse_factor_atom(ps, depth, ret);
        while (r == 0 && peek(ps)->type == TOK_PLUS) {
                const struct token *op = take(ps);
                r = parse_factor_atom(ps, depth, &rhs);
                if (r == 0)
                        r = factor_combine(ps, op, ret, &rhs, true);
        }
        return r;
}

static int parse_factor_or(struct parser *ps, unsigned depth, struct dnf *ret)
{
        struct dnf rhs;
        int r;

        r = parse_factor_and(ps, depth, ret);
        while (r == 0 && peek(ps)->type == TOK_PIPE) {
                const struct token *op = take(ps);
                r = parse_factor_and(ps, depth, &rhs);
                if (r == 0)
                        r = factor_combine(ps, op, ret, &rhs, false);
        }
        return r;
}

/* ---- options ---- */

static int parse_duration_value(struct parser *ps, const struct token *opt, uint64_t *ret)
{
        const struct token *v = take(ps);
        char found[96], max[32];

        if (v->type != TOK_WORD) {
                src_error(ps->src, &v->at,
                          "expected a duration after '%s' (e.g. 30s, 15m, 1h30m or 0), found %s",
                          opt->s, tok_describe(v, found, sizeof(found)));
                return -EINVAL;
        }
        switch (duration_parse(v->s, ret)) {
        case 0:
                return 0;
        case -ERANGE:
                duration_format(SU_DURATION_MAX_S, max, sizeof(max));
                src_error(ps->src, &v->at, "duration overflow: '%s' is longer than %s", v->s, max);
                return -EINVAL;
        case -EDOM:
                src_error(ps->src, &v->at, "duration '%s' needs a unit (s, m, h or d)", v->s);
                return -EINVAL;
        default:
                src_error(ps->src, &v->at,
                          "bad duration '%s' (expected e.g. 30s, 15m, 1h30m, 2d or 0; units in "
                          "decreasing order)",
                          v->s);
                return -EINVAL;
        }
}

/* A keyword value from a fixed list; values[i] maps to results[i]. */
static int parse_choice(struct parser *ps, const struct token *opt, const char *const *values,
                        const int *results, size_t n, const char *expected, int *ret)
{
        const struct token *v = take(ps);
        char found[96];

        for (size_t i = 0; i < n; i++)
                if (tok_is(v, values[i])) {
                        *ret = results[i];
                        return 0;
                }
        if (v->type == TOK_WORD)
                src_error(ps->src, &v->at, "unknown %s '%s' (expected %s)", opt->s, v->s, expected);
        else
                src_error(ps->src, &v->at, "expected a %s (%s), found %s", opt->s, expected,
                          tok_describe(v, found, sizeof(found)));
        return -EINVAL;
}

/* The quoted string after opt ('message', or 'deny' for its reason); what names it. */
static int parse_string_value(struct parser *ps, const struct token *opt, const char *what,
                              char **ret)
{
        const struct token *v = take(ps);
        char found[96];

        if (v->type != TOK_STRING) {
                src_error(ps->src, &v->at, "expected a quoted string after '%s', found %s", opt->s,
                          tok_describe(v, found, sizeof(found)));
                return -EINVAL;
        }
        if (v->len > POLICY_MAX_STRING) {
                src_error(ps->src, &v->at, "%s too long (%zu bytes, max %d)", what, v->len,
                          POLICY_MAX_STRING);
                return -EINVAL;
        }
        *ret = strdup(v->s);
        return *ret ? 0 : -ENOMEM;
}

static int parse_option(struct parser *ps, const struct token *opt, int o, struct rule *r)
{
        static const char *const scopes[] = {"tty", "session", "user"};
        static const int scope_v[] = {SU_SCOPE_TTY, SU_SCOPE_SESSION, SU_SCOPE_USER};
        static const char *const modes[] = {"secure", "safe"};
        static const int mode_v[] = {SU_FAILMODE_SECURE, SU_FAILMODE_SAFE};
        int v = 0, ret;

        switch (o) {
        case OPT_WITHIN:
                return parse_duration_value(ps, opt, &r->within_s);
        case OPT_IDLE:
                return parse_duration_value(ps, opt, &r->idle_s);
        case OPT_SCOPE:
                ret = parse_choice(ps, opt, scopes, scope_v, 3, "tty, session or user", &v);
                r->scope = (enum su_scope)v;
                return ret;
        case OPT_FAILMODE:
                ret = parse_choice(ps, opt, modes, mode_v, 2, "secure or safe", &v);
                r->failmode = ret == 0 ? (enum su_failmode)v : SU_FAILMODE_DEFAULT;
                return ret;
        default:
                return parse_string_value(ps, opt, "message", &r->message);
        }
}

/* within/idle make sense only together in one order: a step-up is never "fresh" for longer
 * than it is valid. */
static int check_idle(struct parser *ps, const struct rule *r, const struct srcpos *idle_at,
                      bool within_given)
{
        char a[32], b[32];

        if (!idle_at || r->idle_s == 0)
                return 0;
        if (r->within_s == 0) {
                src_error(ps->src, idle_at,
                          "'idle' conflicts with 'within 0' (a step-up is asked every time, so "
                          "there is nothing to expire)");
                return -EINVAL;
        }
        if (r->idle_s > r->within_s) {
                duration_format(r->idle_s, a, sizeof(a));
                duration_format(r->within_s, b, sizeof(b));
                src_error(ps->src, idle_at,
                          "'idle %s' conflicts with 'within %s'%s: idle must not "
                          "be longer",
                          a, b, within_given ? "" : " (the default)");
                return -EINVAL;
        }
        return 0;
}

static int parse_require(struct parser *ps, struct rule *r)
{
        struct srcpos seen[OPT_COUNT];
        bool given[OPT_COUNT] = {false};
        struct dnf d;
        char found[96];
        int ret;

        ret = parse_factor_or(ps, 0, &d);
        if (ret < 0)
                return ret;
        memcpy(r->factor_sets, d.set, sizeof(d.set));
        r->nfactor_sets = d.n;
        r->within_s = POLICY_DEFAULT_WITHIN_S;

        for (;;) {
                const struct token *t = take(ps);
                int o;

                if (t->type == TOK_EOL)
                        break;
                if (tok_is(t, "when")) {
                        ret = parse_when(ps, &r->when);
                        if (ret < 0)
                                return ret;
                        break;
                }
                o = find_option(t);
                if (o < 0) {
                        if (t->type == TOK_WORD && su_factor_from_name(t->s) >= 0)
                                src_error(ps->src, &t->at,
                                          "unexpected factor '%s' (join factors with '+' for all "
                                          "of them or '|' for any one)",
                                          t->s);
                        else
                                src_error(ps->src, &t->at,
                                          "unexpected %s (expected within, idle, scope, failmode, "
                                          "message, when or end of line)",
                                          tok_describe(t, found, sizeof(found)));
                        return -EINVAL;
                }
                if (given[o]) {
                        src_error(ps->src, &t->at, "'%s' given twice (first at %u:%u)", t->s,
                                  seen[o].line, seen[o].col);
                        return -EINVAL;
                }
                given[o] = true;
                seen[o] = t->at;
                ret = parse_option(ps, t, o, r);
                if (ret < 0)
                        return ret;
        }
        return check_idle(ps, r, given[OPT_IDLE] ? &seen[OPT_IDLE] : NULL, given[OPT_WITHIN]);
}

/* After allow or deny: nothing, or 'when COND'. */
static int parse_plain_tail(struct parser *ps, const struct token *kw, struct rule *r)
{
        const struct token *t = take(ps);
        char found[96];

        if (t->type == TOK_EOL)
                return 0;
        if (tok_is(t, "when"))
                return parse_when(ps, &r->when);
        if (tok_is(t, "message") && r->action == SU_ACTION_DENY)
                src_error(ps->src, &t->at,
                          "'message' is only valid in require rules (give a deny reason as a "
                          "quoted string right after 'deny')");
        else if (find_option(t) >= 0)
                src_error(ps->src, &t->at, "'%s' is only valid in require rules, not in %s rules",
                          t->s, kw->s);
        else if (r->action == SU_ACTION_DENY && !r->reason)
                src_error(ps->src, &t->at,
                          "unexpected %s after 'deny' (expected a quoted reason, when or end of "
                          "line)",
                          tok_describe(t, found, sizeof(found)));
        else
                src_error(ps->src, &t->at, "unexpected %s (expected when or end of line)",
                          tok_describe(t, found, sizeof(found)));
        return -EINVAL;
}

static int parse_rule(struct parser *ps, struct rule *r)
{
        const struct token *kw = take(ps);
        char found[96];
        int ret;

        if (tok_is(kw, "allow")) {
                r->action = SU_ACTION_ALLOW;
                return parse_plain_tail(ps, kw, r);
        }
        if (tok_is(kw, "deny")) {
                r->action = SU_ACTION_DENY;
                if (peek(ps)->type == TOK_STRING) {
                        ret = parse_string_value(ps, kw, "deny reason", &r->reason);
                        if (ret < 0)
                                return ret;
                }
                return parse_plain_tail(ps, kw, r);
        }
        if (tok_is(kw, "require")) {
                r->action = SU_ACTION_REQUIRE;
                return parse_require(ps, r);
        }
        if (kw->type == TOK_WORD)
                src_error(ps->src, &kw->at,
                          "unknown keyword '%s' (expected allow, deny or require)", kw->s);
        else
                src_error(ps->src, &kw->at, "expected allow, deny or require, found %s",
                          tok_describe(kw, found, sizeof(found)));
        return -EINVAL;
}

int policy_parse_into(struct su_policy *p, struct source *src)
{
        struct tokens toks = {NULL, 0, 0};
        struct lexer lx;
        const char *file;
        bool ok;
        int r;

        file = policy_intern_file(p, src->name);
        if (!file)
                return -ENOMEM;
        lexer_init(&lx, src);
        while ((r = lex_line(&lx, &toks, &ok)) > 0) {
                const struct token *first = &toks.v[0];
                struct parser ps = {src, toks.v, toks.n, 0};
                struct rule rule = {.file = file, .line = first->at.line};

                if (!ok || first->type == TOK_EOL)
                        continue; /* a lexical error was reported, or a blank/comment line */
                if (p->nrules >= POLICY_MAX_RULES) {
                        src_error(src, &first->at, "too many rules (max %d)", POLICY_MAX_RULES);
                        break;
                }
                r = parse_rule(&ps, &rule);
                if (r < 0) {
                        rule_clear(&rule);
                        if (r == -EINVAL)
                                continue;
                        break;
                }
                if (p->has_catchall)
                        src_warning(src, &first->at,
                                    "rule is unreachable: the rule at %s:%u has no 'when' and "
                                    "matches every request",
                                    p->catchall_file, p->catchall_line);
                else if (!rule.when) {
                        p->has_catchall = true;
                        p->catchall_file = file;
                        p->catchall_line = rule.line;
                }
                r = policy_add_rule(p, &rule);
                if (r < 0)
                        break;
        }
        tokens_free(&toks);
        if (r >= 0 && src->oom)
                r = -ENOMEM;
        return r < 0 ? r : 0;
}
