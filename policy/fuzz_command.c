/* libFuzzer target: su_command_canonical on any command text, in both forms, must return an
 * error or a command whose fields hold together (an unresolved command is a shell whose text is
 * the command as given, with a reason), without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *cmd = malloc(size + 1);

        if (!cmd)
                return 0;
        memcpy(cmd, data, size);
        cmd[size] = '\0';
        for (int form = SU_COMMAND_JOINED; form <= SU_COMMAND_WORDS; form++) {
                struct su_command c = {0};
                if (su_command_canonical(cmd, "/etc/shells", (enum su_command_form)form, &c) < 0)
                        continue;
                if (!c.text || !c.given ||
                    (c.unresolved && (!c.shell || strcmp(c.text, c.given) != 0 || !c.why[0])) ||
                    c.wrappers > SU_COMMAND_WRAPPERS_MAX)
                        abort();
                su_command_done(&c);
        }
        free(cmd);
        return 0;
}
