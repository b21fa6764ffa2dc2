/* Encoder and bounds-checked decoder for the protocol in proto.h. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_NONE = 0, K_TEXT, K_MULTILINE, K_U32 };

struct tag_info {
        enum kind kind;
        uint16_t max;
};

static const struct tag_info tags[SU_T_MAX_] = {
    [SU_T_SERVICE] = {K_TEXT, 64},
    [SU_T_USER] = {K_TEXT, 256},
    [SU_T_RUSER] = {K_TEXT, 256},
    [SU_T_TTY] = {K_TEXT, 64},
    [SU_T_RHOST] = {K_TEXT, 255},
    [SU_T_COMMAND] = {K_TEXT, 4096},
    [SU_T_TARGET_USER] = {K_TEXT, 256},
    [SU_T_PHASE] = {K_U32, 4},
    [SU_T_CHALLENGE] = {K_TEXT, 32},
    [SU_T_ANSWER] = {K_TEXT, SU_ANSWER_MAX},
    [SU_T_PROMPT] = {K_MULTILINE, 4096},
    [SU_T_MESSAGE] = {K_MULTILINE, 1024},
    [SU_T_RULE] = {K_TEXT, 300},
    [SU_T_FACTOR] = {K_TEXT, 32},
    [SU_T_SECRET] = {K_TEXT, 128},
    [SU_T_ERRNO] = {K_U32, 4},
    [SU_T_ECHO] = {K_U32, 4},
    [SU_T_BODY] = {K_MULTILINE, 8192},
    [SU_T_DIGITS] = {K_U32, 4},
    [SU_T_PERIOD] = {K_U32, 4},
    [SU_T_ALGO] = {K_TEXT, 16},
    [SU_T_WAIT] = {K_U32, 4},
    [SU_T_TARGET_GROUP] = {K_TEXT, 256},
    [SU_T_WINDOW] = {K_U32, 4},
    [SU_T_SSH_COMMAND] = {K_TEXT, 4096},
    [SU_T_DATA] = {K_TEXT, 15000},
    [SU_T_ENTER] = {K_U32, 4},
};

size_t su_tag_max(enum su_tag tag)
{
        if ((unsigned)tag >= SU_T_MAX_)
                return 0;
        return tags[tag].max;
}

static bool text_ok(const char *s, size_t len, bool multiline)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == 0 || c == 0x7f)
                        return false;
                if (c < 0x20 && !(multiline && (c == '\n' || c == '\t')))
                        return false;
        }
        return true;
}

void su_msg_init(struct su_msg *m, uint8_t type)
{
        m->type = type;
        m->present = 0;
        m->used = 0;
        memset(m->len, 0, sizeof(m->len));
        memset(m->num, 0, sizeof(m->num));
        memset(m->str, 0, sizeof(m->str));
}

void su_msg_free(struct su_msg *m)
{
        if (!m)
                return;
        su_msg_wipe(m);
        free(m);
}

void su_msg_wipe(struct su_msg *m)
{
        explicit_bzero(m, sizeof(*m));
}

static int put_bytes(struct su_msg *m, enum su_tag tag, const char *s, size_t len)
{
        if (m->used + len + 1 > sizeof(m->buf))
                return -E2BIG;
        memcpy(m->buf + m->used, s, len);
        m->buf[m->used + len] = 0;
        m->str[tag] = m->buf + m->used;
        m->len[tag] = (uint16_t)len;
        m->used += len + 1;
        m->present |= 1ull << tag;
        return 0;
}

int su_msg_put_str(struct su_msg *m, enum su_tag tag, const char *s)
{
        if ((unsigned)tag >= SU_T_MAX_ || !s)
                return -EINVAL;
        const struct tag_info *ti = &tags[tag];
        if (ti->kind != K_TEXT && ti->kind != K_MULTILINE)
                return -EINVAL;
        if (m->present & (1ull << tag))
                return -EEXIST;
        size_t len = strnlen(s, (size_t)ti->max + 1);
        if (len > ti->max)
                return -E2BIG;
        if (!text_ok(s, len, ti->kind == K_MULTILINE))
                return -EINVAL;
        return put_bytes(m, tag, s, len);
}

int su_msg_put_u32(struct su_msg *m, enum su_tag tag, uint32_t v)
{
        if ((unsigned)tag >= SU_T_MAX_ || tags[tag].kind != K_U32)
                return -EINVAL;
        if (m->present & (1ull << tag))
                return -EEXIST;
        m->num[tag] = v;
        m->len[tag] = 4;
        m->present |= 1ull << tag;
        return 0;
}

const char *su_msg_str(const struct su_msg *m, enum su_tag tag)
{
        if ((unsigned)tag >= SU_T_MAX_ || !(m->present & (1ull << tag)))
                return NULL;
        return m->str[tag];
}

bool su_msg_u32(const struct su_msg *m, enum su_tag tag, uint32_t *ret)
{
        if ((unsigned)tag >= SU_T_MAX_ || !(m->present & (1ull << tag)) || tags[tag].kind != K_U32)
                return false;
        *ret = m->num[tag];
        return true;
}

static void be16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int su_msg_encode(const struct su_msg *m, uint8_t *out, size_t size, size_t *ret_len)
{
        size_t pos = SU_FRAME_HDR;
        unsigned count = 0;

        if (size < SU_FRAME_HDR + 4)
                return -ENOBUFS;
        out[pos++] = SU_PROTO_MAGIC;
        out[pos++] = SU_PROTO_VERSION;
        out[pos++] = m->type;
        pos++; /* field count, filled below */
        for (unsigned t = 1; t < SU_T_MAX_; t++) {
                if (!(m->present & (1ull << t)))
                        continue;
                size_t len = m->len[t];
                if (pos + 3 + len > size || pos + 3 + len - SU_FRAME_HDR > SU_MSG_MAX)
                        return -EMSGSIZE;
                out[pos] = (uint8_t)t;
                be16(out + pos + 1, (uint16_t)len);
                pos += 3;
                if (tags[t].kind == K_U32)
                        be32(out + pos, m->num[t]);
                else
                        memcpy(out + pos, m->str[t], len);
                pos += len;
                count++;
        }
        out[SU_FRAME_HDR + 3] = (uint8_t)count;
        be32(out, (uint32_t)(pos - SU_FRAME_HDR));
        *ret_len = pos;
        return 0;
}

