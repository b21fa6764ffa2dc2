/* stepupctl fleet rotate-key --new PATH: every sealed TOTP secret (active and pending) opened
 * with the fleet key in use and sealed with the new one, and the database's key check
 * replaced, in one transaction under the migrations' advisory lock.  A secret that does not
 * open with the old key (a row copied from another user) stops it and nothing changes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fleet.h"
#include "schema.h"

#define SECRET_MAX 64 /* SU_TOTP_SECRET_MAX of stepupd */

/* Re-seals every row of one table; returns the number of rows or negative errno. */
static int reseal_table(struct fleet *f, const char *table, int id, const uint8_t *new_key)
{
        char select[160], update[200];
        snprintf(select, sizeof(select),
                 "SELECT username, nonce, secret FROM stepup.%s ORDER BY username FOR UPDATE",
                 table);
        snprintf(update, sizeof(update),
                 "UPDATE stepup.%s SET nonce = $2, secret = $3 WHERE username = $1", table);
        PGresult *res = NULL;
        int r = su_pg_exec(&f->pg, -1, select, 0, NULL, NULL, NULL, f->deadline_us, &res);
        if (r < 0)
                return r;
        int n = PQntuples(res);
        for (int i = 0; i < n && r >= 0; i++) {
                const char *user = PQgetvalue(res, i, 0);
                uint8_t nonce[SU_FLEET_NONCE_LEN], ct[SECRET_MAX + SU_FLEET_TAG_LEN];
                uint8_t plain[SECRET_MAX];
                size_t nlen = 0, clen = 0, plen = 0;
                r = su_pg_bytea(res, i, 1, nonce, sizeof(nonce), &nlen);
                if (r == 0)
                        r = su_pg_bytea(res, i, 2, ct, sizeof(ct), &clen);
                if (r == 0 && nlen == SU_FLEET_NONCE_LEN)
                        r = su_fleet_unseal(f->key, user, nonce, ct, clen, plain, sizeof(plain),
                                            &plen);
                else if (r == 0)
                        r = -EBADMSG;
                if (r < 0) {
                        snprintf(f->pg.err, sizeof(f->pg.err),
                                 "stepup.%s: the secret of %s does not open with the old key "
                                 "(reset that user's TOTP, then rotate)",
                                 table, user);
                        break;
                }
                r = su_fleet_seal(new_key, user, plain, plen, nonce, ct, sizeof(ct), &clen);
                sodium_memzero(plain, sizeof(plain));
                if (r < 0)
                        break;
                const char *values[3] = {user, (const char *)nonce, (const char *)ct};
                const int lengths[3] = {0, SU_FLEET_NONCE_LEN, (int)clen}, formats[3] = {0, 1, 1};
                PGresult *u = NULL;
                r = su_pg_exec(&f->pg, id, update, 3, values, lengths, formats, f->deadline_us, &u);
                PQclear(u);
        }
        PQclear(res);
        return r < 0 ? r : n;
}

int fleet_rotate(struct fleet *f, const char *new_key_path)
{
        uint8_t new_key[SU_FLEET_KEY_LEN], new_check[SU_FLEET_CHECK_LEN];
        char why[200];
        int r = su_fleet_key_read(new_key_path, geteuid(), new_key, why, sizeof(why));
        if (r < 0) {
                fprintf(stderr, "stepupctl: --new %s: %s\n", new_key_path, why);
                return 1;
        }
        su_fleet_key_check(new_key, new_check);
        if (sodium_memcmp(new_check, f->check, sizeof(new_check)) == 0) {
                fprintf(stderr, "stepupctl: --new %s is the key in use (%s)\n", new_key_path,
                        f->key_path);
                sodium_memzero(new_key, sizeof(new_key));
                return 1;
        }
        int active = 0, pending = 0;
        PGresult *res = NULL;
        r = su_pg_command(&f->pg, "BEGIN", f->deadline_us);
        if (r == 0)
                r = su_pg_command(&f->pg, "SELECT pg_advisory_xact_lock(" SU_PG_LOCK_KEY ")",
                                  f->deadline_us);
        /* The schema this program knows, sealed with the key it was given. */
        if (r == 0)
                r = su_pg_schema_check(&f->pg, f->check, 0, f->deadline_us);
        if (r == 0 && (active = reseal_table(f, "totp", 0, new_key)) < 0)
                r = active;
        if (r == 0 && (pending = reseal_table(f, "totp_pending", 1, new_key)) < 0)
                r = pending;
        if (r == 0) {
                const char *values[1] = {(const char *)new_check};
                const int lengths[1] = {SU_FLEET_CHECK_LEN}, formats[1] = {1};
                r = su_pg_exec(&f->pg, -1, "UPDATE stepup.meta SET key_check = $1 WHERE id = 1", 1,
                               values, lengths, formats, f->deadline_us, &res);
                PQclear(res);
        }
        if (r == 0)
                r = su_pg_command(&f->pg, "COMMIT", f->deadline_us);
        sodium_memzero(new_key, sizeof(new_key));
        if (r < 0) {
                char keep[sizeof(f->pg.err)];
                snprintf(keep, sizeof(keep), "%s", f->pg.err);
                su_pg_rollback(&f->pg, f->deadline_us);
                fprintf(stderr, "stepupctl: store: %s; nothing changed\n", keep);
                return 1;
        }
        printf("%d active and %d pending TOTP secrets sealed with %s; install it as fleet_key "
               "on every host (stepupd takes it at its next connection)\n",
               active, pending, new_key_path);
        return 0;
}
