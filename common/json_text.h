/* JSON strings from any bytes, for stepupd's typed replies and stepupctl's output (jansson).
 * Kept apart from the libc-only common library: only these two link jansson. */
#pragma once
#include <jansson.h>
#include <stddef.h>

/* A JSON string of n bytes of s (control bytes are escaped by jansson).  Bytes that are not
 * valid UTF-8 are taken as Latin-1 (U+0080..U+00FF), so any input gives valid JSON.  NULL s
 * gives null.  Returns a new reference, or NULL when out of memory. */
json_t *su_json_textn(const char *s, size_t n);
json_t *su_json_text(const char *s);
