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
                break;
        }
        snprintf(err, errsize, "unknown store backend");
        return -EINVAL;
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
