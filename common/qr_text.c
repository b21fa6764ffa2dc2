/* Terminal QR codes: otpauth:// URIs (enrolment), verification URIs (the idp factor). */
#include "qr_text.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#define QR_WIDTH_MAX 177 /* version 40 */
#define LINE_MODULES_MAX (QR_WIDTH_MAX + 2 * SU_QR_QUIET_ZONE)

#define UTF8_FULL "\xe2\x96\x88"  /* U+2588 FULL BLOCK */
#define UTF8_UPPER "\xe2\x96\x80" /* U+2580 UPPER HALF BLOCK */
#define UTF8_LOWER "\xe2\x96\x84" /* U+2584 LOWER HALF BLOCK */

/* Light module at (x, y) in quiet-zone coordinates; everything outside the symbol, the
 * quiet zone, is light, except below the last row of the quiet zone (the terminal itself). */
static bool light(const QRcode *qr, int x, int y)
{
        int total = qr->width + 2 * SU_QR_QUIET_ZONE;

        if (y >= total)
                return false;
        x -= SU_QR_QUIET_ZONE;
        y -= SU_QR_QUIET_ZONE;
        if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
                return true;
        /* libqrencode: bit 0 of each byte is 1 for a dark module */
        return !(qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1);
}

static int render(FILE *out, const QRcode *qr, bool utf8)
{
        /* the longest line: 3 bytes per module in UTF-8, plus '\n' and NUL */
        char line[LINE_MODULES_MAX * 3 + 2];
        int total = qr->width + 2 * SU_QR_QUIET_ZONE;

        if (qr->width <= 0 || qr->width > QR_WIDTH_MAX)
                return -EINVAL;

        for (int y = 0; y < total; y += utf8 ? 2 : 1) {
                size_t n = 0;

                for (int x = 0; x < total; x++) {
                        const char *glyph;

                        if (utf8) {
                                bool up = light(qr, x, y), down = light(qr, x, y + 1);
                                glyph = up ? (down ? UTF8_FULL : UTF8_UPPER)
                                           : (down ? UTF8_LOWER : " ");
                        } else {
                                glyph = light(qr, x, y) ? "##" : "  ";
                        }
                        size_t g = strlen(glyph);
                        memcpy(line + n, glyph, g);
                        n += g;
                }
                line[n++] = '\n';
                line[n] = '\0';
                if (fputs(line, out) == EOF)
                        return -EIO;
        }
        if (fflush(out) == EOF || ferror(out))
                return -EIO;
        return 0;
}

int su_qr_print(FILE *out, const char *text, bool utf8)
{
        QRcode *qr;
        int r;

        if (!out || !text)
                return -EINVAL;
        errno = 0;
        qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!qr)
                return errno > 0 ? -errno : -EINVAL;
        r = render(out, qr, utf8);
        /* the text is usually an otpauth URI holding the secret */
        explicit_bzero(qr->data, (size_t)qr->width * (size_t)qr->width);
        QRcode_free(qr);
        return r;
}

int su_qr_text(const char *text, bool utf8, char **ret)
{
        char *buf = NULL;
        size_t len = 0;
        if (!ret)
                return -EINVAL;
        *ret = NULL;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return -errno;
        int r = su_qr_print(f, text, utf8);
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        return 0;
}
