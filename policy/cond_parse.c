/* Conditions after 'when':
 *     or   := and ('or' and)*
 *     and  := unary ('and' unary)*
 *     unary:= 'not' unary | '(' or ')' | leaf
 * and/or nodes are n-ary so a long chain does not make the tree (and the recursion that walks
 * it) deep; only parentheses and 'not' nest, and those are capped at POLICY_MAX_DEPTH. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

#define CONDITION_LIST                                                                             \
        "service, user, group, target-user, target-group, command, rhost, remote, tty, time or "   \
        "weekday"

static const struct {
        const char *kw;
        enum cond_kind kind;
        const char *what; /* one item, for "expected a ..."; NULL: takes no argument */
} leaves[] = {
    {"service", COND_SERVICE, "service name"},
    {"user", COND_USER, "user name"},
    {"group", COND_GROUP, "group name"},
    {"target-user", COND_TARGET_USER, "user name"},
    {"target-group", COND_TARGET_GROUP, "group name"},
    {"command", COND_COMMAND, NULL},
    {"rhost", COND_RHOST, "host name, address or network"},
    {"remote", COND_REMOTE, NULL},
    {"tty", COND_TTY, NULL},
    {"time", COND_TIME, "time range"},
    {"weekday", COND_WEEKDAY, "weekday"},
};

static int parse_or(struct parser *ps, unsigned depth, struct cond **ret);

static bool is_reserved(const char *s)
{
        return strcmp(s, "and") == 0 || strcmp(s, "or") == 0 || strcmp(s, "not") == 0 ||
               strcmp(s, "when") == 0;
}

/* A list item or argument: a quoted string, or a word that is not an operator. */
static bool is_item(const struct token *t)
{
        return t->type == TOK_STRING || (t->type == TOK_WORD && !is_reserved(t->s));
}

static struct cond *cond_new(enum cond_kind kind)
{
        struct cond *c = calloc(1, sizeof(*c));

        if (c)
                c->kind = kind;
        return c;
}

