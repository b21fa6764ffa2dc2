#include "manager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "idp_client.h"
#include "loops.h"
#include "store_open.h"
#include "totp.h"

#define POOL_PER_UID 4      /* a non-root uid's requests queued or running on the pool */
#define POOL_QUEUE_MAX 4096 /* requests waiting for the pool, all callers */

int su_manager_new(struct su_manager **ret, struct su_config *cfg)
{
        struct su_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->listen_fd[0] = m->listen_fd[1] = -1;
        cfg->use_logind = sd_booted() > 0;
        int r = su_ctx_init(&m->ctx, cfg);
        if (r < 0) {
                su_ctx_done(&m->ctx);
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

static void db_close(struct su_db *d)
{
        su_store_close(d->store);
        su_sqldb_close(d->local);
        d->store = NULL;
        d->local = NULL;
}

/* One thread's connections to the databases. */
static int db_open(struct su_manager *m, struct su_db *d)
{
        char err[512] = "";
        int r = su_sqldb_open(m->ctx.cfg.db_path, &d->local, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "stepupd: %s: cannot open the database: %s%s%s\n",
                        m->ctx.cfg.db_path, strerror(-r), *err ? ": " : "", err);
                return r;
        }
        r = su_store_open(&m->ctx.store_cfg, d->local, &d->store, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "stepupd: %s\n", *err ? err : strerror(-r));
                db_close(d);
        }
        return r;
}

/* The shared store, reached once before anything is written (the host's database included): a
 * setting that is wrong (a connection string that does not parse, a key file of the wrong
 * mode or length) or a store that answers but must not be used (another schema version,
 * another fleet key, a role without rights) stops the start with one line; a store that does
 * not answer yet does not (rules that need it apply their failmode meanwhile, and the pool
 * connects when it can). */
static int store_probe(struct su_manager *m)
{
        struct su_store *probe = NULL;
        char err[512] = "";
        int r = su_store_open(&m->ctx.store_cfg, NULL, &probe, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "stepupd: %s\n", *err ? err : strerror(-r));
                return r;
        }
        r = su_store_check(probe);
        if (r == -ENOTCONN || r == -ETIMEDOUT) {
                fprintf(stderr, "stepupd: %s; serving, and connecting when it answers\n",
                        su_store_errmsg(probe));
                r = 0;
        } else if (r < 0) {
                fprintf(stderr, "stepupd: %s\n", su_store_errmsg(probe));
        }
        su_store_close(probe);
        return r;
}

struct su_manager *su_manager_free(struct su_manager *m)
{
        if (!m)
                return NULL;
        /* The loops stop taking work, then the pool finishes what it runs, then the
         * connections (and the jobs they hold) go. */
        for (size_t i = 1; i < m->nloops; i++)
                su_loop_stop(&m->loops[i]);
        if (m->pool_started)
                su_pool_stop(&m->pool);
        sd_event_source_disable_unref(m->flush_src);
        sd_event_source_disable_unref(m->follow_src);
        for (size_t i = 0; i < m->nloops; i++) {
                su_loop_done(&m->loops[i]);
                db_close(&m->loops[i].db);
        }
        for (size_t i = 0; i < m->npool_db; i++)
                db_close(&m->pool_db[i]);
        free(m->pool_db);
        for (int i = 0; i < 2; i++) {
                if (m->listen_fd[i] >= 0)
                        close(m->listen_fd[i]);
                if (m->bound_ourselves[i])
                        unlink(i == 0 ? m->ctx.cfg.pam_socket : m->ctx.cfg.user_socket);
        }
        su_ctx_done(&m->ctx);
        free(m);
        return NULL;
}

