/* yescrypt hashes (libcrypt) for answers and recovery codes, compared in constant time. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

int su_hash_make(const char *plain, char *out, size_t size); /* 0, -EIO, -ENOBUFS */
bool su_hash_check(const char *plain, const char *hash);
