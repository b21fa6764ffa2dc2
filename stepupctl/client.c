#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "sockio.h"

int ctl_connect(const struct ctl *c)
{
        const char *path = geteuid() == 0 ? c->socket : c->user_socket;
        int fd = su_client_connect(path, c->timeout_ms);
        if (fd < 0)
                fprintf(stderr, "stepupctl: cannot connect to stepupd at %s: %s\n", path,
                        strerror(-fd));
        return fd;
}

int ctl_call(const struct ctl *c, const struct su_msg *req, struct su_msg *rep)
{
        int fd = ctl_connect(c);
        if (fd < 0)
                return fd;
        int r = su_client_call(fd, req, rep, c->timeout_ms);
        close(fd);
        if (r < 0)
                fprintf(stderr, "stepupctl: no valid answer from stepupd: %s\n", strerror(-r));
        return r;
}

int ctl_report(const struct su_msg *rep)
{
        const char *text = su_msg_str(rep, SU_T_MESSAGE);
        if (rep->type == SU_REP_OK || rep->type == SU_REP_ALLOW) {
                if (text)
                        printf("%s\n", text);
                return 0;
        }
        fprintf(stderr, "stepupctl: %s\n", text ? text : su_msg_type_name(rep->type));
        const char *body = su_msg_str(rep, SU_T_BODY);
        if (body)
                fputs(body, stderr);
        return 1;
}
