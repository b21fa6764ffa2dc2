/* A QR code as a PNG file, encoded by libpng. */
#include "qr_png.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUIET 4

/* One row of pixels: module row my (negative or past the width: quiet zone). */
static void fill_row(const QRcode *qr, long my, unsigned scale, png_byte *p, size_t side)
{
        for (size_t x = 0; x < side; x++) {
                long mx = (long)(x / scale) - QUIET;
                bool dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                            (qr->data[my * qr->width + mx] & 1);
                p[x] = dark ? 0 : 255;
        }
}

/* libpng reports errors by longjmp; everything it touches lives in the caller, and nothing
 * here changes after setjmp, so no local needs to be volatile. */
static int encode(FILE *f, const QRcode *qr, unsigned scale, png_byte *row, size_t side)
{
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
        png_infop info = png ? png_create_info_struct(png) : NULL;

        if (!png || !info) {
                png_destroy_write_struct(&png, NULL);
                return -ENOMEM;
        }
        if (setjmp(png_jmpbuf(png))) {
                png_destroy_write_struct(&png, &info);
                return -EIO;
        }
        png_init_io(png, f);
        png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 8, PNG_COLOR_TYPE_GRAY,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_write_info(png, info);
        for (size_t y = 0; y < side; y++) {
                fill_row(qr, (long)(y / scale) - QUIET, scale, row, side);
                png_write_row(png, row);
        }
        png_write_end(png, NULL);
        png_destroy_write_struct(&png, &info);
        return 0;
}

int su_qr_write_png(const char *path, const char *text, unsigned scale)
{
        if (!path || !text || scale < 1 || scale > 32)
                return -EINVAL;
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!qr)
                return errno ? -errno : -EINVAL;
        size_t side = ((size_t)qr->width + 2 * QUIET) * scale;
        png_byte *row = malloc(side);
        int r = 0;
        if (!row) {
                r = -ENOMEM;
                goto out;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        FILE *f = fdopen(fd, "wb");
        if (!f) {
                r = -errno;
                close(fd);
                unlink(path);
                goto out;
        }
        r = encode(f, qr, scale, row, side);
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        if (r < 0)
                unlink(path);
out:
        if (row)
                explicit_bzero(row, side); /* the code is the secret */
        free(row);
        QRcode_free(qr);
        return r;
}
