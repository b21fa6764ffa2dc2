/* Unit tests: answer normalisation, yescrypt hashes, recovery codes, import parsers, PNG. */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "answer.h"
#include "check.h"
#include "import.h"
#include "qr_png.h"
#include "recovery.h"
#include "secret_hash.h"

static void test_normalize(void)
{
        char a[128], b[128];
        CHECK_INT(su_normalize_answer("  Rex   the\tDog ", a, sizeof(a)), 0);
        CHECK_STREQ(a, "rex the dog");
        CHECK_INT(su_normalize_answer("REX THE DOG", b, sizeof(b)), 0);
        CHECK_STREQ(a, b);
        CHECK_INT(su_normalize_answer("Rex the Dot", b, sizeof(b)), 0);
        CHECK(strcmp(a, b) != 0);
        CHECK_INT(su_normalize_answer("\xc3\x84RGER", a, sizeof(a)), 0); /* ÄRGER */
        CHECK_STREQ(a, "\xc3\xa4rger");                                  /* ärger */
        CHECK_INT(su_normalize_answer("   ", a, sizeof(a)), -EINVAL);
        CHECK_INT(su_normalize_answer("\xff\xfe", a, sizeof(a)), -EINVAL);
        CHECK_INT(su_normalize_answer("abcdef", a, 4), -ENOBUFS);
}

static void test_hash(void)
{
        char h[SU_HASH_MAX + 1], h2[SU_HASH_MAX + 1];
        CHECK_INT(su_hash_make("rex the dog", h, sizeof(h)), 0);
        CHECK(strncmp(h, "$y$", 3) == 0);
        CHECK(su_hash_check("rex the dog", h));
        CHECK(!su_hash_check("rex the dot", h));
        CHECK(!su_hash_check("", h));
        CHECK_INT(su_hash_make("rex the dog", h2, sizeof(h2)), 0);
        CHECK(strcmp(h, h2) != 0); /* salted */
        CHECK(!strstr(h, "rex"));
}

static void test_recovery(void)
{
        char code[SU_RECOVERY_CODE_LEN + 1], code2[SU_RECOVERY_CODE_LEN + 1];
        struct su_recovery_row row, row2;
        CHECK_INT(su_recovery_new(code, &row), 0);
        CHECK_INT(su_recovery_new(code2, &row2), 0);
        CHECK_INT(strlen(code), SU_RECOVERY_CODE_LEN);
        CHECK(strcmp(code, code2) != 0);
        CHECK(code[4] == '-' && code[9] == '-' && code[14] == '-');
        char tag[5], secret[13];
        CHECK_INT(su_recovery_parse(code, tag, secret), 0);
        CHECK_STREQ(tag, row.tag);
        CHECK(su_hash_check(secret, row.hash));
        /* Upper case and spaces are accepted. */
        char upper[40];
        size_t n = 0;
        for (const char *p = code; *p; p++)
                upper[n++] = *p == '-' ? ' ' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        upper[n] = 0;
        CHECK_INT(su_recovery_parse(upper, tag, secret), 0);
        CHECK(su_hash_check(secret, row.hash));
        CHECK_INT(su_recovery_parse("123456", tag, secret), -EINVAL);
        CHECK_INT(su_recovery_parse("abcd-efgh-ijkl-mno1", tag, secret), -EINVAL);
        CHECK_INT(su_recovery_parse("abcd-efgh-ijkl-mnop-q", tag, secret), -EINVAL);
        CHECK(su_recovery_is_scratch("12345678"));
        CHECK(!su_recovery_is_scratch("1234567"));
        CHECK(!su_recovery_is_scratch("1234567a"));
}

static int ga(const char *text, struct su_import_totp *t, char *err)
{
        return su_import_ga_parse("ga", text, strlen(text), t, err, 256);
}

