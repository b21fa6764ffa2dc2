#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "stepup.h"

int su_mod_parse_args(int argc, const char **argv, struct su_mod_args *a, const char **bad)
{
        *a = (struct su_mod_args){.socket = STEPUP_PAM_SOCKET, .timeout_ms = 5000};
        for (int i = 0; i < argc; i++) {
                const char *s = argv[i];
                if (strncmp(s, "socket=", 7) == 0 && s[7] == '/') {
                        a->socket = s + 7;
                } else if (strcmp(s, "failmode=secure") == 0) {
                        a->failmode = SU_MOD_SECURE;
                } else if (strcmp(s, "failmode=safe") == 0) {
                        a->failmode = SU_MOD_SAFE;
                } else if (strncmp(s, "timeout=", 8) == 0) {
                        char *end;
                        errno = 0;
                        long v = strtol(s + 8, &end, 10);
                        if (errno || end == s + 8 || *end || v < 1 || v > 60) {
                                *bad = s;
                                return -EINVAL;
                        }
                        a->timeout_ms = (int)v * 1000;
                } else if (strcmp(s, "debug") == 0) {
                        a->debug = true;
                } else {
                        *bad = s;
                        return -EINVAL;
                }
        }
        return 0;
}
