/* Lexer: splits text into physical lines, joins lines ending in a backslash, and cuts each
 * logical line into tokens.  Every byte is checked here (control characters, unterminated
 * strings, over-long lines) so the parser only ever sees clean tokens. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

void lexer_init(struct lexer *lx, struct source *src)
{
        memset(lx, 0, sizeof(*lx));
        lx->src = src;
}

void tokens_clear(struct tokens *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->v[i].s);
        t->n = 0;
}

void tokens_free(struct tokens *t)
{
        tokens_clear(t);
        free(t->v);
        memset(t, 0, sizeof(*t));
}

static int push(struct tokens *t, enum tok_type type, const char *s, size_t len,
                const struct srcpos *at, size_t end)
{
        struct token *k;

        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                struct token *v = realloc(t->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                t->v = v;
                t->cap = cap;
        }
        k = &t->v[t->n];
        memset(k, 0, sizeof(*k));
        k->type = type;
        k->at = *at;
        k->end = (unsigned)end + 1;
        if (s) {
                k->s = malloc(len + 1);
                if (!k->s)
                        return -ENOMEM;
                memcpy(k->s, s, len);
                k->s[len] = '\0';
                k->len = len;
        }
        t->n++;
        return 0;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t';
}

static bool is_control(unsigned char c)
{
        return c < 0x20 || c == 0x7f;
}

static bool is_punct(char c)
{
        return c == '(' || c == ')' || c == ',' || c == '+' || c == '|';
}

static bool ends_word(char c)
{
        return is_blank(c) || is_punct(c) || c == '"' || c == '\\' || is_control((unsigned char)c);
}

/* Take the next physical line; a CR before the LF is accepted and dropped. */
static bool next_physical(struct lexer *lx, struct srcpos *ln)
{
        const struct source *s = lx->src;
        const char *nl;
        size_t end;

        if (lx->pos >= s->len)
                return false;
        nl = memchr(s->text + lx->pos, '\n', s->len - lx->pos);
        end = nl ? (size_t)(nl - s->text) : s->len;
        ln->line = ++lx->line;
        ln->col = 0;
        ln->line_off = lx->pos;
        lx->pos = nl ? end + 1 : s->len;
        if (end > ln->line_off && s->text[end - 1] == '\r')
                end--;
        ln->line_len = end - ln->line_off;
        return true;
}

/* Whether a line we could not lex still asks to be continued: its last non-blank byte is a
 * backslash.  Used only to skip the rest of a broken rule. */
static bool raw_continues(const struct lexer *lx, const struct srcpos *ln)
{
        const char *p = lx->src->text + ln->line_off;
        size_t n = ln->line_len;

        while (n > 0 && is_blank(p[n - 1]))
                n--;
        return n > 0 && p[n - 1] == '\\';
}

/* A quoted string starting at p[i] == '"'.  Returns the index after the closing quote, or -1
 * after reporting an error. */
static long lex_string(struct lexer *lx, const struct srcpos *ln, const char *p, size_t n, size_t i,
                       struct tokens *out, int *err)
{
        struct srcpos at = *ln;
        char *buf;
        size_t len = 0;

        buf = malloc(n - i); /* the unescaped text is never longer than the rest of the line */
        if (!buf) {
                *err = -ENOMEM;
                return -1;
        }
        for (size_t j = i + 1; j < n; j++) {
                unsigned char c = (unsigned char)p[j];

                at.col = (unsigned)j + 1;
                if (c == '"') {
                        at.col = (unsigned)i + 1;
                        *err = push(out, TOK_STRING, buf, len, &at, j + 1);
                        free(buf);
                        return *err < 0 ? -1 : (long)j + 1;
                }
                if (c == '\\' && j + 1 < n) {
                        unsigned char e = (unsigned char)p[j + 1];
                        if (e != '"' && e != '\\') {
                                if (is_control(e)) {
                                        at.col++; /* point at the character, not the '\\' */
                                        src_error(lx->src, &at,
                                                  "invalid character 0x%02x in string", e);
                                } else
                                        src_error(lx->src, &at,
                                                  "unknown escape '\\%c' in string (only \\\" and "
                                                  "\\\\ are allowed)",
                                                  e);
                                free(buf);
                                return -1;
                        }
                        buf[len++] = (char)e;
                        j++;
                        continue;
                }
                if (c == '\\')
                        break; /* a backslash ending the line inside a string */
                if (is_control(c)) {
                        src_error(lx->src, &at, "invalid character 0x%02x in string", c);
                        free(buf);
                        return -1;
                }
                buf[len++] = (char)c;
        }
        at.col = (unsigned)i + 1;
        src_error(lx->src, &at, "unterminated string (missing closing \")");
        free(buf);
        return -1;
}