static void test_import_ga(void)
{
        struct su_import_totp t;
        char err[256];
        CHECK_INT(ga("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n\" RATE_LIMIT 3 30 1700000000\n"
                     "\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 56666666\n\" TOTP_AUTH\n"
                     "12345678\n87654321\n",
                     &t, err),
                  0);
        CHECK_STREQ(t.secret_b32, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
        CHECK_INT(t.window, 8);
        CHECK_INT(t.period, 30);
        CHECK_INT(t.digits, 6);
        CHECK_INT(t.nscratch, 2);
        CHECK_STREQ(t.scratch[1], "87654321");
        CHECK(strstr(t.notes, "RATE_LIMIT") != NULL);
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" STEP_SIZE 60\n", &t, err), 0);
        CHECK_INT(t.period, 60);
        CHECK_INT(t.window, 1);
        /* Errors name file:line. */
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n\" HOTP_COUNTER 1\n", &t, err), -EINVAL);
        CHECK(strstr(err, "ga:2: HOTP") != NULL);
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n12345678\n", &t, err), -EINVAL);
        CHECK(strstr(err, "no TOTP_AUTH") != NULL);
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" FROB 1\n", &t, err), -EINVAL);
        CHECK(strstr(err, "ga:3: unknown option 'FROB'") != NULL);
        CHECK_INT(ga("not base32!\n\" TOTP_AUTH\n", &t, err), -EINVAL);
        CHECK(strstr(err, "ga:1:") != NULL);
        CHECK_INT(ga("JBSWY3DP\n\" TOTP_AUTH\n", &t, err), -EINVAL);
        CHECK(strstr(err, "too short") != NULL);
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n1234\n", &t, err), -EINVAL);
        CHECK(strstr(err, "ga:3:") != NULL);
        CHECK_INT(ga("JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n\" WINDOW_SIZE 99\n", &t, err), -EINVAL);
        CHECK_INT(ga("", &t, err), -EINVAL);
}

static int oath(const char *text, struct su_import_totp *t, size_t *n, char *err)
{
        return su_import_oath_parse("users.oath", text, strlen(text), t, 8, n, err, 256);
}

static void test_import_oath(void)
{
        struct su_import_totp t[8];
        size_t n = 0;
        char err[256];
        CHECK_INT(oath("# comment\nHOTP/T30 alice - 3132333435363738393031323334353637383930\n"
                       "HOTP/T60/8\tbob\t-\t00112233445566778899aabbccddeeff00112233 0 123456\n",
                       t, &n, err),
                  0);
        CHECK_INT(n, 2);
        CHECK_STREQ(t[0].user, "alice");
        CHECK_STREQ(t[0].secret_b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"); /* "1234567890" x2 */
        CHECK_INT(t[0].period, 30);
        CHECK_INT(t[0].digits, 6);
        CHECK_INT(t[1].period, 60);
        CHECK_INT(t[1].digits, 8);
        CHECK_INT(oath("HOTP/T30 alice - 3132333435363738393031323334353637383930\n"
                       "HOTP carol - 3132333435363738393031323334353637383930\n",
                       t, &n, err),
                  -EINVAL);
        CHECK(strstr(err, "users.oath:2: event-based HOTP") != NULL);
        CHECK_INT(
            oath("HOTP/T30 alice 1234 3132333435363738393031323334353637383930\n", t, &n, err),
            -EINVAL);
        CHECK(strstr(err, "users.oath:1: a password/PIN") != NULL);
        CHECK_INT(oath("HOTP/T30 alice - xyz\n", t, &n, err), -EINVAL);
        CHECK(strstr(err, "hex digits") != NULL);
        CHECK_INT(oath("HOTP/T30 alice - 3132333435363738393031323334353637383930\n"
                       "HOTP/T30 alice - 3132333435363738393031323334353637383930\n",
                       t, &n, err),
                  -EINVAL);
        CHECK(strstr(err, "appears twice") != NULL);
        CHECK_INT(oath("HOTP/T30 a/b - 3132333435363738393031323334353637383930\n", t, &n, err),
                  -EINVAL);
        CHECK_INT(oath("TOTP alice - 31323334353637383930\n", t, &n, err), -EINVAL);
        CHECK_INT(oath("\n# only comments\n", t, &n, err), -EINVAL);
}

static void test_png(void)
{
        char path[] = "/tmp/stepup-qr-XXXXXX";
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        close(fd);
        unlink(path);
        CHECK_INT(su_qr_write_png(path, "otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP", 4), 0);
        FILE *f = fopen(path, "rb");
        unsigned char hdr[24];
        CHECK(f && fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr));
        if (f)
                fclose(f);
        CHECK(memcmp(hdr, "\x89PNG\r\n\x1a\n", 8) == 0);
        CHECK(memcmp(hdr + 12, "IHDR", 4) == 0);
        unsigned w = (unsigned)hdr[16] << 24 | hdr[17] << 16 | hdr[18] << 8 | hdr[19];
        CHECK(w % 4 == 0 && w >= (21 + 8) * 4);
        /* Decoded by libpng: a square gray image of whole modules, the quiet zone light, the
         * top-left finder pattern's dark 7x7 ring and its light inner ring where they belong,
         * and the file private. */
        png_image img = {.version = PNG_IMAGE_VERSION};
        png_bytep px = NULL;
        CHECK(png_image_begin_read_from_file(&img, path) != 0);
        img.format = PNG_FORMAT_GRAY;
        px = malloc(PNG_IMAGE_SIZE(img));
        CHECK(px && png_image_finish_read(&img, NULL, px, 0, NULL) != 0);
        CHECK_INT(img.width, w);
        CHECK_INT(img.height, w);
        if (px && img.width == w) {
#define PX(mx, my) px[((my)*4 + 1) * w + (mx)*4 + 1] /* a module's pixel, 4 px/module */
                unsigned mods = w / 4, wrong = 0;
                for (unsigned i = 0; i < mods; i++)
                        wrong += PX(i, 0) != 255 || PX(0, i) != 255 || PX(i, 3) != 255 ||
                                 PX(mods - 1, i) != 255;
                CHECK_INT(wrong, 0);
                for (unsigned i = 0; i < 7; i++)
                        wrong += PX(4 + i, 4) != 0 || PX(4, 4 + i) != 0 || PX(10, 4 + i) != 0 ||
                                 PX(4 + i, 10) != 0;
                for (unsigned i = 0; i < 5; i++)
                        wrong += PX(5 + i, 5) != 255 || PX(5, 5 + i) != 255;
                CHECK_INT(wrong, 0);
                CHECK_INT(PX(7, 7), 0); /* the finder's dark centre */
#undef PX
        }
        free(px);
        png_image_free(&img);
        struct stat st;
        CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
        /* It carries the secret: never overwrite or follow an existing file. */
        CHECK_INT(su_qr_write_png(path, "x", 4), -EEXIST);
        unlink(path);
}

