/* A QR code as a PNG file (8-bit grayscale, written by libpng). */
#pragma once

/* Writes text's QR code to path (created 0600, O_EXCL: it carries the secret), scale pixels
 * per module, with a 4-module quiet zone.  0 or negative errno. */
int su_qr_write_png(const char *path, const char *text, unsigned scale);
