/* Reading a file to import, through the one safe reader. */
#include <stdio.h>

#include "import.h"
#include "safe_read.h"

#define SU_IMPORT_FILE_MAX (1024 * 1024)

int su_import_read(const char *path, uid_t owner, bool root_too, char **text, size_t *len,
                   char *err, size_t errsize)
{
        char why[160];
        int r = su_safe_read(path, owner, SU_IMPORT_FILE_MAX, root_too ? SU_SAFE_ROOT_TOO : 0, text,
                             len, why, sizeof(why));
        if (r < 0)
                snprintf(err, errsize, "%s: %s", path, why);
        return r;
}
