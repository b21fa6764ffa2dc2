/* Picks the backend of the shared state. */
#include "store_open.h"

#include <errno.h>
#include <stdio.h>

#include "store_backends.h"

int su_store_open(const struct su_store_config *cfg, struct su_sqldb *local, struct su_store **ret,
                  char *err, size_t errsize)
{
        switch (cfg->kind) {
        case SU_STORE_SQLITE:
                return su_store_sqlite_open(local, ret);
        case SU_STORE_POSTGRESQL:
                return su_store_pg_open(cfg, local, ret, err, errsize);
        }
        snprintf(err, errsize, "unknown store backend");
        return -EINVAL;
}

int su_store_check(struct su_store *s)
{
        return s->ops->check ? s->ops->check(s) : 0;
}

void su_store_close(struct su_store *s)
{
        if (s)
                s->ops->close(s);
}

const char *su_store_errmsg(const struct su_store *s)
{
        return s && s->err[0] ? s->err : "no error";
}
