/* The backends behind store.h; only store.c calls these. */
#pragma once
#include "store.h"

int su_store_sqlite_open(struct su_sqldb *local, struct su_store **ret);
int su_store_pg_open(const struct su_store_config *cfg, struct su_sqldb *local,
                     struct su_store **ret, char *err, size_t errsize);