int su_frame_len(const uint8_t hdr[SU_FRAME_HDR], size_t *ret_len)
{
        uint32_t len = rd32(hdr);
        if (len < 4 || len > SU_MSG_MAX)
                return -EMSGSIZE;
        *ret_len = len;
        return 0;
}

int su_msg_decode(const uint8_t *p, size_t len, struct su_msg *m)
{
        size_t pos = 4;

        if (len < 4 || len > SU_MSG_MAX)
                return -EBADMSG;
        if (p[0] != SU_PROTO_MAGIC || p[1] != SU_PROTO_VERSION)
                return -EPROTO;
        su_msg_init(m, p[2]);
        unsigned count = p[3];
        for (unsigned i = 0; i < count; i++) {
                if (len - pos < 3)
                        return -EBADMSG;
                unsigned tag = p[pos];
                size_t flen = (size_t)p[pos + 1] << 8 | p[pos + 2];
                pos += 3;
                if (tag == 0 || tag >= SU_T_MAX_ || tags[tag].kind == K_NONE)
                        return -EBADMSG;
                if (m->present & (1ull << tag))
                        return -EBADMSG;
                if (flen > tags[tag].max || flen > len - pos)
                        return -EBADMSG;
                const struct tag_info *ti = &tags[tag];
                if (ti->kind == K_U32) {
                        if (flen != 4)
                                return -EBADMSG;
                        m->num[tag] = rd32(p + pos);
                        m->len[tag] = 4;
                        m->present |= 1ull << tag;
                } else {
                        if (!text_ok((const char *)p + pos, flen, ti->kind == K_MULTILINE))
                                return -EBADMSG;
                        int r = put_bytes(m, (enum su_tag)tag, (const char *)p + pos, flen);
                        if (r < 0)
                                return -EBADMSG;
                }
                pos += flen;
        }
        if (pos != len)
                return -EBADMSG; /* trailing bytes */
        return 0;
}

const char *su_msg_type_name(uint8_t type)
{
        switch (type) {
        case SU_REQ_DECIDE:
                return "DECIDE";
        case SU_REQ_VERIFY:
                return "VERIFY";
        case SU_REQ_RELOAD:
                return "RELOAD";
        case SU_REQ_ENROLL_SET:
                return "ENROLL_SET";
        case SU_REQ_STATUS:
                return "STATUS";
        case SU_REQ_REVOKE:
                return "REVOKE";
        case SU_REQ_ENROLL_BEGIN:
                return "ENROLL_BEGIN";
        case SU_REQ_ENROLL_CONFIRM:
                return "ENROLL_CONFIRM";
        case SU_REQ_UNLOCK:
                return "UNLOCK";
        case SU_REQ_QUESTIONS_GET:
                return "QUESTIONS_GET";
        case SU_REQ_QUESTIONS_SET:
                return "QUESTIONS_SET";
        case SU_REQ_RECOVERY_NEW:
                return "RECOVERY_NEW";
        case SU_REQ_RESET:
                return "RESET";
        case SU_REQ_FORGET:
                return "FORGET";
        case SU_REQ_LIST:
                return "LIST";
        case SU_REQ_RECOVERY_SET:
                return "RECOVERY_SET";
        case SU_REQ_REMOVE:
                return "REMOVE";
        case SU_REQ_STATS:
                return "STATS";
        case SU_REQ_GATE:
                return "GATE";
        case SU_REP_ALLOW:
                return "ALLOW";
        case SU_REP_DENY:
                return "DENY";
        case SU_REP_CHALLENGE:
                return "CHALLENGE";
        case SU_REP_OK:
                return "OK";
        case SU_REP_ERROR:
                return "ERROR";
        default:
                return "UNKNOWN";
        }
}
