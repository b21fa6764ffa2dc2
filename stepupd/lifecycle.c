/* The enrolment lifecycle: security questions, recovery codes, removal (the caller itself,
 * behind a fresh proof), and the admin verbs reset, forget, list, recovery import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "answer.h"
#include "audit.h"
#include "challenge.h"
#include "handlers.h"
#include "names.h"
#include "recovery.h"
#include "scope.h"
#include "secret_hash.h"

#define RECOVERY_CODES_NEW 10
#define LOCAL_RULE "(enrolment change)"

bool su_gate_fresh_proof(struct su_conn *c, const char *user)
{
        if (c->uid == 0)
                return true;
        uint32_t have;
        if (su_store_enrolled(c->m->store, user, &have) < 0) {
                su_reply_error(c, EIO, "cannot read the enrolment");
                return false;
        }
        if (have == 0 || (c->local_proof_until && su_now_boot() <= c->local_proof_until))
                return true; /* first enrolment, or proven on this connection just now */
        if (su_deny_if_locked(c, user, LOCAL_RULE))
                return false;
        uint32_t sets[3];
        size_t n = 0;
        for (uint32_t bit = SU_FACTOR_TOTP; bit <= SU_FACTOR_RECOVERY; bit <<= 1)
                if (have & bit)
                        sets[n++] = bit;
        struct su_challenge_spec spec = {
                .user = user,
                .service = "stepupctl",
                .rule = LOCAL_RULE,
                .scope_key = NULL,
                .sets = sets,
                .nsets = n,
                .message = "Changing your factors needs a fresh proof with one you have.",
        };
        if (su_challenge_begin(c, &spec) < 0)
                su_reply_error(c, ENOKEY, "no factor can prove this change; ask an admin");
        return false;
}

static int factor_mask(const char *name, uint32_t *ret)
{
        if (!name) {
                *ret = SU_FACTOR_TOTP | SU_FACTOR_QUESTION | SU_FACTOR_RECOVERY;
                return 0;
        }
        int f = su_factor_from_name(name);
        if (f < 0)
                return f;
        *ret = (uint32_t)f;
        return 0;
}

void su_handle_questions_get(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char body[8000];
        int n = snprintf(body, sizeof(body), "need\t%u\n", m->cfg.questions_enrol);
        for (size_t i = 0; i < m->questions->n && n > 0 && (size_t)n < sizeof(body); i++)
                n += snprintf(body + n, sizeof(body) - (size_t)n, "%s\t%s\n",
                              m->questions->q[i].id, m->questions->q[i].text);
        if (m->questions->n == 0) {
                su_reply_error(c, ENOENT, "the admin has not set up security questions");
                return;
        }
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_BODY, body);
        su_conn_reply(c, &rep);
}

/* BODY: one "id<TAB>answer" line per question; exactly questions_enrol distinct ids. */
void su_handle_questions_set(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        if (su_caller_user(c, req, user, sizeof(user)) < 0) {
                su_reply_error(c, EPERM, "you may only enrol yourself");
                return;
        }
        const char *body = su_msg_str(req, SU_T_BODY);
        if (!body) {
                su_reply_error(c, EINVAL, "no answers given");
                return;
        }
        if (!su_gate_fresh_proof(c, user))
                return;
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        size_t n = 0;
        char err[160] = "";
        char *copy = strdup(body);
        if (!copy) {
                su_reply_error(c, ENOMEM, "out of memory");
                return;
        }
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line && !*err;
             line = strtok_r(NULL, "\n", &save)) {
                char *tab = strchr(line, '\t');
                char norm[SU_ANSWER_NORM_MAX + 1];
                if (!tab) {
                        snprintf(err, sizeof(err), "malformed answer line");
                        break;
                }
                *tab = 0;
                if (!su_catalogue_find(m->questions, line)) {
                        snprintf(err, sizeof(err), "unknown question '%.32s'", line);
                        break;
                }
                for (size_t i = 0; i < n; i++)
                        if (strcmp(rows[i].qid, line) == 0)
                                snprintf(err, sizeof(err), "question '%.32s' answered twice",
                                         line);
                if (*err)
                        break;
                if (n >= SU_QUESTIONS_PER_USER_MAX) {
                        snprintf(err, sizeof(err), "too many answers");
                        break;
                }
                if (su_normalize_answer(tab + 1, norm, sizeof(norm)) < 0) {
                        snprintf(err, sizeof(err), "the answer to '%.32s' is empty or invalid",
                                 line);
                        break;
                }
                snprintf(rows[n].qid, sizeof(rows[n].qid), "%s", line);
                int r = su_hash_make(norm, rows[n].hash, sizeof(rows[n].hash));
                explicit_bzero(norm, sizeof(norm));
                if (r < 0) {
                        snprintf(err, sizeof(err), "cannot hash the answer");
                        break;
                }
                n++;
        }
        explicit_bzero(copy, strlen(body));
        free(copy);
        if (!*err && n != m->cfg.questions_enrol)
                snprintf(err, sizeof(err), "answer exactly %u questions (got %zu)",
                         m->cfg.questions_enrol, n);
        if (!*err && su_store_questions_set(m->store, user, rows, n) < 0)
                snprintf(err, sizeof(err), "cannot store the answers");
        explicit_bzero(rows, sizeof(rows));
        if (*err) {
                su_reply_error(c, EINVAL, err);
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "security questions enrolled", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "question", "STEPUP_STATE", "active", NULL);
        su_reply_simple(c, SU_REP_OK, "security questions enrolled");
}

