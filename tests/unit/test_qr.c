/* Unit tests for common/qr_text.c */
#include "qr_text.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "check.h"

/* Renders text into a malloc'ed string; returns su_qr_print's result. */
static int render(const char *text, bool utf8, char **ret)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (!f)
                return -errno;
        r = su_qr_print(f, text, utf8);
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        *ret = buf;
        return r;
}

static int count_lines(const char *s)
{
        int n = 0;

        for (; *s; s++)
                if (*s == '\n')
                        n++;
        return n;
}

/* Pointer to the start of line i (0-based) or NULL; *len gets its length without '\n'. */
static const char *nth_line(const char *s, int i, size_t *len)
{
        for (; i > 0 && s; i--) {
                s = strchr(s, '\n');
                if (s)
                        s++;
        }
        if (!s || !*s)
                return NULL;
        *len = strcspn(s, "\n");
        return s;
}

static char *repeat(const char *unit, int times)
{
        size_t u = strlen(unit);
        char *s = malloc(u * (size_t)times + 1);

        if (!s)
                abort();
        for (int i = 0; i < times; i++)
                memcpy(s + u * (size_t)i, unit, u);
        s[u * (size_t)times] = '\0';
        return s;
}

static int utf8_columns(const char *s, size_t len)
{
        int cols = 0;

        for (size_t i = 0; i < len; i++)
                if (((unsigned char)s[i] & 0xc0) != 0x80)
                        cols++;
        return cols;
}

static void test_plain(const char *text, int width)
{
        int total = width + 2 * SU_QR_QUIET_ZONE;
        char *out = NULL, *quiet, *expect;
        const char *l;
        size_t len;

        CHECK_INT(render(text, false, &out), 0);
        if (!out)
                return;
        CHECK_INT(count_lines(out), total);

        /* the quiet zone rows are all light */
        quiet = repeat("##", total);
        l = nth_line(out, 0, &len);
        CHECK(l && len == strlen(quiet) && memcmp(l, quiet, len) == 0);
        l = nth_line(out, 1, &len);
        CHECK(l && len == strlen(quiet) && memcmp(l, quiet, len) == 0);
        l = nth_line(out, total - 1, &len);
        CHECK(l && len == strlen(quiet) && memcmp(l, quiet, len) == 0);
        free(quiet);

        /* first symbol row: quiet zone, the 7 dark modules of the top-left finder pattern,
         * its light separator; at the right end the top-right finder pattern mirrored */
        l = nth_line(out, SU_QR_QUIET_ZONE, &len);
        CHECK(l && len == (size_t)total * 2);
        if (l && len == (size_t)total * 2) {
                expect = "####              ##";
                CHECK(memcmp(l, expect, strlen(expect)) == 0);
                expect = "##              ####";
                CHECK(memcmp(l + len - strlen(expect), expect, strlen(expect)) == 0);
        }
        /* second symbol row: dark, 5 light, dark */
        l = nth_line(out, SU_QR_QUIET_ZONE + 1, &len);
        if (l) {
                expect = "####  ##########  ##";
                CHECK(memcmp(l, expect, strlen(expect)) == 0);
        }
        free(out);
}

static void test_utf8(const char *text, int width)
{
        int total = width + 2 * SU_QR_QUIET_ZONE;
        char *out = NULL, *full;
        const char *l;
        size_t len;

        CHECK_INT(render(text, true, &out), 0);
        if (!out)
                return;
        CHECK_INT(count_lines(out), (total + 1) / 2);
        for (int i = 0; i < (total + 1) / 2; i++) {
                l = nth_line(out, i, &len);
                CHECK(l && utf8_columns(l, len) == total);
        }
        /* line 0 = the two quiet rows */
        full = repeat("\xe2\x96\x88", total);
        l = nth_line(out, 0, &len);
        CHECK(l && len == strlen(full) && memcmp(l, full, len) == 0);
        free(full);
        /* line 1 = symbol rows 0 and 1: quiet "██", finder: " ", "▄" x5, " ", separator "█" */
        l = nth_line(out, 1, &len);
        if (l) {
                const char *expect = "\xe2\x96\x88\xe2\x96\x88 "
                                     "\xe2\x96\x84\xe2\x96\x84\xe2\x96\x84\xe2\x96\x84\xe2\x96\x84"
                                     " \xe2\x96\x88";
                CHECK(len >= strlen(expect) && memcmp(l, expect, strlen(expect)) == 0);
        }
        /* width + 4 is odd: the last line holds only the last quiet row, as upper halves */
        CHECK(total % 2 == 1);
        full = repeat("\xe2\x96\x80", total);
        l = nth_line(out, (total + 1) / 2 - 1, &len);
        CHECK(l && len == strlen(full) && memcmp(l, full, len) == 0);
        free(full);
        free(out);
}

static int symbol_width(const char *text)
{
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        int w = qr ? qr->width : -1;

        QRcode_free(qr);
        return w;
}

int main(void)
{
        static const char uri[] = "otpauth://totp/Example:alice?secret="
                                  "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example";
        char big[8000];
        char *out = NULL;

        /* "stepup" fits version 1 (21 modules) at level M */
        CHECK_INT(symbol_width("stepup"), 21);
        test_plain("stepup", 21);
        test_utf8("stepup", 21);

        /* a realistic otpauth URI needs a larger version */
        int w = symbol_width(uri);
        CHECK(w > 21 && (w - 17) % 4 == 0);
        test_plain(uri, w);
        test_utf8(uri, w);

        /* too long for any QR code */
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CHECK_INT(render(big, true, &out), -ERANGE);
        free(out);

        CHECK_INT(su_qr_print(NULL, "x", true), -EINVAL);
        CHECK_INT(su_qr_print(stdout, NULL, true), -EINVAL);

        /* su_qr_text: the same text in a string (stepupd puts it in a prompt) */
        char *printed = NULL, *text = NULL;
        CHECK_INT(render(uri, true, &printed), 0);
        CHECK_INT(su_qr_text(uri, true, &text), 0);
        CHECK(printed && text && strcmp(printed, text) == 0);
        free(printed);
        free(text);
        text = (char *)"untouched";
        CHECK_INT(su_qr_text(big, true, &text), -ERANGE);
        CHECK(text == NULL);
        CHECK_INT(su_qr_text(NULL, true, &text), -EINVAL);
        CHECK_INT(su_qr_text("x", true, NULL), -EINVAL);
        return check_done();
}
