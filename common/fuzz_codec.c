/* libFuzzer target for the protocol decoder: any byte string is either refused or decoded
 * into a message that encodes again and decodes to the same fields.  The input is read as a
 * frame (4-byte length, then the payload) and also as a bare payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct su_msg a, b;
static uint8_t out[SU_FRAME_HDR + SU_MSG_MAX];

static void same_or_abort(const struct su_msg *x, const struct su_msg *y)
{
        if (x->type != y->type || x->present != y->present)
                abort();
        for (unsigned t = 1; t < SU_T_MAX_; t++) {
                if (!(x->present & (1ull << t)))
                        continue;
                const char *sx = su_msg_str(x, (enum su_tag)t), *sy = su_msg_str(y, (enum su_tag)t);
                uint32_t nx = 0, ny = 0;
                bool ux = su_msg_u32(x, (enum su_tag)t, &nx),
                     uy = su_msg_u32(y, (enum su_tag)t, &ny);
                if (x->len[t] != y->len[t] || ux != uy || nx != ny)
                        abort();
                if (!ux &&
                    (!sx || !sy || memcmp(sx, sy, x->len[t]) != 0 || strlen(sx) != x->len[t]))
                        abort();
                if (x->len[t] > su_tag_max((enum su_tag)t))
                        abort();
        }
}

static void one_payload(const uint8_t *p, size_t len)
{
        if (su_msg_decode(p, len, &a) < 0)
                return;
        (void)su_msg_type_name(a.type);
        size_t n;
        if (su_msg_encode(&a, out, sizeof(out), &n) < 0)
                abort(); /* whatever decodes must encode */
        size_t plen;
        if (su_frame_len(out, &plen) < 0 || plen + SU_FRAME_HDR != n)
                abort();
        if (su_msg_decode(out + SU_FRAME_HDR, plen, &b) < 0)
                abort();
        same_or_abort(&a, &b);
        su_msg_wipe(&a);
        su_msg_wipe(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t plen;
        if (size >= SU_FRAME_HDR && su_frame_len(data, &plen) == 0 && plen <= size - SU_FRAME_HDR)
                one_payload(data + SU_FRAME_HDR, plen);
        if (size <= SU_MSG_MAX)
                one_payload(data, size);
        return 0;
}
