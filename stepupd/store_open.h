/* Opening the configured backend of the shared state (store.h). */
#pragma once

#include <stddef.h>

#include "store.h"

/* Opens one connection of the configured backend; local is this thread's host database. */
int su_store_open(const struct su_store_config *cfg, struct su_sqldb *local, struct su_store **ret,
                  char *err, size_t errsize);
/* The start-up check of the backend (store.h, check): 0, -ENOTCONN or -ETIMEDOUT when the
 * store is unreachable for now, any other error when it must not be used. */
int su_store_check(struct su_store *s);
void su_store_close(struct su_store *s);
const char *su_store_errmsg(const struct su_store *s);
