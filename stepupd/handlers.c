/* Dispatch: one handler per request type; every path ends in exactly one reply. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>

#include "audit.h"
#include "gate.h"
#include "handlers.h"
#include "manager.h"
#include "names.h"
#include "request.h"
#include "scope.h"
#include "secret.h"
#include "stats.h"
#include "totp.h"

void su_handle_request(struct su_conn *c, struct su_msg *req)
{
        switch (req->type) {
        case SU_REQ_DECIDE:
                su_handle_decide(c, req);
                break;
        case SU_REQ_VERIFY:
                su_handle_verify(c, req);
                break;
        case SU_REQ_STATUS:
                su_handle_status(c, req);
                break;
        case SU_REQ_REVOKE:
                su_handle_revoke(c, req);
                break;
        case SU_REQ_ENROLL_BEGIN:
                su_handle_enroll_begin(c, req);
                break;
        case SU_REQ_ENROLL_CONFIRM:
                su_handle_enroll_confirm(c, req);
                break;
        case SU_REQ_ENROLL_SET:
                su_handle_enroll_set(c, req);
                break;
        case SU_REQ_UNLOCK:
                su_handle_unlock(c, req);
                break;
        case SU_REQ_RELOAD:
                su_handle_reload(c);
                break;
        case SU_REQ_QUESTIONS_GET:
                su_handle_questions_get(c, req);
                break;
        case SU_REQ_QUESTIONS_SET:
                su_handle_questions_set(c, req);
                break;
        case SU_REQ_RECOVERY_NEW:
                su_handle_recovery_new(c, req);
                break;
        case SU_REQ_REMOVE:
                su_handle_remove(c, req);
                break;
        case SU_REQ_RESET:
                su_handle_reset(c, req);
                break;
        case SU_REQ_FORGET:
                su_handle_forget(c, req);
                break;
        case SU_REQ_LIST:
                su_handle_list(c, req);
                break;
        case SU_REQ_RECOVERY_SET:
                su_handle_recovery_set(c, req);
                break;
        case SU_REQ_STATS:
                su_handle_stats(c);
                break;
        case SU_REQ_GATE:
                su_handle_gate(c, req);
                break;
        default:
                su_reply_error(c, EOPNOTSUPP, "unknown request");
                c->close_after_write = true;
                break;
        }
}
