/* Protocol codec: round trips, every bound, and malformed frames refused whole. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "names.h"
#include "proto.h"
#include "secret.h"

static struct su_msg m, d;
static uint8_t buf[SU_FRAME_HDR + SU_MSG_MAX + 64];

static size_t encode(void)
{
        size_t len = 0;
        CHECK_INT(su_msg_encode(&m, buf, sizeof(buf), &len), 0);
        return len;
}

static void test_roundtrip(void)
{
        su_msg_init(&m, SU_REQ_DECIDE);
        CHECK_INT(su_msg_put_str(&m, SU_T_SERVICE, "sudo"), 0);
        CHECK_INT(su_msg_put_str(&m, SU_T_USER, "alice"), 0);
        CHECK_INT(su_msg_put_str(&m, SU_T_COMMAND, "/usr/bin/systemctl restart nginx"), 0);
        CHECK_INT(su_msg_put_u32(&m, SU_T_PHASE, SU_PHASE_ACCOUNT), 0);
        size_t len = encode();
        size_t plen;
        CHECK_INT(su_frame_len(buf, &plen), 0);
        CHECK_INT(plen + SU_FRAME_HDR, len);
        CHECK_INT(su_msg_decode(buf + SU_FRAME_HDR, plen, &d), 0);
        CHECK_INT(d.type, SU_REQ_DECIDE);
        CHECK_STREQ(su_msg_str(&d, SU_T_SERVICE), "sudo");
        CHECK_STREQ(su_msg_str(&d, SU_T_USER), "alice");
        CHECK_STREQ(su_msg_str(&d, SU_T_COMMAND), "/usr/bin/systemctl restart nginx");
        uint32_t v = 0;
        CHECK(su_msg_u32(&d, SU_T_PHASE, &v));
        CHECK_INT(v, SU_PHASE_ACCOUNT);
        CHECK(su_msg_str(&d, SU_T_TTY) == NULL);
        CHECK(!su_msg_u32(&d, SU_T_ECHO, &v));
}

static void test_bounds(void)
{
        char big[SU_ANSWER_MAX + 2];
        su_msg_init(&m, SU_REQ_VERIFY);
        memset(big, '7', sizeof(big));
        big[SU_ANSWER_MAX] = 0;
        CHECK_INT(su_msg_put_str(&m, SU_T_ANSWER, big), 0); /* exactly 512 */
        su_msg_init(&m, SU_REQ_VERIFY);
        big[SU_ANSWER_MAX] = '7';
        big[SU_ANSWER_MAX + 1] = 0;
        CHECK_INT(su_msg_put_str(&m, SU_T_ANSWER, big), -E2BIG); /* 513 */
        CHECK_INT(su_msg_put_str(&m, SU_T_USER, "a\x01b"), -EINVAL);
        CHECK_INT(su_msg_put_str(&m, SU_T_USER, "a\nb"), -EINVAL);
        CHECK_INT(su_msg_put_str(&m, SU_T_MESSAGE, "line1\nline2"), 0);
        CHECK_INT(su_msg_put_str(&m, SU_T_USER, "bob"), 0);
        CHECK_INT(su_msg_put_str(&m, SU_T_USER, "bob"), -EEXIST);
        CHECK_INT(su_msg_put_u32(&m, SU_T_USER, 1), -EINVAL);
        CHECK_INT(su_msg_put_str(&m, SU_T_PHASE, "1"), -EINVAL);
        CHECK_INT(su_msg_put_str(&m, (enum su_tag)99, "x"), -EINVAL);
        CHECK_INT(su_tag_max(SU_T_ANSWER), 512);
}

/* Hand-made payloads, each malformed in one way. */
static int decode_raw(const uint8_t *p, size_t len)
{
        return su_msg_decode(p, len, &d);
}

