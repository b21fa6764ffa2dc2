/* The parser's cursor over one logical line, shared by the rule parser (parser.c) and the
 * condition parser (cond_parse.c).  Every parse_* function returns 0, -EINVAL after it has
 * reported an error (the rule is dropped), or -ENOMEM. */
#pragma once

#include "lexer.h"

struct parser {
        struct source *src;
        const struct token *t; /* the line's tokens; the last one is TOK_EOL */
        size_t n, i;
};

const struct token *peek(const struct parser *ps);
const struct token *take(struct parser *ps);          /* never moves past TOK_EOL */
bool tok_is(const struct token *t, const char *word); /* an unquoted word */
/* "'word'", "string \"...\"", "'('", "end of line": for "found ..." in messages. */
const char *tok_describe(const struct token *t, char *buf, size_t size);

/* 'when' has been taken: parse the condition through to the end of the line. */
int parse_when(struct parser *ps, struct cond **ret);
