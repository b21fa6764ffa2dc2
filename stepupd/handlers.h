/* Helpers shared by the request handlers (reply.c) and the handlers themselves. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.h"
#include "policy.h"

void su_reply_simple(struct su_conn *c, uint8_t type, const char *text);
void su_reply_error(struct su_conn *c, int err, const char *text);
void su_reply_deny(struct su_conn *c, const char *reason, const char *rule, uint32_t wait);
void su_rule_name(const struct su_decision *d, char *out, size_t size);
/* The user a caller may talk about: itself by the kernel's uid; root may name anyone. */
int su_caller_user(struct su_conn *c, const struct su_msg *req, char *out, size_t size);
bool su_is_root_pam(const struct su_conn *c);
/* Lockout and rate limit: seconds to wait, 0 when the user may try now, -1 on error. */
int64_t su_wait_needed(struct su_manager *m, const char *user, const char **why);
/* Replies DENY and returns true when the user is locked out or rate-limited. */
bool su_deny_if_locked(struct su_conn *c, const char *user, const char *rule);
/* Counts a failed answer (durable) and writes the message for the user into text. */
void su_count_failure(struct su_conn *c, const char *user, const char *rule, const char *factor,
                      const char *reason, char *text, size_t size);
void su_body_add(char *body, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void su_handle_decide(struct su_conn *c, const struct su_msg *req);
void su_handle_verify(struct su_conn *c, struct su_msg *req);
void su_handle_status(struct su_conn *c, const struct su_msg *req);
void su_handle_revoke(struct su_conn *c, const struct su_msg *req);
void su_handle_enroll_begin(struct su_conn *c, const struct su_msg *req);
void su_handle_enroll_confirm(struct su_conn *c, const struct su_msg *req);
void su_handle_enroll_set(struct su_conn *c, const struct su_msg *req);
void su_handle_unlock(struct su_conn *c, const struct su_msg *req);
void su_handle_reload(struct su_conn *c);

struct su_totp_params;
/* TOTP parameters from a request's DIGITS/PERIOD/ALGO fields (defaults otherwise). */
int su_params_from(const struct su_msg *req, struct su_totp_params *p);
int su_put_enrolment(struct su_conn *c, const char *user, const uint8_t *key, size_t len,
                     const struct su_totp_params *p, bool active);

/* lifecycle.c */
/* Root, a first enrolment, or a factor proven on this connection in the last 5 minutes
 * pass; otherwise a local CHALLENGE is replied and false returned. */
bool su_gate_fresh_proof(struct su_conn *c, const char *user);
void su_handle_questions_get(struct su_conn *c, const struct su_msg *req);
void su_handle_questions_set(struct su_conn *c, const struct su_msg *req);
void su_handle_recovery_new(struct su_conn *c, const struct su_msg *req);
void su_handle_remove(struct su_conn *c, const struct su_msg *req);
void su_handle_reset(struct su_conn *c, const struct su_msg *req);
void su_handle_forget(struct su_conn *c, const struct su_msg *req);
void su_handle_list(struct su_conn *c, const struct su_msg *req);
void su_handle_recovery_set(struct su_conn *c, const struct su_msg *req);
