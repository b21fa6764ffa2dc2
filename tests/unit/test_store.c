/* Store: creation mode, migrations, the shared-state interface on SQLite (replay-proof
 * consumption with its grant, atomic attempt admission, reset ending grants), assurance,
 * clocks and scope keys from the peer snapshot. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clocks.h"
#include "peer.h"
#include "store_open.h"

static char dir[] = "/tmp/stepup-store-XXXXXX";
static char path[256];

struct db {
        struct su_sqldb *d;
        struct su_store *s;
};

static int db_open(const char *p, struct db *db)
{
        struct su_store_config cfg = {.kind = SU_STORE_SQLITE};
        int r = su_sqldb_open(p, &db->d, NULL, 0);
        if (r < 0)
                return r;
        return su_store_open(&cfg, db->d, &db->s, NULL, 0);
}

static void db_close(struct db *db)
{
        su_store_close(db->s);
        su_sqldb_close(db->d);
}

static void test_open_and_migrate(void)
{
        struct db db;
        CHECK_INT(db_open(path, &db), 0);
        CHECK_INT(su_sqldb_schema_version(db.d), SU_SQLDB_SCHEMA_VERSION);
        CHECK_STREQ(db.s->ops->name, "sqlite");
        struct stat st;
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        db_close(&db);
        /* Reopening does not re-run migrations. */
        CHECK_INT(db_open(path, &db), 0);
        CHECK_INT(su_sqldb_schema_version(db.d), SU_SQLDB_SCHEMA_VERSION);
        db_close(&db);

        /* A database from a newer stepupd is refused, not rewritten, and says why. */
        char newer[300], err[256] = "";
        snprintf(newer, sizeof(newer), "%s/newer.db", dir);
        sqlite3 *sq;
        CHECK_INT(sqlite3_open(newer, &sq), SQLITE_OK);
        CHECK_INT(sqlite3_exec(sq, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(sq);
        struct su_sqldb *d = NULL;
        CHECK_INT(su_sqldb_open(newer, &d, err, sizeof(err)), -EPROTONOSUPPORT);
        CHECK(strstr(err, "newer than this stepupd") != NULL);

        /* A symlink in place of the database is refused. */
        char link[300];
        snprintf(link, sizeof(link), "%s/link.db", dir);
        CHECK_INT(symlink(path, link), 0);
        CHECK(su_sqldb_open(link, &d, NULL, 0) < 0);
}

static struct su_grant grant_for(const char *key)
{
        struct su_grant g = {.scope_key = key};
        g.a = (struct su_assurance){.factors = 1,
                                    .verified_at = 1000,
                                    .verified_boot = 10,
                                    .last_seen_at = 1000,
                                    .last_seen_boot = 10};
        strcpy(g.a.boot_id, "00000000-0000-0000-0000-000000000001");
        return g;
}

static void test_totp_consume(void)
{
        struct db db;
        CHECK_INT(db_open(path, &db), 0);
        const struct su_store_ops *o = db.s->ops;
        struct su_totp_row t = {.secret_len = 20, .last_step = -1, .active = false};
        su_totp_params_default(&t.params);
        memset(t.secret, 0x42, 20);
        CHECK_INT(o->totp_put(db.s, "alice", &t), 0);
        struct su_totp_row g;
        CHECK_INT(o->totp_get(db.s, "alice", &g), 0);
        CHECK(!g.active);
        CHECK_INT(g.last_step, -1);
        CHECK_INT(o->totp_get(db.s, "nobody-here", &g), -ENOENT);

        struct su_grant g1 = grant_for("tty:1"), g2 = grant_for("tty:2");
        CHECK_INT(o->totp_consume(db.s, "alice", 500, &g1), 0);
        CHECK_INT(o->totp_get(db.s, "alice", &g), 0);
        CHECK(g.active);
        CHECK_INT(g.last_step, 500);
        /* The same step, or an older one, is refused and writes nothing (no grant either). */
        CHECK_INT(o->totp_consume(db.s, "alice", 500, &g2), -EALREADY);
        CHECK_INT(o->totp_consume(db.s, "alice", 499, &g2), -EALREADY);
        struct su_assurance r;
        CHECK_INT(su_local_assurance_get(db.d, "alice", "tty:2", &r), -ENOENT);
        CHECK_INT(su_local_assurance_get(db.d, "alice", "tty:1", &r), 0);
        CHECK_INT(r.verified_at, 1000);
        CHECK_STREQ(r.boot_id, g1.a.boot_id);
        CHECK_INT(o->totp_consume(db.s, "alice", 501, &g2), 0);
        CHECK_INT(su_local_assurance_count(db.d, "alice"), 2);
        CHECK_INT(su_local_assurance_touch(db.d, "alice", "tty:1", &r, 1100, 110), 0);
        CHECK_INT(su_local_assurance_get(db.d, "alice", "tty:1", &r), 0);
        CHECK_INT(r.last_seen_at, 1100);
        CHECK_INT(su_local_assurance_revoke(db.d, "alice", "tty:1"), 1);
        CHECK_INT(su_local_assurance_count(db.d, "alice"), 1);
        /* A reset of the factor ends the user's grants in the same transaction. */
        CHECK_INT(o->reset(db.s, "alice", SU_TAB_QUESTIONS), 0);
        CHECK_INT(su_local_assurance_count(db.d, "alice"), 0);
        CHECK_INT(o->totp_get(db.s, "alice", &g), 0); /* only the named tables go */
        db_close(&db);

        /* Durable: a new connection sees the step. */
        CHECK_INT(db_open(path, &db), 0);
        CHECK_INT(db.s->ops->totp_get(db.s, "alice", &g), 0);
        CHECK_INT(g.last_step, 501);
        CHECK_INT(db.s->ops->reset(db.s, "alice", SU_TAB_TOTP), 0);
        CHECK_INT(db.s->ops->totp_get(db.s, "alice", &g), -ENOENT);
        db_close(&db);
}

static void test_failures(void)
{
        struct db db;
        struct su_failures f;
        struct su_store_limits lim = {
            .rate_attempts = 3, .rate_window = 30, .lockout_failures = 5, .lockout_duration = 900};
        CHECK_INT(db_open(path, &db), 0);
        const struct su_store_ops *o = db.s->ops;
        CHECK_INT(o->failures_get(db.s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 0);
        for (int i = 1; i <= 3; i++) {
                CHECK_INT(o->note_failure(db.s, "bob", 2000 + i, &f), 0);
                CHECK_INT(f.consecutive, i);
        }
        CHECK_INT(f.last_failure_at, 2003);
        CHECK_INT(o->attempt(db.s, "bob", 3000, &lim, &f), 0);
        CHECK_INT(f.window_count, 1);
        CHECK_INT(o->attempt(db.s, "bob", 3010, &lim, &f), 0);
        CHECK_INT(f.window_count, 2);
        CHECK_INT(f.window_start, 3000);
        CHECK_INT(o->attempt(db.s, "bob", 3011, &lim, &f), 0);
        /* The rate limit: a fourth attempt in the window is refused and not counted. */
        CHECK_INT(o->attempt(db.s, "bob", 3012, &lim, &f), -EAGAIN);
        CHECK_INT(f.window_count, 3);
        enum su_wait_reason why;
        CHECK_INT(su_failures_wait(&f, &lim, 3012, &why), 18);
        CHECK_INT(why, SU_WAIT_RATE);
        CHECK_INT(o->attempt(db.s, "bob", 3030, &lim, &f), 0); /* new window */
        CHECK_INT(f.window_count, 1);
        CHECK_INT(f.window_start, 3030);
        /* Clock set back: the window is still current, not expired. */
        CHECK_INT(o->attempt(db.s, "bob", 100, &lim, &f), 0);
        CHECK_INT(f.window_count, 2);
        /* Lockout: five failures lock for 900 s after the last one. */
        CHECK_INT(o->note_failure(db.s, "bob", 4000, &f), 0);
        CHECK_INT(o->note_failure(db.s, "bob", 4001, &f), 0);
        CHECK_INT(f.consecutive, 5);
        CHECK_INT(o->attempt(db.s, "bob", 4100, &lim, &f), -EAGAIN);
        CHECK_INT(su_failures_wait(&f, &lim, 4100, &why), 801);
        CHECK_INT(why, SU_WAIT_LOCKED);
        /* A failure stamped in the future keeps the lock on for its whole length. */
        CHECK_INT(su_failures_wait(&f, &lim, 3000, &why), 900);
        db_close(&db);
        CHECK_INT(db_open(path, &db), 0);
        CHECK_INT(db.s->ops->failures_get(db.s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 5); /* durable */
        CHECK_INT(db.s->ops->failures_reset(db.s, "bob"), 0);
        CHECK_INT(db.s->ops->failures_get(db.s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 0);
        db_close(&db);
}

static void test_age(void)
{
        const char *boot = "00000000-0000-0000-0000-000000000001";
        struct su_assurance a = {
            .verified_at = 1000, .verified_boot = 100, .last_seen_at = 1000, .last_seen_boot = 100};
        strcpy(a.boot_id, boot);
        CHECK_INT(su_assurance_age(&a, boot, 1060, 160), 60);
        /* Wall clock set back one hour: the boot clock still says 60 s. */
        CHECK_INT(su_assurance_age(&a, boot, 1000 - 3600 + 60, 160), -1); /* from the future */
        CHECK_INT(su_assurance_age(&a, boot, 1010, 160), 60);             /* max of both */
        /* Wall clock set forward: older, never younger. */
        CHECK_INT(su_assurance_age(&a, boot, 1000 + 7200, 160), 7200);
        /* Another boot: void. */
        CHECK_INT(su_assurance_age(&a, "00000000-0000-0000-0000-000000000002", 1060, 160), -1);
        /* Boot clock earlier than the record (impossible on one boot): void. */
        CHECK_INT(su_assurance_age(&a, boot, 1060, 50), -1);
}

static void test_scope_keys(void)
{
        struct su_peer p;
        char key[128];
        CHECK_INT(su_peer_read("/proc", getpid(), getuid(), getgid(), &p), 0);
        CHECK_INT(p.pid, getpid());
        CHECK_INT(p.self.ppid, getppid());
        CHECK_INT(p.parent.pid, getppid());
        CHECK_INT(p.self.sid, getsid(0));
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_SESSION, &p, key, sizeof(key)), 0);
        CHECK(strncmp(key, "session:", 8) == 0);
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_TTY, &p, key, sizeof(key)), 0);
        CHECK(strncmp(key, p.self.tty_nr ? "tty:" : "ppid:", p.self.tty_nr ? 4 : 5) == 0);
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_USER, &p, key, sizeof(key)), 0);
        CHECK_STREQ(key, "user");
        CHECK_INT(su_peer_read("/proc", 0, 0, 0, &p), -ESRCH);
        /* No /proc facts: only the user scope. */
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_SESSION, &p, key, sizeof(key)), -ESRCH);
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_USER, &p, key, sizeof(key)), 0);
        char boot[SU_BOOT_ID_LEN + 1];
        CHECK_INT(su_boot_id(boot), 0);
        CHECK_INT(strlen(boot), 36);
}

int main(void)
{
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/stepup.db", dir);
        CHECK_INT(su_totp_init(), 0);
        test_open_and_migrate();
        test_totp_consume();
        test_failures();
        test_age();
        test_scope_keys();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                return 1;
        return check_done();
}
