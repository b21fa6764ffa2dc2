/* stepupctl fleet import --from sqlite:PATH: one host's enrolments (TOTP secrets, security
 * question hashes, recovery codes) copied into the fleet's PostgreSQL in one transaction.
 *   - a user the fleet does not know yet is copied (the TOTP secret sealed with the fleet key);
 *   - a user enrolled the same way on both sides is merged: the later of the two last used
 *     TOTP steps, recovery codes used on either side stay used;
 *   - a user enrolled differently (another secret, other answers or codes) is reported, and
 *     at the end of the run nothing at all is written when any was.
 * Pending enrolments and failure counts are not copied (they are short-lived). */
#include <errno.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "fleet.h"
#include "schema.h"
#include "sqldb.h"

#define SECRET_MAX 64 /* SU_TOTP_SECRET_MAX of stepupd */
#define ROWS_MAX 64   /* question or recovery rows per user */
#define TEXT_MAX 160

enum {
        S_TOTP_GET,
        S_TOTP_ADD,
        S_TOTP_MERGE,
        S_LOG,
        S_Q_GET,
        S_Q_ADD,
        S_R_GET,
        S_R_ADD,
        S_R_MERGE,
};

struct counts {
        unsigned added, merged, conflicts;
};

struct import {
        struct fleet *f;
        sqlite3 *db;
        char host[256];
        char uid[16];
        char now[24];
        struct counts totp, questions, recovery;
};

static int pg(struct import *im, int id, const char *sql, int n, const char *const *values,
              const int *lengths, const int *formats, PGresult **ret)
{
        PGresult *res = NULL;
        int r =
            su_pg_exec(&im->f->pg, id, sql, n, values, lengths, formats, im->f->deadline_us, &res);
        if (r == 0 && ret)
                *ret = res;
        else
                PQclear(res);
        return r;
}

static int log_change(struct import *im, const char *user, const char *factor, const char *what)
{
        const char *values[5] = {user, factor, what, im->uid, im->host};
        return pg(im, S_LOG,
                  "INSERT INTO stepup.factor_log (changed_at, username, factor, change, by_uid, "
                  "host) VALUES (floor(extract(epoch FROM clock_timestamp())), $1, $2, $3, $4, "
                  "$5)",
                  5, values, NULL, NULL, NULL);
}

static void conflict(struct import *im, struct counts *c, const char *user, const char *what)
{
        c->conflicts++;
        fprintf(stderr, "stepupctl: fleet import: %s: %s\n", user, what);
}

