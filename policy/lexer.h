/* Tokens of the policy language, one logical line (a rule) at a time. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

enum tok_type {
        TOK_EOL, /* end of the logical line; always the last token */
        TOK_WORD,
        TOK_STRING, /* "quoted", escapes removed */
        TOK_LPAREN,
        TOK_RPAREN,
        TOK_COMMA,
        TOK_PLUS,
        TOK_PIPE,
};

struct token {
        enum tok_type type;
        char *s; /* WORD and STRING text, NUL-terminated; NULL otherwise */
        size_t len;
        struct srcpos at;
        unsigned end; /* column just past the token */
};

struct tokens {
        struct token *v;
        size_t n, cap;
};

struct lexer {
        struct source *src;
        size_t pos;    /* next unread byte */
        unsigned line; /* physical lines read so far */
};

void lexer_init(struct lexer *lx, struct source *src);
/* Read the next logical line.  Returns 1 with the tokens (ending in TOK_EOL) and *ok false if
 * a lexical error was reported (the whole line has then been skipped), 0 at the end of the
 * input, or -ENOMEM. */
int lex_line(struct lexer *lx, struct tokens *out, bool *ok);
void tokens_clear(struct tokens *t);
void tokens_free(struct tokens *t);
