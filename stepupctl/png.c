#include "png.h"

#include <errno.h>
#include <fcntl.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUIET 4

static uint32_t crc_table[256];

static void crc_init(void)
{
        for (uint32_t n = 0; n < 256; n++) {
                uint32_t c = n;
                for (int k = 0; k < 8; k++)
                        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
                crc_table[n] = c;
        }
}

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n)
{
        c ^= 0xffffffffu;
        for (size_t i = 0; i < n; i++)
                c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
        return c ^ 0xffffffffu;
}

static void be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static int chunk(FILE *f, const char type[4], const uint8_t *data, size_t len)
{
        uint8_t hdr[8];
        be32(hdr, (uint32_t)len);
        memcpy(hdr + 4, type, 4);
        uint32_t c = crc(0, hdr + 4, 4);
        c = crc(c, data, len); /* crc() chains like zlib crc32() */
        uint8_t tail[4];
        be32(tail, c);
        if (fwrite(hdr, 1, 8, f) != 8 || (len && fwrite(data, 1, len, f) != len) ||
            fwrite(tail, 1, 4, f) != 4)
                return -EIO;
        return 0;
}

int su_qr_write_png(const char *path, const char *text, unsigned scale)
{
        if (!path || !text || scale < 1 || scale > 32)
                return -EINVAL;
        QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (!qr)
                return -errno ? -errno : -EINVAL;
        crc_init();
        size_t side = ((size_t)qr->width + 2 * QUIET) * scale;
        size_t row = side + 1; /* filter byte + one gray byte per pixel */
        size_t raw_len = row * side;
        uint8_t *raw = malloc(raw_len);
        size_t nblocks = (raw_len + 65534) / 65535;
        size_t z_len = 2 + raw_len + 5 * nblocks + 4;
        uint8_t *z = malloc(z_len);
        int r = 0;
        if (!raw || !z) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t y = 0; y < side; y++) {
                uint8_t *p = raw + y * row;
                p[0] = 0; /* filter: none */
                long my = (long)(y / scale) - QUIET;
                for (size_t x = 0; x < side; x++) {
                        long mx = (long)(x / scale) - QUIET;
                        bool dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                                    (qr->data[my * qr->width + mx] & 1);
                        p[1 + x] = dark ? 0 : 255;
                }
        }
        /* zlib stream of stored blocks, then Adler-32 of the raw data. */
        size_t o = 0;
        z[o++] = 0x78;
        z[o++] = 0x01;
        uint32_t a = 1, b = 0;
        for (size_t i = 0; i < raw_len; i++) {
                a = (a + raw[i]) % 65521;
                b = (b + a) % 65521;
        }
        for (size_t off = 0; off < raw_len; off += 65535) {
                size_t n = raw_len - off < 65535 ? raw_len - off : 65535;
                z[o++] = off + n >= raw_len ? 1 : 0;
                z[o++] = (uint8_t)n;
                z[o++] = (uint8_t)(n >> 8);
                z[o++] = (uint8_t)~n;
                z[o++] = (uint8_t)(~n >> 8);
                memcpy(z + o, raw + off, n);
                o += n;
        }
        be32(z + o, b << 16 | a);
        o += 4;

        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        FILE *f = fdopen(fd, "wb");
        if (!f) {
                r = -errno;
                close(fd);
                goto out;
        }
        static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        uint8_t ihdr[13];
        be32(ihdr, (uint32_t)side);
        be32(ihdr + 4, (uint32_t)side);
        ihdr[8] = 8;  /* bit depth */
        ihdr[9] = 0;  /* grayscale */
        ihdr[10] = 0; /* deflate */
        ihdr[11] = 0; /* adaptive filtering */
        ihdr[12] = 0; /* no interlace */
        if (fwrite(sig, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13) < 0 ||
            chunk(f, "IDAT", z, o) < 0 || chunk(f, "IEND", NULL, 0) < 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -EIO;
        if (r < 0)
                unlink(path);
out:
        free(raw);
        free(z);
        QRcode_free(qr);
        return r;
}
