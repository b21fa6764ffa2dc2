/* stepupctl's JSON output, built with jansson: nothing is escaped by hand. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A JSON string of n bytes of s (NUL and control bytes are escaped by jansson).  Bytes that
 * are not valid UTF-8 are taken as Latin-1 (U+0080..U+00FF), so any input gives valid JSON.
 * NULL s gives null.  Returns a new reference, or NULL when out of memory. */
json_t *ctl_json_textn(const char *s, size_t n);
json_t *ctl_json_text(const char *s);
/* A plain decimal integer ("-"? digits, fitting 64 bits) as a number, anything else as text. */
json_t *ctl_json_number_or_text(const char *s, size_t n);
/* v rounded to decimals places, or null when v < 0 (nothing to divide by). */
json_t *ctl_json_real(double v, int decimals);
/* Prints v and a newline on stdout (pretty: indented) and drops the reference.
 * 0, -ENOMEM (v is NULL: building it ran out of memory) or -EIO. */
int ctl_json_print(json_t *v, bool pretty);
