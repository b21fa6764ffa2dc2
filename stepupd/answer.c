#include "answer.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <locale.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

int su_normalize_answer(const char *in, char *out, size_t size)
{
        /* A private locale object, this call's own (threads, and no state kept): the daemon's
         * global locale stays "C". */
        locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        if (!utf8)
                return -EIO;
        locale_t old = uselocale(utf8);
        mbstate_t in_st = {0}, out_st = {0};
        size_t len = strlen(in), pos = 0, used = 0;
        int r = 0;
        bool space = false;
        while (pos < len) {
                wchar_t wc;
                size_t n = mbrtowc(&wc, in + pos, len - pos, &in_st);
                if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
                        r = -EINVAL;
                        break;
                }
                pos += n;
                if (iswspace((wint_t)wc)) {
                        space = used > 0;
                        continue;
                }
                char buf[MB_LEN_MAX];
                if (space) {
                        if (used + 1 >= size) {
                                r = -ENOBUFS;
                                break;
                        }
                        out[used++] = ' ';
                        space = false;
                }
                size_t m = wcrtomb(buf, (wchar_t)towlower((wint_t)wc), &out_st);
                if (m == (size_t)-1) {
                        r = -EINVAL;
                        break;
                }
                if (used + m >= size) {
                        r = -ENOBUFS;
                        break;
                }
                memcpy(out + used, buf, m);
                used += m;
        }
        uselocale(old);
        freelocale(utf8);
        if (r == 0 && used == 0)
                r = -EINVAL; /* an empty answer is no answer */
        if (r < 0) {
                explicit_bzero(out, size);
                return r;
        }
        out[used] = 0;
        return 0;
}
