/* QR codes as terminal text with libqrencode, for stepupctl (enrolment's otpauth:// URI) and
 * stepupd (the idp factor's verification URI inside a prompt).  Never logs; negative errno
 * on failure. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#define SU_QR_QUIET_ZONE 2 /* modules of light border on each side */

/* Encodes text (NUL-terminated; ECC level M, 8-bit mode, case-sensitive) and prints it to out
 * with a quiet zone of SU_QR_QUIET_ZONE modules, one '\n'-terminated line at a time.
 *
 * Polarity: terminals mostly draw light glyphs on a dark background, so the code is printed
 * inverted, the LIGHT modules (and the quiet zone) as glyphs and the dark modules as blanks;
 * on such a terminal it then looks dark-on-light, as scanners want.
 *   utf8 = true:  two module rows per text line, one column per module, with U+2588 "█"
 *                 (both light), U+2580 "▀" (upper light), U+2584 "▄" (lower light), " " (both
 *                 dark); (width + 2 * quiet zone + 1) / 2 lines.  A missing last lower row is
 *                 dark (the terminal background).
 *   utf8 = false: one text line per module row, "##" per light module and "  " per dark one;
 *                 width + 2 * quiet zone lines.
 * Returns 0; -EINVAL for NULL arguments or text libqrencode refuses; -ERANGE when text is too
 * long for a QR code; -ENOMEM; -EIO when writing fails. */
int su_qr_print(FILE *out, const char *text, bool utf8);

/* The same text as su_qr_print writes, in a malloc'd NUL-terminated string (*ret, which the
 * caller frees).  Same errors. */
int su_qr_text(const char *text, bool utf8, char **ret);