static int bind_socket(const char *path, mode_t mode)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        struct stat st;
        /* Replace a stale socket node, never anything else. */
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                unlink(path);
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        mode_t old = umask(0777 & ~mode);
        int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
        umask(old);
        if (r < 0 || chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int setup_sockets(struct su_manager *m)
{
        char **names = NULL;
        const struct su_config *cfg = &m->ctx.cfg;
        int n = sd_listen_fds_with_names(1, &names);
        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *nm = names && names[i] ? names[i] : "";
                if (strcmp(nm, "pam") == 0 || (strcmp(nm, "user") != 0 && i == 0))
                        m->listen_fd[SU_SOCK_PAM] = fd;
                else
                        m->listen_fd[SU_SOCK_USER] = fd;
        }
        if (names) {
                for (int i = 0; i < n; i++)
                        free(names[i]);
                free(names);
        }
        if (m->listen_fd[SU_SOCK_PAM] < 0) {
                int fd = bind_socket(cfg->pam_socket, 0600);
                if (fd < 0) {
                        fprintf(stderr, "stepupd: cannot bind %s: %s\n", cfg->pam_socket,
                                strerror(-fd));
                        return fd;
                }
                m->listen_fd[SU_SOCK_PAM] = fd;
                m->bound_ourselves[SU_SOCK_PAM] = true;
        }
        /* Every loop polls the listening sockets and all but one lose each accept: a socket
         * from systemd is blocking, and a blocking accept4() would hang the losers. */
        for (int i = 0; i < 2; i++) {
                int fl = m->listen_fd[i] >= 0 ? fcntl(m->listen_fd[i], F_GETFL) : 0;
                if (fl < 0 ||
                    (m->listen_fd[i] >= 0 && fcntl(m->listen_fd[i], F_SETFL, fl | O_NONBLOCK) < 0))
                        return -errno;
        }
        if (m->listen_fd[SU_SOCK_USER] < 0 && cfg->user_socket && *cfg->user_socket) {
                int fd = bind_socket(cfg->user_socket, 0666);
                if (fd < 0) {
                        fprintf(stderr, "stepupd: cannot bind %s: %s\n", cfg->user_socket,
                                strerror(-fd));
                        return fd;
                }
                m->listen_fd[SU_SOCK_USER] = fd;
                m->bound_ourselves[SU_SOCK_USER] = true;
        }
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct su_manager *m = userdata;
        struct su_audit_req rq = {.audit = &m->ctx.audit};
        sd_notify(0, "RELOADING=1");
        su_ctx_reload(&m->ctx, &rq, NULL, 0);
        sd_notify(0, "READY=1");
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct su_manager *m = userdata;
        sd_notify(0, "STOPPING=1");
        return sd_event_exit(m->loops[0].event, 0);
}

