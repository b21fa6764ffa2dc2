#include "names.h"

#include <string.h>

static bool plain_name(const char *s, size_t max)
{
        size_t n = strnlen(s, max + 1);
        if (n == 0 || n > max || s[0] == '-')
                return false;
        if (strstr(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c <= 0x20 || c == 0x7f || c == '/' || c == ':' || c == '\\')
                        return false;
        }
        return true;
}

bool su_valid_user(const char *s)
{
        return s && plain_name(s, 256);
}

bool su_valid_service(const char *s)
{
        return s && plain_name(s, 64);
}

bool su_valid_tty(const char *s)
{
        if (!s)
                return false;
        const char *leaf = s;
        if (strncmp(s, "pts/", 4) == 0) {
                leaf = s + 4;
                if (!*leaf)
                        return false;
                for (const char *p = leaf; *p; p++)
                        if (*p < '0' || *p > '9')
                                return false;
                return strlen(s) <= 64;
        }
        return plain_name(leaf, 64);
}

bool su_valid_host(const char *s)
{
        if (!s)
                return false;
        size_t n = strnlen(s, 256);
        if (n == 0 || n > 255)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || strchr(".-:_%[]", c);
                if (!ok)
                        return false;
        }
        return true;
}

const char *su_tty_relative(const char *s)
{
        if (s && strncmp(s, "/dev/", 5) == 0)
                return s + 5;
        return s;
}
