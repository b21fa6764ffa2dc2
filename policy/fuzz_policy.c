/* libFuzzer target: any byte string must parse or be refused without crashing, leaking or
 * reading out of bounds; whatever parses is also evaluated and its diagnostics formatted. */
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const groups[] = {"wheel", "adm"};
        const struct su_request req = {
            .service = "sudo",
            .user = "alice",
            .tty = "pts/1",
            .rhost = "10.1.2.3",
            .command = "/usr/bin/systemctl restart nginx",
            .target_user = "root",
            .groups = groups,
            .ngroups = 2,
            .now = 1700000000,
        };
        struct su_diags diags = {0};
        struct su_explain explain = {0};
        struct su_policy *p = NULL;
        struct su_decision d;
        char buf[1024];

        if (su_policy_parse_buffer("fuzz.conf", (const char *)data, size, &p, &diags) == 0)
                (void)su_policy_eval(p, &req, &d, &explain);
        for (size_t i = 0; i < diags.n; i++)
                (void)su_diag_format(&diags.v[i], buf, sizeof(buf));
        su_explain_free(&explain);
        su_diags_free(&diags);
        su_policy_free(p);
        return 0;
}