static int on_flush(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_manager *m = userdata;
        su_audit_flush(&m->ctx.audit);
        sd_event_source_set_time_relative(s, 5 * 1000000ULL);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static int on_follow(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_manager *m = userdata;
        /* One look at a time: while one is queued or running, it will do. */
        if (su_follow_claim(&m->follow) && su_pool_submit(&m->pool, &m->follow.item) < 0)
                su_follow_release(&m->follow);
        sd_event_source_set_time_relative(s, m->ctx.cfg.fleet_revoke_interval * 1000000ULL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static size_t loop_count(const struct su_config *cfg)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n = cfg->threads ? cfg->threads : (cpus > 0 ? (size_t)cpus : 1);
        return n > SU_LOOPS_MAX ? SU_LOOPS_MAX : n;
}

int su_manager_startup(struct su_manager *m)
{
        struct su_config *cfg = &m->ctx.cfg;
        struct su_audit_req rq = {.audit = &m->ctx.audit};
        int r = store_probe(m);
        if (r < 0)
                return r;
        r = su_totp_init();
        if (r < 0) {
                fprintf(stderr, "stepupd: liboath initialisation failed\n");
                return r;
        }
        /* libcurl and rhonabwy want their global set-up before any thread (the idp factor). */
        r = su_idp_global_init();
        if (r < 0) {
                fprintf(stderr, "stepupd: libcurl/rhonabwy initialisation failed\n");
                return r;
        }
        r = su_ctx_reload(&m->ctx, &rq, NULL, 0);
        if (r < 0) {
                fprintf(stderr,
                        "stepupd: the policy, the question catalogue or idp.conf did not load "
                        "(%s); refusing to start\n",
                        strerror(-r));
                return r;
        }
        /* The packaged unit allows no network (AF_UNIX only): idp.conf needs a drop-in
         * (docs/factors.md).  Said once at start; each failure shows in STATUS too. */
        if (m->ctx.rules && m->ctx.rules->idp) {
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        fprintf(stderr,
                                "stepupd: %s is set up, but this process may not open network "
                                "sockets (%s): the idp factor cannot reach %s; see "
                                "docs/factors.md for the service drop-in\n",
                                cfg->idp_config_path, strerror(errno),
                                m->ctx.rules->idp->cfg.issuer);
                else
                        close(fd);
        }
        /* Every thread gets its own database connections, opened now so that a problem
         * stops the start with its reason. */
        m->nloops = loop_count(cfg);
        m->npool_db = cfg->pool_threads;
        m->pool_db = calloc(m->npool_db, sizeof(*m->pool_db));
        if (!m->pool_db)
                return -ENOMEM;
        struct su_db loop_db[SU_LOOPS_MAX] = {0};
        for (size_t i = 0; i < m->nloops; i++)
                if ((r = db_open(m, &loop_db[i])) < 0)
                        goto undo_dbs;
        for (size_t i = 0; i < m->npool_db; i++)
                if ((r = db_open(m, &m->pool_db[i])) < 0)
                        goto undo_dbs;

        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        /* Blocked before any thread starts, so that every thread inherits it. */
        pthread_sigmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* Room for every connection plus the daemon's own descriptors, as far as allowed. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
                rlim_t want = (rlim_t)cfg->max_connections + cfg->user_connections + 64 +
                              4 * (m->nloops + m->npool_db);
                if (nofile.rlim_cur < want) {
                        nofile.rlim_cur = want < nofile.rlim_max ? want : nofile.rlim_max;
                        setrlimit(RLIMIT_NOFILE, &nofile);
                }
        }
        r = setup_sockets(m);
        if (r < 0)
                goto undo_dbs;
        for (size_t i = 0; i < m->nloops; i++) {
                r = su_loop_init(&m->loops[i], (unsigned)i, &m->ctx, &m->pool, m->listen_fd,
                                 loop_db[i], m->loops, m->nloops);
                loop_db[i] = (struct su_db){0}; /* the loop owns them now */
                if (r < 0)
                        return r;
        }
        /* pool_threads is capped at SU_LOOPS_MAX in settings.c: one slot per pool thread */
        _Static_assert(SU_POOL_THREADS_MAX <= SU_LOOPS_MAX, "one data slot per pool thread");
        void *data[SU_LOOPS_MAX];
        for (size_t i = 0; i < m->npool_db && i < SU_LOOPS_MAX; i++)
                data[i] = &m->pool_db[i];
        r = su_pool_start(&m->pool, m->npool_db, data, POOL_PER_UID, POOL_QUEUE_MAX);
        m->pool_started = true;
        if (r < 0)
                return r;
        sd_event *main_event = m->loops[0].event;
        if ((r = sd_event_add_signal(main_event, NULL, SIGTERM, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(main_event, NULL, SIGINT, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(main_event, NULL, SIGHUP, on_sighup, m)) < 0 ||
            (r = sd_event_add_time_relative(main_event, &m->flush_src, CLOCK_MONOTONIC,
                                            5 * 1000000ULL, 0, on_flush, m)) < 0 ||
            (r = sd_event_set_watchdog(main_event, true)) < 0)
                return r;
        /* A shared store: grants that a reset on another host ended are looked for at once,
         * then every fleet_revoke_interval seconds. */
        if (m->ctx.store_cfg.kind == SU_STORE_POSTGRESQL &&
            m->pool_db[0].store->ops->revocations_apply) {
                su_follow_init(&m->follow, &m->ctx);
                r = sd_event_add_time_relative(main_event, &m->follow_src, CLOCK_MONOTONIC, 0, 0,
                                               on_follow, m);
                if (r < 0)
                        return r;
        }
        for (size_t i = 1; i < m->nloops; i++)
                if ((r = su_loop_start(&m->loops[i])) < 0)
                        return r;
        return 0;
undo_dbs:
        for (size_t i = 0; i < m->nloops; i++)
                db_close(&loop_db[i]);
        return r;
}

int su_manager_run(struct su_manager *m)
{
        const struct su_config *cfg = &m->ctx.cfg;
        struct su_audit_req rq = {.audit = &m->ctx.audit};
        char threads[32];
        snprintf(threads, sizeof(threads), "%zu+%zu", m->nloops, m->npool_db);
        su_audit(&rq, SU_EV_START, LOG_INFO, "stepupd ready", "STEPUP_PAM_SOCKET", cfg->pam_socket,
                 "STEPUP_USER_SOCKET", cfg->user_socket, "STEPUP_DB", cfg->db_path, "STEPUP_STORE",
                 m->ctx.store_cfg.kind == SU_STORE_SQLITE ? "sqlite" : "postgresql",
                 "STEPUP_THREADS", threads, NULL);
        sd_notify(0, "READY=1\nSTATUS=serving");
        return sd_event_loop(m->loops[0].event);
}
