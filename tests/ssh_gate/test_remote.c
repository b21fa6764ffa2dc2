/* remote.c against a fake /proc: sshd's remembered PAM_RHOST, ancestry, pid reuse, forged
 * sshd names, the depth limit, eviction, and the verdict cache by (pid, start time). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "remote.h"

static char root[] = "/tmp/stepup-remote-test.XXXXXX";

/* One fake process: /proc/PID/stat and /proc/PID/status. */
static void mkproc(pid_t pid, pid_t ppid, unsigned long long start, const char *comm, unsigned ruid,
                   unsigned euid)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%d", root, (int)pid);
        mkdir(path, 0755);
        snprintf(path, sizeof(path), "%s/%d/stat", root, (int)pid);
        FILE *f = fopen(path, "w");
        if (!f)
                abort();
        fprintf(f, "%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000 10\n",
                (int)pid, comm, (int)ppid, (int)pid, (int)pid, start);
        fclose(f);
        snprintf(path, sizeof(path), "%s/%d/status", root, (int)pid);
        f = fopen(path, "w");
        if (!f)
                abort();
        fprintf(f,
                "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t%d\nPPid:\t%d\n"
                "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
                comm, (int)pid, (int)ppid, ruid, euid, euid, euid);
        fclose(f);
}

static void rmproc(pid_t pid)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%d/stat", root, (int)pid);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%d/status", root, (int)pid);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%d", root, (int)pid);
        rmdir(path);
}

static struct su_peer peer_of(pid_t pid)
{
        struct su_peer p;
        (void)su_peer_read(root, pid, 0, 0, &p);
        return p;
}

/* A fresh lookup: the fake /proc changes under the tests in ways a real one cannot (an
 * ancestor replaced while its descendants live), so the verdict cache is emptied first. */
static struct su_remote_info look(struct su_remote *t, pid_t pid)
{
        struct su_remote_info i;
        struct su_peer p = peer_of(pid);
        memset(t->cache, 0, sizeof(t->cache));
        int r = su_remote_from_ancestry(t, &p, &i);
        CHECK_INT(r, 0);
        return i;
}

static int note(struct su_remote *t, pid_t pid, const char *rhost)
{
        struct su_peer p = peer_of(pid);
        return su_remote_note(t, &p, rhost);
}

static bool has(const struct su_remote *t, pid_t pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].pid == pid)
                        return true;
        return false;
}

