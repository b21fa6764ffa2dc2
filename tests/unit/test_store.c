/* Store: creation mode, migrations, replay-proof commit, assurance, failures. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "scope.h"
#include "store.h"

static char dir[] = "/tmp/stepup-store-XXXXXX";
static char path[256];

static void test_open_and_migrate(void)
{
        struct su_store *s = NULL;
        CHECK_INT(su_store_open(path, &s), 0);
        CHECK_INT(su_store_schema_version(s), SU_STORE_SCHEMA_VERSION);
        struct stat st;
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        su_store_close(s);
        /* Reopening does not re-run migrations. */
        CHECK_INT(su_store_open(path, &s), 0);
        CHECK_INT(su_store_schema_version(s), SU_STORE_SCHEMA_VERSION);
        su_store_close(s);

        /* A database from a newer stepupd is refused, not rewritten. */
        char newer[300];
        snprintf(newer, sizeof(newer), "%s/newer.db", dir);
        sqlite3 *db;
        CHECK_INT(sqlite3_open(newer, &db), SQLITE_OK);
        CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        CHECK_INT(su_store_open(newer, &s), -EPROTONOSUPPORT);

        /* A symlink in place of the database is refused. */
        char link[300];
        snprintf(link, sizeof(link), "%s/link.db", dir);
        CHECK_INT(symlink(path, link), 0);
        CHECK(su_store_open(link, &s) < 0);
}

static void test_totp_commit(void)
{
        struct su_store *s = NULL;
        CHECK_INT(su_store_open(path, &s), 0);
        struct su_totp_row t = {.secret_len = 20, .last_step = -1, .active = false};
        su_totp_params_default(&t.params);
        memset(t.secret, 0x42, 20);
        CHECK_INT(su_store_totp_put(s, "alice", &t), 0);
        struct su_totp_row g;
        CHECK_INT(su_store_totp_get(s, "alice", &g), 0);
        CHECK(!g.active);
        CHECK_INT(g.last_step, -1);
        CHECK_INT(su_store_totp_get(s, "nobody-here", &g), -ENOENT);

        struct su_assurance a = {.factors = 1,
                                 .verified_at = 1000,
                                 .verified_boot = 10,
                                 .last_seen_at = 1000,
                                 .last_seen_boot = 10};
        strcpy(a.boot_id, "00000000-0000-0000-0000-000000000001");
        CHECK_INT(su_store_commit_totp(s, "alice", 500, "tty:1", &a), 0);
        CHECK_INT(su_store_totp_get(s, "alice", &g), 0);
        CHECK(g.active);
        CHECK_INT(g.last_step, 500);
        /* The same step, or an older one, is refused and writes nothing. */
        CHECK_INT(su_store_commit_totp(s, "alice", 500, "tty:2", &a), -EALREADY);
        CHECK_INT(su_store_commit_totp(s, "alice", 499, "tty:2", &a), -EALREADY);
        struct su_assurance r;
        CHECK_INT(su_store_assurance_get(s, "alice", "tty:2", &r), -ENOENT);
        CHECK_INT(su_store_assurance_get(s, "alice", "tty:1", &r), 0);
        CHECK_INT(r.verified_at, 1000);
        CHECK_STREQ(r.boot_id, a.boot_id);
        CHECK_INT(su_store_commit_totp(s, "alice", 501, "tty:2", &a), 0);
        CHECK_INT(su_store_assurance_count(s, "alice"), 2);
        CHECK_INT(su_store_assurance_touch(s, "alice", "tty:1", 1100, 110), 0);
        CHECK_INT(su_store_assurance_get(s, "alice", "tty:1", &r), 0);
        CHECK_INT(r.last_seen_at, 1100);
        CHECK_INT(su_store_assurance_revoke(s, "alice", "tty:1"), 1);
        CHECK_INT(su_store_assurance_revoke(s, "alice", NULL), 1);
        CHECK_INT(su_store_assurance_count(s, "alice"), 0);
        su_store_close(s);

        /* Durable: a new handle sees the step. */
        CHECK_INT(su_store_open(path, &s), 0);
        CHECK_INT(su_store_totp_get(s, "alice", &g), 0);
        CHECK_INT(g.last_step, 501);
        CHECK_INT(su_store_totp_delete(s, "alice"), 1);
        su_store_close(s);
}

static void test_failures(void)
{
        struct su_store *s = NULL;
        struct su_failures f;
        CHECK_INT(su_store_open(path, &s), 0);
        CHECK_INT(su_store_failures_get(s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 0);
        for (int i = 1; i <= 3; i++) {
                CHECK_INT(su_store_note_failure(s, "bob", 2000 + i, &f), 0);
                CHECK_INT(f.consecutive, i);
        }
        CHECK_INT(f.last_failure_at, 2003);
        CHECK_INT(su_store_note_attempt(s, "bob", 3000, 30, &f), 0);
        CHECK_INT(f.window_count, 1);
        CHECK_INT(su_store_note_attempt(s, "bob", 3010, 30, &f), 0);
        CHECK_INT(f.window_count, 2);
        CHECK_INT(f.window_start, 3000);
        CHECK_INT(su_store_note_attempt(s, "bob", 3030, 30, &f), 0); /* new window */
        CHECK_INT(f.window_count, 1);
        CHECK_INT(f.window_start, 3030);
        /* Clock set back: the window is still current, not expired. */
        CHECK_INT(su_store_note_attempt(s, "bob", 100, 30, &f), 0);
        CHECK_INT(f.window_count, 2);
        su_store_close(s);
        CHECK_INT(su_store_open(path, &s), 0);
        CHECK_INT(su_store_failures_get(s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 3); /* durable */
        CHECK_INT(su_store_failures_reset(s, "bob"), 0);
        CHECK_INT(su_store_failures_get(s, "bob", &f), 0);
        CHECK_INT(f.consecutive, 0);
        su_store_close(s);
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
        struct su_peer_proc p;
        char key[128];
        CHECK_INT(su_peer_proc_read("/proc", getpid(), &p), 0);
        CHECK_INT(p.pid, getpid());
        CHECK_INT(p.ppid, getppid());
        CHECK_INT(p.sid, getsid(0));
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_SESSION, &p, key, sizeof(key)), 0);
        CHECK(strncmp(key, "session:", 8) == 0);
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_TTY, &p, key, sizeof(key)), 0);
        CHECK(strncmp(key, p.tty_nr ? "tty:" : "ppid:", p.tty_nr ? 4 : 5) == 0);
        CHECK_INT(su_scope_key(SU_SCOPE_KEY_USER, &p, key, sizeof(key)), 0);
        CHECK_STREQ(key, "user");
        CHECK_INT(su_peer_proc_read("/proc", 0, &p), -ESRCH);
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
        test_totp_commit();
        test_failures();
        test_age();
        test_scope_keys();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                return 1;
        return check_done();
}