/* Tokenise one physical line.  Returns 1 if it ends in a continuation backslash, 0 if not,
 * -EINVAL after reporting a lexical error, -ENOMEM. */
static int lex_physical(struct lexer *lx, const struct srcpos *ln, struct tokens *out)
{
        const char *p = lx->src->text + ln->line_off;
        size_t n = ln->line_len, i = 0;
        struct srcpos at = *ln;
        int r;

        if (n > POLICY_MAX_LINE) {
                src_error(lx->src, &at, "line too long (%zu bytes, max %d)", n, POLICY_MAX_LINE);
                return -EINVAL;
        }
        while (i < n) {
                unsigned char c = (unsigned char)p[i];

                if (is_blank((char)c)) {
                        i++;
                        continue;
                }
                at.col = (unsigned)i + 1;
                if (c == '#')
                        return 0; /* comment to the end of this physical line */
                if (c == '\\') {
                        size_t j = i + 1;
                        while (j < n && is_blank(p[j]))
                                j++;
                        if (j == n)
                                return 1;
                        src_error(lx->src, &at,
                                  "stray '\\' (a backslash may only end a line, to continue it)");
                        return -EINVAL;
                }
                if (c == '"') {
                        int err = 0;
                        long next = lex_string(lx, ln, p, n, i, out, &err);
                        if (next < 0)
                                return err < 0 ? err : -EINVAL;
                        i = (size_t)next;
                        continue;
                }
                if (is_control(c)) {
                        src_error(lx->src, &at, "invalid character 0x%02x", c);
                        return -EINVAL;
                }
                if (is_punct((char)c)) {
                        static const enum tok_type types[] = {
                            ['('] = TOK_LPAREN, [')'] = TOK_RPAREN, [','] = TOK_COMMA,
                            ['+'] = TOK_PLUS,   ['|'] = TOK_PIPE,
                        };
                        r = push(out, types[c], NULL, 0, &at, i + 1);
                        if (r < 0)
                                return r;
                        i++;
                        continue;
                }
                size_t j = i;
                while (j < n && !ends_word(p[j]))
                        j++;
                r = push(out, TOK_WORD, p + i, j - i, &at, j);
                if (r < 0)
                        return r;
                i = j;
        }
        return 0;
}

int lex_line(struct lexer *lx, struct tokens *out, bool *ok)
{
        struct srcpos ln, end;
        int r;

        tokens_clear(out);
        *ok = true;
        if (!next_physical(lx, &ln))
                return 0;
        for (;;) {
                r = lex_physical(lx, &ln, out);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        /* Resync: drop this rule, including lines it continues onto. */
                        *ok = false;
                        while (raw_continues(lx, &ln) && next_physical(lx, &ln))
                                ;
                        break;
                }
                if (r == 0 || !next_physical(lx, &ln))
                        break;
        }

        /* End of line sits just after the last token, where a missing word would go. */
        end = ln;
        end.col = 1;
        if (out->n > 0) {
                end = out->v[out->n - 1].at;
                end.col = out->v[out->n - 1].end;
        }
        r = push(out, TOK_EOL, NULL, 0, &end, end.col);
        return r < 0 ? r : 1;
}
