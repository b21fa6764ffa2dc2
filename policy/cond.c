/* Condition tree lifetime. */
#include <stdlib.h>

#include "internal.h"

struct cond *cond_free(struct cond *c)
{
        if (!c)
                return NULL;
        switch (c->kind) {
        case COND_AND:
        case COND_OR:
        case COND_NOT:
                for (size_t i = 0; i < c->n; i++)
                        cond_free(c->kids[i]);
                break;
        case COND_SERVICE:
        case COND_USER:
        case COND_GROUP:
        case COND_TARGET_USER:
        case COND_TARGET_GROUP:
                for (size_t i = 0; i < c->n; i++)
                        free(c->names[i]);
                break;
        case COND_RHOST:
                for (size_t i = 0; i < c->n; i++)
                        free(c->hosts[i].text);
                break;
        case COND_COMMAND:
                cmd_pattern_clear(&c->cmd);
                break;
        case COND_REMOTE:
        case COND_TTY:
        case COND_TIME:
        case COND_WEEKDAY:
                break;
        }
        free(c->kids);
        free(c->names);
        free(c->hosts);
        free(c->times);
        free(c->spec);
        free(c);
        return NULL;
}