void su_handle_recovery_new(struct su_conn *c, const struct su_msg *req)
{
        struct su_manager *m = c->m;
        char user[257];
        if (su_caller_user(c, req, user, sizeof(user)) < 0) {
                su_reply_error(c, EPERM, "you may only make your own recovery codes");
                return;
        }
        if (!su_gate_fresh_proof(c, user))
                return;
        struct su_recovery_row rows[RECOVERY_CODES_NEW];
        char body[RECOVERY_CODES_NEW * (SU_RECOVERY_CODE_LEN + 1) + 1] = "";
        for (size_t i = 0; i < RECOVERY_CODES_NEW; i++) {
                char code[SU_RECOVERY_CODE_LEN + 1];
                bool dup = false;
                if (su_recovery_new(code, &rows[i]) < 0) {
                        explicit_bzero(body, sizeof(body));
                        su_reply_error(c, EIO, "cannot make recovery codes");
                        return;
                }
                for (size_t j = 0; j < i; j++)
                        dup |= strcmp(rows[j].tag, rows[i].tag) == 0;
                if (dup) { /* a tag must be unique per user: draw again */
                        i--;
                        continue;
                }
                strcat(body, code);
                strcat(body, "\n");
                explicit_bzero(code, sizeof(code));
        }
        int r = su_store_recovery_set(m->store, user, rows, RECOVERY_CODES_NEW);
        if (r < 0) {
                explicit_bzero(body, sizeof(body));
                su_reply_error(c, -r, "cannot store the recovery codes");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "recovery codes made (old ones void)", "STEPUP_USER",
                 user, "STEPUP_FACTOR", "recovery", "STEPUP_STATE", "active", NULL);
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_BODY, body);
        su_conn_reply(c, &rep);
        explicit_bzero(body, sizeof(body));
        su_msg_wipe(&rep);
}

void su_handle_remove(struct su_conn *c, const struct su_msg *req)
{
        char user[257];
        uint32_t mask;
        if (su_caller_user(c, req, user, sizeof(user)) < 0) {
                su_reply_error(c, EPERM, "you may only remove your own factors");
                return;
        }
        if (!su_msg_str(req, SU_T_FACTOR) || factor_mask(su_msg_str(req, SU_T_FACTOR), &mask) < 0) {
                su_reply_error(c, EINVAL, "name a factor: totp, question or recovery");
                return;
        }
        if (!su_gate_fresh_proof(c, user))
                return;
        if (su_store_reset(c->m->store, user, mask) < 0) {
                su_reply_error(c, EIO, "cannot remove the factor");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "factor removed", "STEPUP_USER", user, "STEPUP_FACTOR",
                 su_msg_str(req, SU_T_FACTOR), "STEPUP_STATE", "none", NULL);
        su_reply_simple(c, SU_REP_OK, "factor removed");
}

static bool root_with_user(struct su_conn *c, const struct su_msg *req, const char **user)
{
        *user = su_msg_str(req, SU_T_USER);
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "this is for root only");
                return false;
        }
        if (!su_valid_user(*user)) {
                su_reply_error(c, EINVAL, "a valid --user is needed");
                return false;
        }
        return true;
}

void su_handle_reset(struct su_conn *c, const struct su_msg *req)
{
        const char *user;
        uint32_t mask;
        if (!root_with_user(c, req, &user))
                return;
        if (factor_mask(su_msg_str(req, SU_T_FACTOR), &mask) < 0) {
                su_reply_error(c, EINVAL, "unknown factor (totp, question, recovery)");
                return;
        }
        if (su_store_reset(c->m->store, user, mask) < 0) {
                su_reply_error(c, EIO, "cannot reset");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_NOTICE, "factors reset by root", "STEPUP_USER", user,
                 "STEPUP_FACTOR", su_msg_str(req, SU_T_FACTOR) ? su_msg_str(req, SU_T_FACTOR) : "all",
                 "STEPUP_STATE", "none", NULL);
        su_reply_simple(c, SU_REP_OK, "reset");
}