int main(void)
{
        if (!mkdtemp(root))
                return 1;
        struct su_remote *t = calloc(1, sizeof(*t));
        if (!t)
                return 1;
        su_remote_init(t, root, false);

        /* init -> sshd listener -> monitor -> (kbd-int PAM child) and the user's side:
         * user-owned "sshd: alice@pts/0" -> bash -> sudo (setuid: real uid 1000) */
        mkproc(1, 0, 1, "systemd", 0, 0);
        mkproc(100, 1, 500, "sshd", 0, 0);
        mkproc(200, 100, 9000, "sshd", 0, 0);
        mkproc(201, 200, 9010, "sshd", 0, 0);
        mkproc(300, 200, 9020, "sshd", 1000, 1000);
        mkproc(400, 300, 9030, "bash", 1000, 1000);
        mkproc(500, 400, 9040, "sudo", 1000, 0);
        mkproc(600, 1, 700, "bash", 1000, 1000); /* a local session */

        struct su_remote_info i = look(t, 500);
        CHECK(i.remote); /* a root sshd above, never told about: remote, host unknown */
        CHECK_INT(i.source, SU_REMOTE_SSHD_ANCESTOR);
        CHECK_STREQ(i.rhost, "");
        i = look(t, 600);
        CHECK(!i.remote);
        CHECK_INT(i.source, SU_REMOTE_LOCAL);

        /* only a root sshd is believed, and only a valid host name */
        CHECK_INT(note(t, 400, "10.0.0.5"), -EPERM);
        CHECK_INT(note(t, 300, "10.0.0.5"), -EPERM); /* user-owned sshd */
        CHECK_INT(note(t, 500, "10.0.0.5"), -EPERM); /* setuid, real uid 1000 */
        CHECK_INT(note(t, 201, "bad host"), -EINVAL);
        CHECK_INT(note(t, 999, "10.0.0.5"), -ESRCH);
        CHECK_INT(t->n, 0);

        /* the keyboard-interactive PAM child tells us: it and its monitor are remembered */
        CHECK_INT(note(t, 201, "10.0.0.5"), 0);
        CHECK(has(t, 201) && has(t, 200));
        i = look(t, 500);
        CHECK(i.remote);
        CHECK_INT(i.source, SU_REMOTE_SSHD_RHOST);
        CHECK_STREQ(i.rhost, "10.0.0.5");
        i = look(t, 201);
        CHECK_STREQ(i.rhost, "10.0.0.5");

        /* the monitor itself tells us (account phase): it, and its parent the listener, are
         * remembered; lookups still stop at the monitor, the first root sshd */
        CHECK_INT(note(t, 200, "192.0.2.9"), 0);
        CHECK(has(t, 100));
        CHECK_STREQ(look(t, 500).rhost, "192.0.2.9");
        /* another connection's monitor, never told about: remote, host unknown (never the
         * listener's entry) */
        mkproc(210, 100, 9100, "sshd", 0, 0);
        mkproc(310, 210, 9110, "bash", 1000, 1000);
        i = look(t, 310);
        CHECK(i.remote);
        CHECK_INT(i.source, SU_REMOTE_SSHD_ANCESTOR);
        CHECK_STREQ(i.rhost, "");

        /* pid reuse: the monitor's pid now names a process with another start time */
        mkproc(200, 100, 9999, "sshd", 0, 0);
        i = look(t, 500);
        CHECK(i.remote);
        CHECK_INT(i.source, SU_REMOTE_SSHD_ANCESTOR);
        CHECK_STREQ(i.rhost, "");
        mkproc(200, 100, 9000, "sshd", 0, 0);
        CHECK_STREQ(look(t, 500).rhost, "192.0.2.9");

        /* a user's own program named sshd is not sshd */
        mkproc(700, 1, 800, "sshd", 1000, 1000);
        mkproc(701, 700, 801, "bash", 1000, 1000);
        CHECK(!look(t, 701).remote);
        /* a comm with ") (" in it is parsed from the last ')' */
        mkproc(702, 200, 802, "x) (sshd", 1000, 1000);
        struct su_proc_stat pf;
        CHECK_INT(su_proc_stat_read(root, 702, &pf), 0);
        CHECK_INT(pf.ppid, 200);
        CHECK_STREQ(pf.comm, "x) (sshd");
        CHECK_STREQ(look(t, 702).rhost, "192.0.2.9");
        /* a stat file longer than the reader's buffer is refused, never parsed cut short */
        {
                char path[512];
                snprintf(path, sizeof(path), "%s/703", root);
                mkdir(path, 0755);
                snprintf(path, sizeof(path), "%s/703/stat", root);
                FILE *f = fopen(path, "w");
                if (!f)
                        abort();
                fprintf(f, "703 (long) S 200 703 703 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 803");
                for (int k = 0; k < 200; k++)
                        fprintf(f, " %d", 1000000 + k);
                fprintf(f, "\n");
                fclose(f);
                CHECK_INT(su_proc_stat_read(root, 703, &pf), -EFBIG);
        }

        /* depth: 63 processes between the caller and the monitor are fine, 64 are too many */
        pid_t parent = 200;
        for (pid_t p = 1000; p < 1064; p++) {
                mkproc(p, parent, 20000 + (unsigned long long)p, "sh", 1000, 1000);
                parent = p;
        }
        CHECK(look(t, 1062).remote); /* 63 levels to 1000, the 64th is the monitor */
        CHECK(!look(t, 1063).remote);

        /* an unreadable caller is an error; a vanished ancestor just ends the walk */
        struct su_peer gone = peer_of(4242);
        CHECK(su_remote_from_ancestry(t, &gone, &i) < 0);
        rmproc(300);
        CHECK(!look(t, 500).remote);
        mkproc(300, 200, 9020, "sshd", 1000, 1000);

        /* the verdict cache: a second lookup below the same parent reads no ancestor above
         * it, and keeps its verdict even when those ancestors' entries vanish (a process's
         * ancestry only ever moves up, never to an sshd) */
        memset(t->cache, 0, sizeof(t->cache));
        struct su_peer p500 = peer_of(500);
        uint64_t misses = t->cache_misses, hits = t->cache_hits;
        CHECK_INT(su_remote_from_ancestry(t, &p500, &i), 0);
        CHECK(i.remote);
        CHECK_INT(t->cache_misses, misses + 1);
        rmproc(300); /* the walk would now stop here: only the cache can still answer */
        CHECK_INT(su_remote_from_ancestry(t, &p500, &i), 0);
        CHECK_INT(t->cache_hits, hits + 1);
        CHECK(i.remote);
        CHECK_STREQ(i.rhost, "192.0.2.9");
        mkproc(300, 200, 9020, "sshd", 1000, 1000);
        /* a reused pid with another start time is another process: no cached verdict */
        mkproc(400, 300, 9999, "bash", 1000, 1000);
        mkproc(600, 1, 700, "bash", 1000, 1000);
        struct su_peer p600 = peer_of(600);
        CHECK_INT(su_remote_from_ancestry(t, &p600, &i), 0);
        CHECK(!i.remote);
        mkproc(400, 300, 9030, "bash", 1000, 1000);

        /* eviction, with a table of 16: when full, the dead go first, then the oldest */
        su_remote_done(t);
        free(t);
        t = calloc(1, sizeof(*t));
        su_remote_init(t, root, false);
        t->cap = 16;
        for (pid_t p = 0; p < 16; p++) {
                mkproc(10000 + p, 1, 50000 + (unsigned long long)p, "sshd", 0, 0);
                CHECK_INT(note(t, 10000 + p, "10.1.0.1"), 0);
        }
        CHECK_INT(t->n, 16);
        for (pid_t p = 0; p < 16; p += 2)
                rmproc(10000 + p);              /* half of them end */
        CHECK_INT(note(t, 201, "10.0.0.6"), 0); /* + its monitor 200 */
        CHECK_INT(t->n, 8 + 2);
        CHECK(has(t, 10001) && !has(t, 10000) && has(t, 201) && has(t, 200));
        for (pid_t p = 0; t->n < 16; p += 2) {
                mkproc(10000 + p, 1, 60000 + (unsigned long long)p, "sshd", 0, 0);
                CHECK_INT(note(t, 10000 + p, "10.1.0.2"), 0);
        }
        /* all alive and full: the oldest goes */
        CHECK(has(t, 10001));
        CHECK_INT(note(t, 100, "10.0.0.7"), 0);
        CHECK_INT(t->n, 16);
        CHECK(!has(t, 10001) && has(t, 10003) && has(t, 100));
        /* the sweep that found nothing is not repeated on the next insert: one more
         * process ends, yet the next insert still evicts the oldest (10003) */
        rmproc(10005);
        mkproc(20000, 1, 70000, "sshd", 0, 0);
        CHECK_INT(note(t, 20000, "10.0.0.9"), 0);
        CHECK(!has(t, 10003) && has(t, 10005) && has(t, 20000));
        /* noting a remembered process again refreshes it in place */
        size_t n = t->n;
        CHECK_INT(note(t, 100, "10.0.0.8"), 0);
        CHECK_INT(t->n, n);
        su_remote_done(t);
        free(t);

        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", root);
        if (system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", root);
        return check_done();
}
