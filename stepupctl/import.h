/* Parsers for other modules' secret files.  Pure: a buffer in, factors or an error out;
 * every error names file:line.  Nothing is applied unless the whole file parses. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SU_IMPORT_SCRATCH_MAX 16
#define SU_IMPORT_USERS_MAX 1024

struct su_import_totp {
        char user[257];
        char secret_b32[128]; /* upper case, no padding */
        unsigned digits, period, window;
        char scratch[SU_IMPORT_SCRATCH_MAX][9];
        size_t nscratch;
        char notes[512]; /* options we honour differently, for the admin */
};

/* ~/.google_authenticator: line 1 the base32 secret; '" OPTION' lines; 8-digit scratch codes.
 * Returns 0 or -EINVAL with "name:line: message" in err. */
int su_import_ga_parse(const char *name, const char *text, size_t len, struct su_import_totp *out,
                       char *err, size_t errsize);

/* pam_oath usersfile: "TYPE USER PASSWORD HEXSECRET [COUNTER [LASTOTP [LASTTIME]]]" lines.
 * Only time-based lines (HOTP/T30, HOTP/T60/8 ...) without a password are accepted.
 * out has room for max entries; *n gets the count. */
int su_import_oath_parse(const char *name, const char *text, size_t len, struct su_import_totp *out,
                         size_t max, size_t *n, char *err, size_t errsize);

/* Reads a file to import: no symbolic link, a regular file of at most 1 MiB owned by owner
 * (or by root too when root_too), not group/world-writable.  The files name users and hold
 * their secrets, so whoever else could write one could plant a factor.  Returns 0 with the
 * text (the caller wipes and frees it) or a negative errno with "PATH: reason" in err. */
int su_import_read(const char *path, uid_t owner, bool root_too, char **text, size_t *len,
                   char *err, size_t errsize);