static void test_malformed(void)
{
        const uint8_t ok[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_USER, 0, 3, 'b', 'o', 'b'};
        CHECK_INT(decode_raw(ok, sizeof(ok)), 0);
        CHECK_STREQ(su_msg_str(&d, SU_T_USER), "bob");

        const uint8_t magic[] = {'X', 1, SU_REQ_STATUS, 0};
        CHECK_INT(decode_raw(magic, sizeof(magic)), -EPROTO);
        const uint8_t version[] = {'S', 2, SU_REQ_STATUS, 0};
        CHECK_INT(decode_raw(version, sizeof(version)), -EPROTO);
        /* truncated at every byte */
        for (size_t n = 4; n < sizeof(ok); n++)
                CHECK_INT(decode_raw(ok, n), -EBADMSG);
        const uint8_t trailing[] = {'S', 1, SU_REQ_STATUS, 0, 0};
        CHECK_INT(decode_raw(trailing, sizeof(trailing)), -EBADMSG);
        const uint8_t badtag[] = {'S', 1, SU_REQ_STATUS, 1, 200, 0, 1, 'x'};
        CHECK_INT(decode_raw(badtag, sizeof(badtag)), -EBADMSG);
        const uint8_t zerotag[] = {'S', 1, SU_REQ_STATUS, 1, 0, 0, 1, 'x'};
        CHECK_INT(decode_raw(zerotag, sizeof(zerotag)), -EBADMSG);
        const uint8_t dup[] = {'S', 1,   SU_REQ_STATUS, 2, SU_T_USER, 0,
                               1,   'a', SU_T_USER,     0, 1,         'b'};
        CHECK_INT(decode_raw(dup, sizeof(dup)), -EBADMSG);
        const uint8_t nul[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_USER, 0, 3, 'b', 0, 'b'};
        CHECK_INT(decode_raw(nul, sizeof(nul)), -EBADMSG);
        const uint8_t ctl[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_USER, 0, 2, 'b', '\n'};
        CHECK_INT(decode_raw(ctl, sizeof(ctl)), -EBADMSG);
        const uint8_t u32short[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_PHASE, 0, 2, 0, 1};
        CHECK_INT(decode_raw(u32short, sizeof(u32short)), -EBADMSG);
        const uint8_t overlong[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_TTY, 0, 65};
        CHECK_INT(decode_raw(overlong, sizeof(overlong)), -EBADMSG);
        const uint8_t lenpast[] = {'S', 1, SU_REQ_STATUS, 1, SU_T_USER, 0, 9, 'a'};
        CHECK_INT(decode_raw(lenpast, sizeof(lenpast)), -EBADMSG);

        /* A 513-byte answer on the wire is refused even though the frame is small. */
        static uint8_t ans[4 + 3 + 513];
        memcpy(ans, (uint8_t[]){'S', 1, SU_REQ_VERIFY, 1, SU_T_ANSWER, 0x02, 0x01}, 7);
        memset(ans + 7, '1', 513);
        CHECK_INT(decode_raw(ans, sizeof(ans)), -EBADMSG);
        ans[6] = 0x00; /* 512 */
        CHECK_INT(decode_raw(ans, sizeof(ans) - 1), 0);

        uint8_t hdr[4] = {0, 0, 0x40, 0x01}; /* 16385 > SU_MSG_MAX */
        size_t plen;
        CHECK_INT(su_frame_len(hdr, &plen), -EMSGSIZE);
        uint8_t hdr0[4] = {0, 0, 0, 0};
        CHECK_INT(su_frame_len(hdr0, &plen), -EMSGSIZE);
        uint8_t hdrmax[4] = {0, 0, 0x40, 0x00};
        CHECK_INT(su_frame_len(hdrmax, &plen), 0);
        CHECK_INT(decode_raw(ok, SU_MSG_MAX + 1), -EBADMSG);
}

static void test_names(void)
{
        CHECK(su_valid_user("alice"));
        CHECK(su_valid_user("svc_deploy-1.x"));
        CHECK(!su_valid_user(""));
        CHECK(!su_valid_user("a/b"));
        CHECK(!su_valid_user(".."));
        CHECK(!su_valid_user("a..b"));
        CHECK(!su_valid_user("a b"));
        CHECK(!su_valid_user("a\tb"));
        CHECK(!su_valid_user("-rf"));
        CHECK(!su_valid_user(NULL));
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[299] = 0;
        CHECK(!su_valid_user(longname));
        CHECK(su_valid_tty("pts/3"));
        CHECK(su_valid_tty("tty1"));
        CHECK(!su_valid_tty("pts/../../etc/shadow"));
        CHECK(!su_valid_tty("pts/"));
        CHECK(!su_valid_tty("/dev/tty1"));
        CHECK(!su_valid_tty("x/y"));
        CHECK(!su_valid_tty(".."));
        CHECK_STREQ(su_tty_relative("/dev/pts/7"), "pts/7");
        CHECK_STREQ(su_tty_relative("tty2"), "tty2");
        CHECK(su_valid_host("192.0.2.1"));
        CHECK(su_valid_host("::1"));
        CHECK(su_valid_host("host.example.com"));
        CHECK(!su_valid_host("a b"));
        CHECK(!su_valid_host("a;b"));
        CHECK(su_ct_equal("123456", 6, "123456", 6));
        CHECK(!su_ct_equal("123456", 6, "123457", 6));
        CHECK(!su_ct_equal("12345", 5, "123456", 6));
}

int main(void)
{
        test_roundtrip();
        test_bounds();
        test_malformed();
        test_names();
        return check_done();
}
