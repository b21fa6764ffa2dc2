#include "methods.h"

#define BOTH (SU_ON_PAM | SU_ON_USER)

/* Who may send what (docs/protocol.md has the same table for people):
 * decisions and root's verbs come from root on the PAM socket; the user verbs from anyone
 * about itself on either socket; GATE from anyone about itself on the user socket; a VERIFY
 * answers only the challenge of the connection it arrives on. */
const struct su_method su_methods[] = {
    {SU_REQ_DECIDE, "DECIDE", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NONE, SU_LANE_INLINE, true,
     su_parse_decide, su_h_decide},
    {SU_REQ_VERIFY, "VERIFY", BOTH, SU_WHO_CONNECTION, SU_ABOUT_NONE, SU_LANE_POOL, false,
     su_parse_verify, su_h_verify},
    {SU_REQ_RELOAD, "RELOAD", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NONE, SU_LANE_POOL, false, NULL,
     su_h_reload},
    {SU_REQ_ENROLL_SET, "ENROLL_SET", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NAMED, SU_LANE_POOL,
     false, su_parse_enroll_set, su_h_enroll_set},
    {SU_REQ_STATUS, "STATUS", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_INLINE, true, NULL,
     su_h_status},
    {SU_REQ_REVOKE, "REVOKE", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false, NULL,
     su_h_revoke},
    {SU_REQ_ENROLL_BEGIN, "ENROLL_BEGIN", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false,
     su_parse_enroll_begin, su_h_enroll_begin},
    {SU_REQ_ENROLL_CONFIRM, "ENROLL_CONFIRM", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false,
     su_parse_enroll_confirm, su_h_enroll_confirm},
    {SU_REQ_UNLOCK, "UNLOCK", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NAMED, SU_LANE_POOL, false, NULL,
     su_h_unlock},
    {SU_REQ_QUESTIONS_GET, "QUESTIONS_GET", BOTH, SU_WHO_ANYONE, SU_ABOUT_NONE, SU_LANE_INLINE,
     false, NULL, su_h_questions_get},
    {SU_REQ_QUESTIONS_SET, "QUESTIONS_SET", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false,
     su_parse_answers, su_h_questions_set},
    {SU_REQ_RECOVERY_NEW, "RECOVERY_NEW", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false,
     NULL, su_h_recovery_new},
    {SU_REQ_RESET, "RESET", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NAMED, SU_LANE_POOL, false,
     su_parse_factor, su_h_reset},
    {SU_REQ_FORGET, "FORGET", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NAMED, SU_LANE_POOL, false, NULL,
     su_h_forget},
    {SU_REQ_LIST, "LIST", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NONE, SU_LANE_POOL, false, NULL,
     su_h_list},
    {SU_REQ_RECOVERY_SET, "RECOVERY_SET", SU_ON_PAM, SU_WHO_ROOT_PAM, SU_ABOUT_NAMED, SU_LANE_POOL,
     false, su_parse_codes, su_h_recovery_set},
    {SU_REQ_REMOVE, "REMOVE", BOTH, SU_WHO_SELF, SU_ABOUT_SELF, SU_LANE_POOL, false,
     su_parse_factor, su_h_remove},
    {SU_REQ_STATS, "STATS", BOTH, SU_WHO_ROOT, SU_ABOUT_NONE, SU_LANE_INLINE, false, NULL,
     su_h_stats},
    {SU_REQ_GATE, "GATE", SU_ON_USER, SU_WHO_ANYONE, SU_ABOUT_CALLER, SU_LANE_INLINE, true,
     su_parse_gate, su_h_gate},
};
const size_t su_nmethods = sizeof(su_methods) / sizeof(su_methods[0]);

const struct su_method *su_method_find(uint8_t type)
{
        for (size_t i = 0; i < su_nmethods; i++)
                if (su_methods[i].type == type)
                        return &su_methods[i];
        return NULL;
}
