/* Diagnostics: collecting them and printing them the way compilers do, so an admin sees
 * file:line:column, the message, the line and a caret under the spot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void copy_text(char *dst, size_t size, const char *src, size_t len)
{
        if (len >= size)
                len = size - 1;
        if (src && len)
                memcpy(dst, src, len);
        dst[src ? len : 0] = '\0';
}

int diag_addv(struct su_diags *d, enum su_severity sev, const char *file, unsigned line,
              unsigned col, const char *text, size_t text_len, const char *fmt, va_list ap)
{
        struct su_diag *e;

        if (!d)
                return 0;
        if (sev == SU_DIAG_ERROR)
                d->errors++;
        else
                d->warnings++;

        /* A hostile or broken file could produce one error per line; keep memory bounded and
         * say so in the last stored slot. */
        if (d->n >= POLICY_MAX_DIAGS)
                return 0;
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 8;
                struct su_diag *v = realloc(d->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                d->v = v;
                d->cap = cap;
        }
        e = &d->v[d->n++];
        memset(e, 0, sizeof(*e));
        e->severity = sev;
        copy_text(e->file, sizeof(e->file), file ? file : "(policy)",
                  file ? strlen(file) : strlen("(policy)"));
        e->line = line;
        e->column = col;
        if (d->n == POLICY_MAX_DIAGS) {
                e->line = e->column = 0;
                snprintf(e->message, sizeof(e->message),
                         "too many diagnostics; only the first %d are shown", POLICY_MAX_DIAGS - 1);
                return 0;
        }
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        copy_text(e->text, sizeof(e->text), text, text ? text_len : 0);
        return 0;
}

int diag_add(struct su_diags *d, enum su_severity sev, const char *file, unsigned line,
             unsigned col, const char *text, size_t text_len, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = diag_addv(d, sev, file, line, col, text, text_len, fmt, ap);
        va_end(ap);
        return r;
}

void src_report(struct source *s, enum su_severity sev, const struct srcpos *at, const char *fmt,
                ...)
{
        const char *text = NULL;
        size_t len = 0;
        va_list ap;

        if (sev == SU_DIAG_ERROR)
                s->errors++;
        if (at && at->line > 0) {
                text = s->text + at->line_off;
                len = at->line_len;
        }
        va_start(ap, fmt);
        if (diag_addv(s->diags, sev, s->name, at ? at->line : 0, at ? at->col : 0, text, len, fmt,
                      ap) < 0)
                s->oom = true;
        va_end(ap);
}

void su_diags_free(struct su_diags *d)
{
        if (!d)
                return;
        free(d->v);
        memset(d, 0, sizeof(*d));
}

/* A bounded output cursor: len counts what the full text needs, even past the buffer. */
struct out {
        char *buf;
        size_t size, len;
};

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        if (o->len < o->size)
                n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
        else
                n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n > 0)
                o->len += (size_t)n;
}

static void out_char(struct out *o, char c)
{
        if (o->len + 1 < o->size) {
                o->buf[o->len] = c;
                o->buf[o->len + 1] = '\0';
        }
        o->len++;
}

/* Like snprintf: returns the length the full text needs, so >= size means truncated. */
int su_diag_format(const struct su_diag *d, char *buf, size_t size)
{
        struct out o = {buf, size, 0};
        const char *sev;
        size_t tlen;

        if (!d || (!buf && size))
                return -EINVAL;
        if (size)
                buf[0] = '\0';
        sev = d->severity == SU_DIAG_WARNING ? "warning" : "error";
        if (d->line && d->column)
                out_printf(&o, "%s:%u:%u: ", d->file, d->line, d->column);
        else if (d->line)
                out_printf(&o, "%s:%u: ", d->file, d->line);
        else
                out_printf(&o, "%s: ", d->file);
        out_printf(&o, "%s: %s\n", sev, d->message);

        if (d->line && d->text[0]) {
                /* The line without its indentation, then a caret under the column.  Tabs
                 * after the indentation are copied into the caret line so it stays aligned
                 * whatever the terminal's tab width. */
                size_t skip = strspn(d->text, " \t"), col = d->column ? d->column - 1 : 0;
                const char *text = d->text + skip;

                tlen = strlen(text);
                if (tlen == 0)
                        return o.len > INT32_MAX ? -EOVERFLOW : (int)o.len;
                out_printf(&o, "    %s\n", text);
                if (d->column) {
                        col = col > skip ? col - skip : 0;
                        out_printf(&o, "    ");
                        for (size_t i = 0; i < col; i++)
                                out_char(&o, i < tlen && text[i] == '\t' ? '\t' : ' ');
                        out_printf(&o, "^\n");
                }
        }
        return o.len > INT32_MAX ? -EOVERFLOW : (int)o.len;
}