/* su_import_read: the owner the caller names (tests pass their own uid), root too only when
 * asked, never a writable file or a symbolic link; the refusal names the file. */
static void test_import_read(void)
{
        char dir[] = "/tmp/test-import-read.XXXXXX", path[300], link[310], err[600], want[700];
        char *text = NULL;
        size_t len = 0;
        uid_t me = geteuid();
        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/users.oath", dir);
        FILE *f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs("HOTP/T30 root - 3132333435363738393031323334353637383930\n", f);
        fclose(f);
        chmod(path, 0600);
        CHECK_INT(su_import_read(path, me, false, &text, &len, err, sizeof(err)), 0);
        CHECK(text && len == 57 && strncmp(text, "HOTP/T30 root", 13) == 0);
        free(text);
        text = NULL;
        CHECK_INT(su_import_read(path, me + 1, false, &text, &len, err, sizeof(err)), -EPERM);
        snprintf(want, sizeof(want), "%s: owned by uid %u, must be uid %u", path, (unsigned)me,
                 (unsigned)me + 1);
        CHECK_STREQ(err, want);
        CHECK(text == NULL);
        /* root's file stands for any user only when the caller says so */
        CHECK_INT(su_import_read(path, me + 1, true, &text, &len, err, sizeof(err)),
                  me == 0 ? 0 : -EPERM);
        free(text);
        text = NULL;
        chmod(path, 0666);
        CHECK_INT(su_import_read(path, me, false, &text, &len, err, sizeof(err)), -EPERM);
        snprintf(want, sizeof(want), "%s: group or world writable (mode 0666)", path);
        CHECK_STREQ(err, want);
        chmod(path, 0600);
        snprintf(link, sizeof(link), "%s.link", path);
        CHECK(symlink(path, link) == 0);
        CHECK_INT(su_import_read(link, me, false, &text, &len, err, sizeof(err)), -ELOOP);
        unlink(link);
        unlink(path);
        CHECK_INT(su_import_read(path, me, false, &text, &len, err, sizeof(err)), -ENOENT);
        rmdir(dir);
}

int main(void)
{
        test_normalize();
        test_hash();
        test_recovery();
        test_import_ga();
        test_import_oath();
        test_import_read();
        test_png();
        return check_done();
}
