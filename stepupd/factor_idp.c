/* The idp factor: an approval at the organisation's OpenID Connect provider through the OAuth
 * 2.0 Device Authorization Grant (RFC 8628).  The prompt asks the provider for a device code
 * and shows its short user code, the verification URI and a QR code of the complete URI, all
 * inside the prompt (sshd's keyboard-interactive shows text only with a prompt), ending with
 * "Press Enter once you have approved it" (echo on, Enter alone answers).  Each Enter polls
 * the token endpoint at the provider's interval for at most the configured time, then asks
 * again if the approval is still pending; once approved, the ID token is checked
 * (idp_token.c) and its user claim must name the Unix user exactly.  Everything that talks to
 * the provider runs on the pool (waits_network).  Device codes and tokens are never logged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "clocks.h"
#include "factor.h"
#include "idp_client.h"
#include "json_text.h"
#include "qr_text.h"

#define PROMPT_MAX 4096 /* the protocol's PROMPT */

struct idp_round {
        struct su_idp_device d;
        int64_t expires_boot;  /* the device code's end (CLOCK_BOOTTIME s) */
        uint64_t last_poll_us; /* CLOCK_MONOTONIC; 0: not polled yet */
        unsigned interval;     /* s between polls: the provider's, plus 5 per slow_down */
        unsigned polls;
        char why[200]; /* the last failure, for ch->reason */
};

static struct su_idp *idp_of(struct su_call *c)
{
        return c->rules ? c->rules->idp : NULL;
}

static int idp_enrolled(struct su_call *c, const char *user, bool *ret)
{
        struct su_idp *idp = idp_of(c);
        *ret = idp && su_idp_config_knows(&idp->cfg, user);
        return 0;
}

static uint64_t deadline(const struct su_idp *idp)
{
        return su_now_us() + (uint64_t)idp->cfg.timeout_ms * 1000;
}

/* The first prompt: the QR code when it fits, the URI and the code, then the question. */
static char *first_prompt(const struct idp_round *st)
{
        const struct su_idp_device *d = &st->d;
        const char *qr_of =
            d->verification_uri_complete[0] ? d->verification_uri_complete : d->verification_uri;
        char *qr = NULL, *out = NULL;
        size_t len = 0;
        for (int with_qr = 1; with_qr >= 0; with_qr--) {
                FILE *f = open_memstream(&out, &len);
                if (!f)
                        break;
                fprintf(f, "Approve this step-up with your identity provider");
                if (with_qr && su_qr_text(qr_of, true, &qr) == 0)
                        fprintf(f,
                                ": scan this code with your phone,\n%sor open %s\nand enter "
                                "the code %s\n",
                                qr, d->verification_uri, d->user_code);
                else
                        fprintf(f, ":\nopen %s\nand enter the code %s\n", d->verification_uri,
                                d->user_code);
                fprintf(f, "Press Enter once you have approved it: ");
                free(qr);
                qr = NULL;
                if (fclose(f) != 0) {
                        free(out);
                        out = NULL;
                        break;
                }
                if (len < PROMPT_MAX)
                        return out;
                free(out); /* too large for a prompt: without the QR code */
                out = NULL;
        }
        return out;
}