void su_handle_forget(struct su_conn *c, const struct su_msg *req)
{
        const char *user;
        if (!root_with_user(c, req, &user))
                return;
        int r = su_store_forget(c->m->store, user);
        if (r < 0) {
                su_reply_error(c, EIO, "cannot erase the user's data");
                return;
        }
        char n[32], text[64];
        snprintf(n, sizeof(n), "%d", r);
        snprintf(text, sizeof(text), "%d row(s) erased", r);
        /* The audit event keeps the fact of the erasure, as data-protection law expects. */
        su_audit(SU_EV_ENROLL, LOG_NOTICE, "every record of the user erased", "STEPUP_USER", user,
                 "STEPUP_RECORDS", n, "STEPUP_STATE", "forgotten", NULL);
        su_reply_simple(c, SU_REP_OK, text);
}

struct list_ctx {
        struct su_conn *c;
        char body[8000];
        size_t used;
        unsigned users, truncated;
};

static int list_one(const char *user, void *data)
{
        struct list_ctx *x = data;
        struct su_manager *m = x->c->m;
        struct su_totp_row t;
        const char *totp = "none";
        if (su_store_totp_get(m->store, user, &t) == 0)
                totp = t.active ? "active" : "pending";
        else if (su_store_totp_pending_get(m->store, user, &t) == 0)
                totp = "pending";
        explicit_bzero(&t, sizeof(t));
        struct su_answer_row rows[SU_QUESTIONS_PER_USER_MAX];
        int q = su_store_questions_get(m->store, user, rows, SU_QUESTIONS_PER_USER_MAX);
        explicit_bzero(rows, sizeof(rows));
        int rc = su_store_recovery_unused(m->store, user);
        struct su_failures f;
        su_store_failures_get(m->store, user, &f);
        int n = snprintf(x->body + x->used, sizeof(x->body) - x->used,
                         "%s\ttotp=%s\tquestions=%d\trecovery_unused=%d\tfailures=%lld\n", user,
                         totp, q < 0 ? 0 : q, rc < 0 ? 0 : rc, (long long)f.consecutive);
        if (n < 0 || (size_t)n >= sizeof(x->body) - x->used) {
                x->body[x->used] = 0;
                x->truncated++;
                return 0;
        }
        x->used += (size_t)n;
        x->users++;
        return 0;
}

void su_handle_list(struct su_conn *c, const struct su_msg *req)
{
        if (!su_is_root_pam(c)) {
                su_reply_error(c, EPERM, "list is for root only");
                return;
        }
        struct list_ctx *x = calloc(1, sizeof(*x));
        if (!x) {
                su_reply_error(c, ENOMEM, "out of memory");
                return;
        }
        x->c = c;
        if (su_store_list_users(c->m->store, list_one, x) < 0) {
                free(x);
                su_reply_error(c, EIO, "cannot list users");
                return;
        }
        struct su_msg rep;
        su_msg_init(&rep, SU_REP_OK);
        su_msg_put_str(&rep, SU_T_BODY, x->body);
        if (x->truncated) {
                char text[96];
                snprintf(text, sizeof(text), "%u more user(s) not shown (reply size limit)",
                         x->truncated);
                su_msg_put_str(&rep, SU_T_MESSAGE, text);
        }
        su_conn_reply(c, &rep);
        free(x);
}

/* Imported scratch codes (8 digits each, one a line) become recovery codes s000... */
void su_handle_recovery_set(struct su_conn *c, const struct su_msg *req)
{
        const char *user;
        if (!root_with_user(c, req, &user))
                return;
        const char *body = su_msg_str(req, SU_T_BODY);
        struct su_recovery_row rows[SU_RECOVERY_CODES_MAX];
        size_t n = 0;
        bool bad = !body;
        for (const char *p = body; p && *p && !bad;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                char code[16];
                if (len == 0 || len >= sizeof(code) || n >= SU_RECOVERY_CODES_MAX) {
                        bad = true;
                        break;
                }
                memcpy(code, p, len);
                code[len] = 0;
                if (!su_recovery_is_scratch(code)) {
                        bad = true;
                } else {
                        snprintf(rows[n].tag, sizeof(rows[n].tag), "s%03zu", n);
                        bad = su_hash_make(code, rows[n].hash, sizeof(rows[n].hash)) < 0;
                        n++;
                }
                explicit_bzero(code, sizeof(code));
                p += len + (nl ? 1 : 0);
        }
        if (bad || n == 0 || su_store_recovery_set(c->m->store, user, rows, n) < 0) {
                su_reply_error(c, EINVAL, "recovery codes must be 1-16 lines of 8 digits");
                return;
        }
        su_audit(SU_EV_ENROLL, LOG_INFO, "recovery codes imported", "STEPUP_USER", user,
                 "STEPUP_FACTOR", "recovery", "STEPUP_STATE", "active", NULL);
        su_reply_simple(c, SU_REP_OK, "recovery codes imported");
}
