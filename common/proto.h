/* The stepup wire protocol, declared once for the module, the daemon and the CLI.
 *
 * A frame is a 4-byte big-endian payload length followed by the payload.  The payload is
 *   u8 magic 'S', u8 version (SU_PROTO_VERSION), u8 message type, u8 field count,
 * then that many fields, each   u8 tag, u16 big-endian length, value bytes.
 * Every tag has a kind (text or u32) and a maximum length; a tag may appear once; text
 * carries no NUL or control bytes other than '\n' and '\t' (PROMPT/MESSAGE/BODY only).
 * Anything else is rejected whole.  See docs/protocol.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SU_PROTO_MAGIC 'S'
#define SU_PROTO_VERSION 1
#define SU_MSG_MAX 16384 /* hard cap on a payload, both directions */
#define SU_FRAME_HDR 4
#define SU_ANSWER_MAX 512 /* PAM_MAX_RESP_SIZE */

enum su_msg_type {
        /* requests: PAM socket, uid 0 only */
        SU_REQ_DECIDE = 1,     /* may I? -> ALLOW | DENY | CHALLENGE */
        SU_REQ_VERIFY = 2,     /* answer to the pending CHALLENGE on this connection */
        SU_REQ_RELOAD = 3,     /* reload the policy -> OK | ERROR(body = diagnostics) */
        SU_REQ_ENROLL_SET = 4, /* admin: set a user's TOTP secret */
        /* requests: either socket; non-root callers only about themselves */
        SU_REQ_STATUS = 16,
        SU_REQ_REVOKE = 17,
        SU_REQ_ENROLL_BEGIN = 18,
        SU_REQ_ENROLL_CONFIRM = 19,
        SU_REQ_UNLOCK = 20, /* root only */
        /* factors and the enrolment lifecycle (docs/factors.md) */
        SU_REQ_QUESTIONS_GET = 21, /* the catalogue -> OK(BODY "id<TAB>text" lines) */
        SU_REQ_QUESTIONS_SET = 22, /* BODY "id<TAB>answer" lines -> OK | CHALLENGE (gate) */
        SU_REQ_RECOVERY_NEW = 23,  /* -> OK(BODY: one code a line, shown once) | CHALLENGE */
        SU_REQ_RESET = 24,         /* root: USER, [FACTOR] */
        SU_REQ_FORGET = 25,        /* root: USER: erase every row about the user */
        SU_REQ_LIST = 26,          /* root: -> OK(BODY: one line per user) */
        SU_REQ_RECOVERY_SET = 27,  /* root: USER, BODY = codes (imported scratch codes) */
        SU_REQ_REMOVE = 28,        /* FACTOR: remove one's own factor -> OK | CHALLENGE */
        SU_REQ_STATS = 30,         /* root only: counters and latency histograms -> OK(BODY) */
        /* ssh gate (docs/ssh.md): user socket, about the caller itself */
        SU_REQ_GATE = 31, /* COMMAND ("path args" | "shell"), [SSH_COMMAND] -> like DECIDE */
        /* replies */
        SU_REP_ALLOW = 64,
        SU_REP_DENY = 65,
        SU_REP_CHALLENGE = 66,
        SU_REP_OK = 67,
        SU_REP_ERROR = 68,
};

enum su_tag {
        SU_T_SERVICE = 1,
        SU_T_USER = 2,
        SU_T_RUSER = 3,
        SU_T_TTY = 4,
        SU_T_RHOST = 5,
        SU_T_COMMAND = 6,
        SU_T_TARGET_USER = 7,
        SU_T_PHASE = 8,     /* u32: SU_PHASE_* (audit: which PAM phase asked) */
        SU_T_CHALLENGE = 9, /* challenge id, 32 hex chars */
        SU_T_ANSWER = 10,
        SU_T_PROMPT = 11,
        SU_T_MESSAGE = 12, /* text for the user (DENY reason, ALLOW note, ERROR text) */
        SU_T_RULE = 13,    /* "file:line" of the deciding rule */
        SU_T_FACTOR = 14,
        SU_T_SECRET = 15, /* base32 */
        SU_T_ERRNO = 17,  /* u32: positive errno of an ERROR */
        SU_T_ECHO = 18,   /* u32: 1 = the answer may be shown as typed (CHALLENGE) */
        SU_T_BODY = 19,   /* key=value lines (status, diagnostics) */
        SU_T_DIGITS = 20,
        SU_T_PERIOD = 21,
        SU_T_ALGO = 22,
        SU_T_WAIT = 23, /* u32: seconds until a lockout or rate limit ends */
        SU_T_TARGET_GROUP = 24,
        SU_T_WINDOW = 26,      /* u32: TOTP steps accepted either side (imports) */
        SU_T_SSH_COMMAND = 38, /* GATE: the ssh command as typed (audit only, never trusted) */
        SU_T_DATA = 39,        /* OK: a JSON document (STATUS, LIST, STATS; docs/protocol.md) */
        SU_T_ENTER = 40,       /* u32: 1 = Enter alone answers (CHALLENGE): an empty ANSWER */
        SU_T_MAX_ = 41,        /* highest tag + 1, at most 64: present is a 64-bit mask */
};

enum su_phase { SU_PHASE_AUTH = 1, SU_PHASE_ACCOUNT = 2, SU_PHASE_CLI = 3 };

struct su_msg {
        uint8_t type;
        uint64_t present; /* bit per tag */
        uint16_t len[SU_T_MAX_];
        uint32_t num[SU_T_MAX_];
        const char *str[SU_T_MAX_]; /* NUL-terminated copies inside buf */
        size_t used;
        char buf[SU_MSG_MAX + SU_T_MAX_];
};

void su_msg_init(struct su_msg *m, uint8_t type);
/* Wipes the whole message (answers and secrets pass through it). */
void su_msg_wipe(struct su_msg *m);
/* Wipes and frees a heap message; NULL is fine. */
void su_msg_free(struct su_msg *m);

int su_msg_put_str(struct su_msg *m, enum su_tag tag, const char *s); /* -EINVAL, -E2BIG */
int su_msg_put_u32(struct su_msg *m, enum su_tag tag, uint32_t v);
const char *su_msg_str(const struct su_msg *m, enum su_tag tag); /* NULL if absent */
bool su_msg_u32(const struct su_msg *m, enum su_tag tag, uint32_t *ret);

/* Frame (header + payload) into out; *ret_len = bytes written. */
int su_msg_encode(const struct su_msg *m, uint8_t *out, size_t size, size_t *ret_len);
/* Decode one payload (without the 4-byte header). -EBADMSG on anything malformed. */
int su_msg_decode(const uint8_t *p, size_t len, struct su_msg *m);
/* Payload length from a frame header; -EMSGSIZE when above SU_MSG_MAX or zero. */
int su_frame_len(const uint8_t hdr[SU_FRAME_HDR], size_t *ret_len);

const char *su_msg_type_name(uint8_t type);
size_t su_tag_max(enum su_tag tag);