static int idp_prompt(struct su_call *c, struct su_challenge *ch, struct su_reply *rep)
{
        struct su_idp *idp = idp_of(c);
        struct idp_round *st = ch->state;
        if (!idp)
                return -ENOKEY; /* idp.conf went away under the challenge */
        rep->echo = true;
        rep->enter = true;
        if (st) {
                /* The same approval, asked again: it was still pending. */
                if (asprintf(&rep->prompt,
                             "Not approved yet (code %s at %s).\n"
                             "Press Enter once you have approved it: ",
                             st->d.user_code, st->d.verification_uri) < 0) {
                        rep->prompt = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        st = calloc(1, sizeof(*st));
        if (!st)
                return -ENOMEM;
        int r = su_idp_device_start(idp, deadline(idp), &st->d, st->why, sizeof(st->why));
        if (r < 0) {
                su_audit(&c->audit, SU_EV_ERROR, LOG_ERR, "identity provider unavailable",
                         "STEPUP_USER", ch->user, "STEPUP_FACTOR", "idp", "STEPUP_REASON", st->why,
                         NULL);
                explicit_bzero(st, sizeof(*st));
                free(st);
                return r;
        }
        st->expires_boot = su_now_boot() + st->d.expires_in;
        st->interval = st->d.interval;
        rep->prompt = first_prompt(st);
        if (!rep->prompt) {
                explicit_bzero(st, sizeof(*st));
                free(st);
                return -ENOMEM;
        }
        ch->state = st;
        return 0;
}

static void sleep_us(uint64_t us)
{
        struct timespec ts = {.tv_sec = (time_t)(us / 1000000),
                              .tv_nsec = (long)(us % 1000000) * 1000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Polls until approved, refused or expired, or until another poll would not fit in the time
 * one request may take (then -EINPROGRESS: the same round is asked again).  A poll other
 * than the first of this request starts only with half the time still left, so a slow
 * provider's answer is not cut short by our own deadline.  The provider's word on expiry
 * (expired_token) is asked for first; our own clock decides only when no poll can be made. */
static int poll_for_token(struct su_idp *idp, struct su_challenge *ch, struct idp_round *st,
                          uint64_t end, char **token)
{
        const uint64_t half = (uint64_t)idp->cfg.timeout_ms * 500;
        for (unsigned polled = 0;; polled++) {
                uint64_t now = su_now_us();
                uint64_t next =
                    st->last_poll_us ? st->last_poll_us + st->interval * 1000000ULL : now;
                uint64_t at = next > now ? next : now;
                bool fits = at < end && end - at >= half;
                if ((!fits || polled > 0) && su_now_boot() > st->expires_boot) {
                        ch->reason = "the code expired before it was approved (expires_in)";
                        return -ETIME;
                }
                if (!fits)
                        return -EINPROGRESS;
                if (at > now)
                        sleep_us(at - now);
                enum su_idp_poll res;
                int r =
                    su_idp_poll(idp, st->d.device_code, end, &res, token, st->why, sizeof(st->why));
                st->last_poll_us = su_now_us();
                st->polls++;
                if (r < 0) {
                        ch->reason = st->why;
                        return r;
                }
                switch (res) {
                case SU_IDP_TOKEN:
                        return 0;
                case SU_IDP_PENDING:
                        break;
                case SU_IDP_SLOW_DOWN:
                        st->interval = st->interval + 5 > 120 ? 120 : st->interval + 5;
                        break;
                case SU_IDP_DENIED:
                        ch->reason = "denied at the identity provider (access_denied)";
                        return -EACCES;
                case SU_IDP_EXPIRED:
                        ch->reason = "the code expired at the identity provider (expired_token)";
                        return -ETIME;
                }
        }
}

static int idp_verify(struct su_call *c, struct su_challenge *ch, const char *answer,
                      const struct su_grant *grant, bool *done)
{
        struct su_idp *idp = idp_of(c);
        struct idp_round *st = ch->state;
        char *token = NULL;
        *done = false;
        if (!idp || !st) {
                /* idp.conf went away under the challenge: it ends, as if expired (never the
                 * failmode: nothing is unreachable). */
                ch->reason = "the identity provider is no longer set up: try again";
                return -ETIME;
        }
        uint64_t end = deadline(idp);
        int r = poll_for_token(idp, ch, st, end, &token);
        if (r < 0)
                return r;
        /* Approved: the ID token must be the provider's, for us, fresh, and about this user. */
        char value[SU_IDP_CLAIM_VALUE_MAX + 1];
        const char *reason = NULL;
        struct su_id_token_expect e = {.user_claim = idp->cfg.user_claim,
                                       .now = su_now_wall(),
                                       .began = ch->started_wall,
                                       .max_age = idp->cfg.max_age,
                                       .skew = idp->cfg.clock_skew,
                                       .acr = idp->cfg.require_acr,
                                       .nacr = idp->cfg.nrequire_acr,
                                       .amr = idp->cfg.require_amr,
                                       .namr = idp->cfg.nrequire_amr};
        r = su_idp_check_token(idp, token, end, &e, value, sizeof(value), &reason, st->why,
                               sizeof(st->why));
        explicit_bzero(token, strlen(token));
        free(token);
        if (r == -EACCES) {
                ch->reason = reason;
                return r;
        }
        if (r < 0) {
                ch->reason = st->why;
                return r;
        }
        const char *who = su_idp_config_user(&idp->cfg, value);
        bool same = who && strcmp(who, ch->user) == 0;
        explicit_bzero(value, sizeof(value));
        if (!same) {
                ch->reason = "the identity provider vouched for another user";
                return -EACCES;
        }
        *done = true;
        struct su_store *s = c->db->store;
        return grant ? s->ops->grant(s, ch->user, grant) : 0;
}

static int idp_status(struct su_call *c, const char *user, json_t *obj)
{
        struct su_idp *idp = idp_of(c);
        const char *state = !idp                                   ? "none"
                            : su_idp_config_knows(&idp->cfg, user) ? "available"
                                                                   : "not-mapped";
        json_object_set_new(obj, "state", json_string(state));
        if (!idp)
                return 0;
        bool discovered;
        char last[200];
        int64_t at;
        su_idp_snapshot(idp, &discovered, last, sizeof(last), &at);
        json_object_set_new(obj, "issuer", su_json_text(idp->cfg.issuer));
        json_object_set_new(obj, "client_id", su_json_text(idp->cfg.client_id));
        json_object_set_new(obj, "user_claim", su_json_text(idp->cfg.user_claim));
        if (idp->cfg.user_map_path)
                json_object_set_new(obj, "user_map", su_json_text(idp->cfg.user_map_path));
        json_object_set_new(obj, "discovered", json_boolean(discovered));
        if (*last) {
                json_object_set_new(obj, "last_error", su_json_text(last));
                json_object_set_new(obj, "last_error_age", json_integer(su_now_wall() - at));
        }
        return 0;
}

static void round_free(void *state)
{
        explicit_bzero(state, sizeof(struct idp_round));
        free(state);
}

const struct su_factor_ops su_factor_idp = {
    .bit = SU_FACTOR_IDP,
    .name = "idp",
    .noun = "approval",
    .tables = 0,
    .waits_network = true,
    .unguessable = true,
    .provided = true,
    .wrong = "refused by the identity provider",
    .replay = "approval already used",
    .enrolled = idp_enrolled,
    .prompt = idp_prompt,
    .verify = idp_verify,
    .status = idp_status,
    .state_free = round_free,
};
