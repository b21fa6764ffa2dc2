/* A DECIDE request to a stepupd, as pam_stepup would send it, for the reload and edit tests:
 *     decide-client SOCKET SERVICE USER [COMMAND]
 * prints "allow RULE", "deny RULE: MESSAGE" or "challenge RULE" and exits 0; 1 when there is no
 * valid answer.  Root only (the PAM socket serves uid 0). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "sockio.h"

int main(int argc, char **argv)
{
        struct su_msg req, rep;
        int fd, r;

        if (argc < 4 || argc > 5) {
                fprintf(stderr, "usage: %s SOCKET SERVICE USER [COMMAND]\n", argv[0]);
                return 2;
        }
        su_msg_init(&req, SU_REQ_DECIDE);
        if (su_msg_put_str(&req, SU_T_SERVICE, argv[2]) < 0 ||
            su_msg_put_str(&req, SU_T_USER, argv[3]) < 0 ||
            (argc == 5 && su_msg_put_str(&req, SU_T_COMMAND, argv[4]) < 0)) {
                fprintf(stderr, "decide-client: cannot build the request\n");
                return 1;
        }
        fd = su_client_connect(argv[1], 5000);
        if (fd < 0) {
                fprintf(stderr, "decide-client: connect %s: %s\n", argv[1], strerror(-fd));
                return 1;
        }
        r = su_client_call(fd, &req, &rep, 5000);
        close(fd);
        if (r < 0) {
                fprintf(stderr, "decide-client: %s\n", strerror(-r));
                return 1;
        }
        const char *rule = su_msg_str(&rep, SU_T_RULE), *msg = su_msg_str(&rep, SU_T_MESSAGE);
        switch (rep.type) {
        case SU_REP_ALLOW:
                printf("allow %s\n", rule ? rule : "-");
                return 0;
        case SU_REP_DENY:
                printf("deny %s: %s\n", rule ? rule : "-", msg ? msg : "");
                return 0;
        case SU_REP_CHALLENGE:
                printf("challenge %s\n", rule ? rule : "-");
                return 0;
        default:
                fprintf(stderr, "decide-client: reply %s: %s\n", su_msg_type_name(rep.type),
                        msg ? msg : "");
                return 1;
        }
}