static int add_kid(struct cond *c, struct cond *kid)
{
        struct cond **v = realloc(c->kids, (c->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        c->kids = v;
        c->kids[c->n++] = kid;
        return 0;
}

/* The comma-separated items after kw, as token pointers. */
struct items {
        const struct token **v;
        size_t n;
};

static int parse_items(struct parser *ps, const struct token *kw, const char *what,
                       struct items *it)
{
        char found[96];

        for (;;) {
                const struct token *t = peek(ps), **v;

                if (!is_item(t)) {
                        src_error(ps->src, &t->at, "expected a %s after '%s', found %s", what,
                                  it->n ? "," : kw->s, tok_describe(t, found, sizeof(found)));
                        return -EINVAL;
                }
                v = realloc(it->v, (it->n + 1) * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                it->v = v;
                it->v[it->n++] = take(ps);
                if (peek(ps)->type != TOK_COMMA)
                        return 0;
                take(ps);
        }
}

/* "a,b,c" as written, for explanations. */
static int set_spec(struct cond *c, const struct items *it)
{
        size_t len = 0;
        char *p;

        for (size_t i = 0; i < it->n; i++)
                len += it->v[i]->len + 1;
        c->spec = p = malloc(len + 1);
        if (!p)
                return -ENOMEM;
        for (size_t i = 0; i < it->n; i++) {
                if (i)
                        *p++ = ',';
                memcpy(p, it->v[i]->s, it->v[i]->len);
                p += it->v[i]->len;
        }
        *p = '\0';
        return 0;
}

static int check_name(struct parser *ps, const struct token *t, const char *what)
{
        if (t->len == 0) {
                src_error(ps->src, &t->at, "empty %s", what);
                return -EINVAL;
        }
        if (t->len > POLICY_MAX_NAME) {
                src_error(ps->src, &t->at, "%s too long (%zu bytes, max %d)", what, t->len,
                          POLICY_MAX_NAME);
                return -EINVAL;
        }
        return 0;
}

static int leaf_items(struct parser *ps, struct cond *c, const struct items *it, const char *what)
{
        char err[256];
        int r;

        switch (c->kind) {
        case COND_RHOST:
                c->hosts = calloc(it->n, sizeof(*c->hosts));
                if (!c->hosts)
                        return -ENOMEM;
                break;
        case COND_TIME:
                c->times = calloc(it->n, sizeof(*c->times));
                if (!c->times)
                        return -ENOMEM;
                break;
        case COND_WEEKDAY:
                break;
        default:
                c->names = calloc(it->n, sizeof(*c->names));
                if (!c->names)
                        return -ENOMEM;
                break;
        }
        for (size_t i = 0; i < it->n; i++) {
                const struct token *t = it->v[i];

                switch (c->kind) {
                case COND_RHOST:
                        r = check_name(ps, t, what);
                        if (r < 0)
                                return r;
                        r = host_pattern_parse(t->s, &c->hosts[i], err, sizeof(err));
                        if (r == -EINVAL)
                                src_error(ps->src, &t->at, "%s", err);
                        if (r < 0)
                                return r;
                        c->n = i + 1; /* owns hosts[0..i] from here on */
                        break;
                case COND_TIME:
                        r = time_range_parse(t->s, &c->times[i]);
                        if (r == -EDOM)
                                src_error(ps->src, &t->at,
                                          "empty time range '%s' (use 00:00-24:00 for the whole "
                                          "day)",
                                          t->s);
                        else if (r < 0)
                                src_error(ps->src, &t->at,
                                          "bad time range '%s' (expected HH:MM-HH:MM, e.g. "
                                          "09:00-17:30)",
                                          t->s);
                        if (r < 0)
                                return -EINVAL;
                        c->n = i + 1;
                        break;
                case COND_WEEKDAY:
                        if (weekday_parse(t->s, &c->weekdays) < 0) {
                                src_error(ps->src, &t->at,
                                          "unknown weekday '%s' (expected mon, tue, wed, thu, "
                                          "fri, sat or sun, or a range like mon-fri)",
                                          t->s);
                                return -EINVAL;
                        }
                        break;
                default:
                        r = check_name(ps, t, what);
                        if (r < 0)
                                return r;
                        c->names[i] = strdup(t->s);
                        if (!c->names[i])
                                return -ENOMEM;
                        c->n = i + 1;
                        break;
                }
        }
        return set_spec(c, it);
}

/* command shell | command sudoedit [FILEGLOB] | command /PATHGLOB [ARGGLOB] */
static int parse_command(struct parser *ps, const struct token *kw, struct cond *c)
{
        const struct token *t = peek(ps), *arg = NULL;
        enum cmd_kind kind = CMD_PATH;
        char found[96];
        size_t len;
        int r;

        if (!is_item(t)) {
                src_error(ps->src, &t->at,
                          "expected an absolute command path, 'shell' or 'sudoedit' after "
                          "'command', found %s",
                          tok_describe(t, found, sizeof(found)));
                return -EINVAL;
        }
        take(ps);
        if (tok_is(t, "shell"))
                kind = CMD_SHELL;
        else if (tok_is(t, "sudoedit"))
                kind = CMD_SUDOEDIT;
        else if (t->s[0] != '/') {
                src_error(ps->src, &t->at, "command path '%s' is relative (it must start with '/')",
                          t->s);
                return -EINVAL;
        }
        if (kind != CMD_SHELL && is_item(peek(ps)))
                arg = take(ps);
        if (peek(ps)->type == TOK_COMMA) {
                src_error(ps->src, &peek(ps)->at,
                          "'%s' takes one pattern; combine several commands with 'or'", kw->s);
                return -EINVAL;
        }
        r = cmd_pattern_init(&c->cmd, kind, t->s, arg ? arg->s : NULL);
        if (r < 0)
                return r;
        len = t->len + (arg ? arg->len + 3 : 0) + 1;
        c->spec = malloc(len);
        if (!c->spec)
                return -ENOMEM;
        /* quote an argument glob that would not read back as one word */
        if (arg && (arg->len == 0 || strpbrk(arg->s, " \t")))
                snprintf(c->spec, len, "%s \"%s\"", t->s, arg->s);
        else if (arg)
                snprintf(c->spec, len, "%s %s", t->s, arg->s);
        else
                snprintf(c->spec, len, "%s", t->s);
        return 0;
}

static int parse_leaf(struct parser *ps, struct cond **ret)
{
        const struct token *kw = take(ps);
        struct items it = {NULL, 0};
        struct cond *c;
        size_t k;
        int r;

        for (k = 0; k < sizeof(leaves) / sizeof(leaves[0]); k++)
                if (tok_is(kw, leaves[k].kw))
                        break;
        if (k == sizeof(leaves) / sizeof(leaves[0])) {
                src_error(ps->src, &kw->at, "unknown condition '%s' (expected " CONDITION_LIST ")",
                          kw->s);
                return -EINVAL;
        }
        c = cond_new(leaves[k].kind);
        if (!c)
                return -ENOMEM;
        if (c->kind == COND_COMMAND)
                r = parse_command(ps, kw, c);
        else if (leaves[k].what) {
                r = parse_items(ps, kw, leaves[k].what, &it);
                if (r == 0)
                        r = leaf_items(ps, c, &it, leaves[k].what);
        } else
                r = 0;
        free(it.v);
        if (r < 0) {
                cond_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

static int too_deep(struct parser *ps, const struct token *t, unsigned depth)
{
        if (depth < POLICY_MAX_DEPTH)
                return 0;
        src_error(ps->src, &t->at, "conditions nested too deeply (max %d levels)",
                  POLICY_MAX_DEPTH);
        return -EINVAL;
}

static int parse_unary(struct parser *ps, unsigned depth, struct cond **ret)
{
        const struct token *t = peek(ps), *close;
        struct cond *c, *kid;
        char found[96];
        int r;

        if (tok_is(t, "not")) {
                r = too_deep(ps, t, depth);
                if (r < 0)
                        return r;
                take(ps);
                r = parse_unary(ps, depth + 1, &kid);
                if (r < 0)
                        return r;
                c = cond_new(COND_NOT);
                if (!c || add_kid(c, kid) < 0) {
                        cond_free(kid);
                        cond_free(c);
                        return -ENOMEM;
                }
                *ret = c;
                return 0;
        }
        if (t->type == TOK_LPAREN) {
                r = too_deep(ps, t, depth);
                if (r < 0)
                        return r;
                take(ps);
                r = parse_or(ps, depth + 1, &c);
                if (r < 0)
                        return r;
                close = peek(ps);
                if (close->type != TOK_RPAREN) {
                        src_error(ps->src, &close->at,
                                  "expected ')' to close the '(' at column %u, or 'and' or 'or', "
                                  "found %s",
                                  t->at.col, tok_describe(close, found, sizeof(found)));
                        cond_free(c);
                        return -EINVAL;
                }
                take(ps);
                *ret = c;
                return 0;
        }
        if (t->type == TOK_WORD && !is_reserved(t->s))
                return parse_leaf(ps, ret);
        src_error(ps->src, &t->at, "expected a condition (" CONDITION_LIST "), found %s",
                  tok_describe(t, found, sizeof(found)));
        return -EINVAL;
}

/* One level of and/or: operands separated by op, collected in one n-ary node. */
static int parse_chain(struct parser *ps, unsigned depth, const char *op, enum cond_kind kind,
                       struct cond **ret)
{
        struct cond *first, *node, *kid;
        int r;

        r = kind == COND_OR ? parse_chain(ps, depth, "and", COND_AND, &first)
                            : parse_unary(ps, depth, &first);
        if (r < 0)
                return r;
        if (!tok_is(peek(ps), op)) {
                *ret = first;
                return 0;
        }
        node = cond_new(kind);
        if (!node || add_kid(node, first) < 0) {
                cond_free(first);
                cond_free(node);
                return -ENOMEM;
        }
        while (tok_is(peek(ps), op)) {
                take(ps);
                r = kind == COND_OR ? parse_chain(ps, depth, "and", COND_AND, &kid)
                                    : parse_unary(ps, depth, &kid);
                if (r == 0 && add_kid(node, kid) < 0) {
                        cond_free(kid);
                        r = -ENOMEM;
                }
                if (r < 0) {
                        cond_free(node);
                        return r;
                }
        }
        *ret = node;
        return 0;
}

static int parse_or(struct parser *ps, unsigned depth, struct cond **ret)
{
        return parse_chain(ps, depth, "or", COND_OR, ret);
}

int parse_when(struct parser *ps, struct cond **ret)
{
        const struct token *t;
        struct cond *c;
        char found[96];
        int r;

        r = parse_or(ps, 0, &c);
        if (r < 0)
                return r;
        t = peek(ps);
        if (t->type != TOK_EOL) {
                if (t->type == TOK_RPAREN)
                        src_error(ps->src, &t->at, "')' without a matching '('");
                else
                        src_error(ps->src, &t->at, "expected 'and', 'or' or end of line, found %s",
                                  tok_describe(t, found, sizeof(found)));
                cond_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}
