/* libFuzzer target for both import parsers: the first byte picks the parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct su_import_totp out[SU_IMPORT_USERS_MAX];
        char err[512];
        size_t n;
        if (size < 1)
                return 0;
        const char *text = (const char *)data + 1;
        if (data[0] & 1)
                su_import_oath_parse("fuzz", text, size - 1, out, SU_IMPORT_USERS_MAX, &n, err,
                                     sizeof(err));
        else
                su_import_ga_parse("fuzz", text, size - 1, out, err, sizeof(err));
        return 0;
}