/* One TOTP row of the host: copied, merged or a conflict. */
static int import_totp_row(struct import *im, sqlite3_stmt *st)
{
        const char *user = (const char *)sqlite3_column_text(st, 0);
        int slen = sqlite3_column_bytes(st, 1);
        const uint8_t *secret = sqlite3_column_blob(st, 1);
        if (!user || slen < 1 || slen > SECRET_MAX) {
                fprintf(stderr, "stepupctl: fleet import: a TOTP row that is not valid\n");
                return -EBADMSG;
        }
        char nums[6][24];
        for (int i = 0; i < 6; i++)
                snprintf(nums[i], sizeof(nums[i]), "%lld",
                         (long long)sqlite3_column_int64(st, 2 + i));
        /* nums: algo, digits, period, window, last_step, active; created_at is column 8 */
        char created[24];
        snprintf(created, sizeof(created), "%lld", (long long)sqlite3_column_int64(st, 8));
        const char *active = sqlite3_column_int(st, 7) ? "true" : "false";

        PGresult *res = NULL;
        const char *key[1] = {user};
        int r = pg(im, S_TOTP_GET,
                   "SELECT nonce, secret, algo, digits, period FROM stepup.totp "
                   "WHERE username = $1 FOR UPDATE",
                   1, key, NULL, NULL, &res);
        if (r < 0)
                return r;
        uint8_t nonce[SU_FLEET_NONCE_LEN], ct[SECRET_MAX + SU_FLEET_TAG_LEN], plain[SECRET_MAX];
        size_t nlen = 0, clen = 0, plen = 0;
        if (PQntuples(res) == 0) {
                PQclear(res);
                r = su_fleet_seal(im->f->key, user, secret, (size_t)slen, nonce, ct, sizeof(ct),
                                  &clen);
                if (r < 0)
                        return r;
                const char *values[10] = {user,
                                          (const char *)nonce,
                                          (const char *)ct,
                                          nums[0],
                                          nums[1],
                                          nums[2],
                                          nums[3],
                                          created,
                                          nums[4],
                                          active};
                const int lengths[10] = {0, SU_FLEET_NONCE_LEN, (int)clen};
                const int formats[10] = {0, 1, 1};
                r = pg(im, S_TOTP_ADD,
                       "INSERT INTO stepup.totp (username, nonce, secret, algo, digits, period, "
                       "step_window, created_at, last_step, active) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                       10, values, lengths, formats, NULL);
                if (r == 0 && (r = log_change(im, user, "totp", "imported")) == 0)
                        im->totp.added++;
                return r;
        }
        bool same =
            su_pg_bytea(res, 0, 0, nonce, sizeof(nonce), &nlen) == 0 &&
            nlen == SU_FLEET_NONCE_LEN && su_pg_bytea(res, 0, 1, ct, sizeof(ct), &clen) == 0 &&
            su_fleet_unseal(im->f->key, user, nonce, ct, clen, plain, sizeof(plain), &plen) == 0 &&
            plen == (size_t)slen && sodium_memcmp(plain, secret, plen) == 0 &&
            strcmp(PQgetvalue(res, 0, 2), nums[0]) == 0 &&
            strcmp(PQgetvalue(res, 0, 3), nums[1]) == 0 &&
            strcmp(PQgetvalue(res, 0, 4), nums[2]) == 0;
        sodium_memzero(plain, sizeof(plain));
        PQclear(res);
        if (!same) {
                conflict(im, &im->totp, user,
                         "TOTP secret differs from the fleet's (enrolled differently)");
                return 0;
        }
        /* The same enrolment: a step used on either side stays used. */
        const char *values[3] = {user, nums[4], active};
        r = pg(im, S_TOTP_MERGE,
               "UPDATE stepup.totp SET last_step = GREATEST(last_step, $2::bigint), "
               "active = active OR $3::boolean WHERE username = $1",
               3, values, NULL, NULL, NULL);
        if (r == 0)
                im->totp.merged++;
        return r;
}

static int import_totp(struct import *im)
{
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(im->db,
                               "SELECT user, secret, algo, digits, period, window, last_step, "
                               "active, created_at FROM totp ORDER BY user",
                               -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        int r = 0, sr;
        while (r == 0 && (sr = sqlite3_step(st)) == SQLITE_ROW)
                r = import_totp_row(im, st);
        if (r == 0 && sr != SQLITE_DONE)
                r = -EIO;
        sqlite3_finalize(st);
        return r;
}

/* Questions (qid, hash) or recovery codes (tag, hash, used_at) of one user, by key. */
struct hash_row {
        char key[TEXT_MAX], hash[TEXT_MAX];
        bool used;
        int64_t used_at;
};

struct hash_kind {
        const char *table, *key_col, *factor;
        bool has_used;
        int s_get, s_add;
        const char *pg_get, *pg_add;
        struct counts *counts;
};

static int local_rows(struct import *im, const struct hash_kind *k, const char *user,
                      struct hash_row *rows, size_t *n)
{
        char q[200];
        snprintf(q, sizeof(q), "SELECT %s, hash%s FROM %s WHERE user = ?1 ORDER BY %s", k->key_col,
                 k->has_used ? ", used_at" : "", k->table, k->key_col);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(im->db, q, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
        int sr;
        *n = 0;
        while ((sr = sqlite3_step(st)) == SQLITE_ROW && *n < ROWS_MAX) {
                struct hash_row *h = &rows[(*n)++];
                snprintf(h->key, sizeof(h->key), "%s", (const char *)sqlite3_column_text(st, 0));
                snprintf(h->hash, sizeof(h->hash), "%s", (const char *)sqlite3_column_text(st, 1));
                h->used = k->has_used && sqlite3_column_type(st, 2) != SQLITE_NULL;
                h->used_at = h->used ? sqlite3_column_int64(st, 2) : 0;
        }
        sqlite3_finalize(st);
        return sr == SQLITE_ROW || sr == SQLITE_DONE ? 0 : -EIO;
}

static int import_hash_user(struct import *im, const struct hash_kind *k, const char *user)
{
        struct hash_row rows[ROWS_MAX];
        size_t n = 0;
        int r = local_rows(im, k, user, rows, &n);
        if (r < 0)
                return r;
        PGresult *res = NULL;
        const char *key[1] = {user};
        if ((r = pg(im, k->s_get, k->pg_get, 1, key, NULL, NULL, &res)) < 0)
                return r;
        int have = PQntuples(res);
        bool same = (size_t)have == n;
        for (int i = 0; same && i < have; i++)
                same = strcmp(PQgetvalue(res, i, 0), rows[i].key) == 0 &&
                       strcmp(PQgetvalue(res, i, 1), rows[i].hash) == 0;
        PQclear(res);
        if (have > 0 && !same) {
                char what[128];
                snprintf(what, sizeof(what), "%s differ from the fleet's (enrolled differently)",
                         k->table);
                conflict(im, k->counts, user, what);
                return 0;
        }
        for (size_t i = 0; r == 0 && i < n; i++) {
                char used[24];
                snprintf(used, sizeof(used), "%lld", (long long)rows[i].used_at);
                const char *values[5] = {user, rows[i].key, rows[i].hash, im->now,
                                         rows[i].used ? used : NULL};
                if (have == 0)
                        r = pg(im, k->s_add, k->pg_add, k->has_used ? 5 : 4, values, NULL, NULL,
                               NULL);
                else if (rows[i].used) { /* merged: used on either side stays used */
                        const char *merge[4] = {user, rows[i].key, rows[i].hash, used};
                        r = pg(im, S_R_MERGE,
                               "UPDATE stepup.recovery SET used_at = COALESCE(used_at, "
                               "$4::bigint) WHERE username = $1 AND tag = $2 AND hash = $3",
                               4, merge, NULL, NULL, NULL);
                }
        }
        if (r < 0)
                return r;
        if (have == 0) {
                k->counts->added++;
                return log_change(im, user, k->factor, "imported");
        }
        k->counts->merged++;
        return 0;
}

static int import_hashes(struct import *im, const struct hash_kind *k)
{
        char q[120];
        snprintf(q, sizeof(q), "SELECT DISTINCT user FROM %s ORDER BY user", k->table);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(im->db, q, -1, &st, NULL) != SQLITE_OK)
                return -EIO;
        int r = 0, sr;
        while (r == 0 && (sr = sqlite3_step(st)) == SQLITE_ROW) {
                char user[TEXT_MAX];
                snprintf(user, sizeof(user), "%s", (const char *)sqlite3_column_text(st, 0));
                r = import_hash_user(im, k, user);
        }
        if (r == 0 && sr != SQLITE_DONE)
                r = -EIO;
        sqlite3_finalize(st);
        return r;
}

static int count_rows(sqlite3 *db, const char *sql)
{
        sqlite3_stmt *st;
        int n = -1;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
                n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return n;
}

static int run_import(struct import *im)
{
        const struct hash_kind questions = {
            .table = "questions",
            .key_col = "qid",
            .factor = "question",
            .s_get = S_Q_GET,
            .s_add = S_Q_ADD,
            .pg_get = "SELECT qid, hash FROM stepup.questions WHERE username = $1 "
                      "ORDER BY qid FOR UPDATE",
            .pg_add = "INSERT INTO stepup.questions (username, qid, hash, created_at) "
                      "VALUES ($1, $2, $3, $4)",
            .counts = &im->questions,
        };
        const struct hash_kind recovery = {
            .table = "recovery",
            .key_col = "tag",
            .factor = "recovery",
            .has_used = true,
            .s_get = S_R_GET,
            .s_add = S_R_ADD,
            .pg_get = "SELECT tag, hash FROM stepup.recovery WHERE username = $1 "
                      "ORDER BY tag FOR UPDATE",
            .pg_add = "INSERT INTO stepup.recovery (username, tag, hash, created_at, used_at) "
                      "VALUES ($1, $2, $3, $4, $5)",
            .counts = &im->recovery,
        };
        struct fleet *f = im->f;
        int r = su_pg_command(&f->pg, "BEGIN", f->deadline_us);
        /* One import at a time, and never beside a migration or a key rotation. */
        if (r == 0)
                r = su_pg_command(&f->pg, "SELECT pg_advisory_xact_lock(" SU_PG_LOCK_KEY ")",
                                  f->deadline_us);
        if (r == 0)
                r = su_pg_schema_check(&f->pg, f->check, 0, f->deadline_us);
        if (r == 0)
                r = import_totp(im);
        if (r == 0)
                r = import_hashes(im, &questions);
        if (r == 0)
                r = import_hashes(im, &recovery);
        unsigned conflicts = im->totp.conflicts + im->questions.conflicts + im->recovery.conflicts;
        if (r == 0 && conflicts == 0)
                r = su_pg_command(&f->pg, "COMMIT", f->deadline_us);
        if (r < 0 || conflicts) {
                char keep[sizeof(f->pg.err)];
                snprintf(keep, sizeof(keep), "%s", f->pg.err);
                su_pg_rollback(&f->pg, f->deadline_us);
                if (r == -EIO && keep[0] == 0)
                        fprintf(stderr, "stepupctl: fleet import: %s\n", sqlite3_errmsg(im->db));
                else if (r < 0)
                        fprintf(stderr, "stepupctl: store: %s; nothing imported\n", keep);
                else
                        fprintf(stderr,
                                "stepupctl: fleet import: %u enrolment(s) differ between this "
                                "host and the fleet; nothing imported (reset the factor on one "
                                "side, then import again)\n",
                                conflicts);
                return 1;
        }
        return 0;
}

int fleet_import(struct fleet *f, const char *sqlite_path)
{
        struct import im = {.f = f};
        int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
        if (sqlite3_open_v2(sqlite_path, &im.db, flags, NULL) != SQLITE_OK) {
                fprintf(stderr, "stepupctl: %s: %s\n", sqlite_path,
                        im.db ? sqlite3_errmsg(im.db) : "out of memory");
                sqlite3_close(im.db);
                return 1;
        }
        int version = count_rows(im.db, "PRAGMA user_version");
        if (version != SU_SQLDB_SCHEMA_VERSION) {
                fprintf(stderr,
                        "stepupctl: %s: database schema version %d, this stepupctl reads %d "
                        "(start that host's stepupd of this version once first)\n",
                        sqlite_path, version, SU_SQLDB_SCHEMA_VERSION);
                sqlite3_close(im.db);
                return 1;
        }
        if (gethostname(im.host, sizeof(im.host) - 1) < 0)
                snprintf(im.host, sizeof(im.host), "unknown");
        snprintf(im.uid, sizeof(im.uid), "%u", (unsigned)getuid());
        snprintf(im.now, sizeof(im.now), "%lld", (long long)time(NULL));
        int code = run_import(&im);
        if (code == 0) {
                int pending = count_rows(im.db, "SELECT count(*) FROM totp_pending");
                printf("imported from %s: TOTP %u new, %u already in the fleet; security "
                       "questions %u new, %u already; recovery codes %u new, %u already\n",
                       sqlite_path, im.totp.added, im.totp.merged, im.questions.added,
                       im.questions.merged, im.recovery.added, im.recovery.merged);
                if (pending > 0)
                        printf("%d pending TOTP enrolment(s) not copied: finish them on the "
                               "fleet\n",
                               pending);
        }
        sqlite3_close(im.db);
        return code;
}
