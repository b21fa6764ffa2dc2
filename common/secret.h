/* Handling of secrets: constant-time comparison and wiping. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Compares a and b (each of its own length) in time that depends only on the lengths. */
bool su_ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Wipes and frees a NUL-terminated string; accepts NULL, returns NULL. */
char *su_free_secret(char *s);
