/* Manager: sockets (inherited from systemd or bound here), signals, watchdog, policy. */
#include "manager.h"

#include <errno.h>
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

#include "audit.h"
#include "scope.h"
#include "totp.h"

static const char *const sock_names[2] = {"pam", "user"};

int su_manager_new(struct su_manager **ret, struct su_config *cfg)
{
        struct su_manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cfg = *cfg;
        m->listen_fd[0] = m->listen_fd[1] = -1;
        int r = sd_event_default(&m->event);
        if (r < 0) {
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct su_manager *su_manager_free(struct su_manager *m)
{
        if (!m)
                return NULL;
        while (m->conns)
                su_conn_free(m->conns);
        for (int i = 0; i < 2; i++) {
                sd_event_source_disable_unref(m->listen_src[i]);
                if (m->listen_fd[i] >= 0)
                        close(m->listen_fd[i]);
                if (m->bound_ourselves[i])
                        unlink(i == 0 ? m->cfg.pam_socket : m->cfg.user_socket);
        }
        su_policy_free(m->policy);
        free(m->questions);
        su_store_close(m->store);
        sd_event_unref(m->event);
        su_config_free(&m->cfg);
        free(m);
        return NULL;
}

static int format_diags(const struct su_diags *d, char *body, size_t size)
{
        size_t used = 0;
        if (!body || size == 0)
                return 0;
        body[0] = 0;
        for (size_t i = 0; i < d->n && used + 1 < size; i++) {
                char one[1024];
                su_diag_format(&d->v[i], one, sizeof(one));
                int n = snprintf(body + used, size - used, "%s%s", one,
                                 one[0] && one[strlen(one) - 1] == '\n' ? "" : "\n");
                if (n < 0)
                        break;
                used += (size_t)n;
        }
        return 0;
}

static void log_diags(const struct su_diags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                char one[1024];
                su_diag_format(&d->v[i], one, sizeof(one));
                fprintf(stderr, "stepupd: %s%s", one,
                        one[0] && one[strlen(one) - 1] == '\n' ? "" : "\n");
        }
}

/* The question catalogue reloads with the policy; a broken one keeps the old one. */
static int reload_questions(struct su_manager *m, char *body, size_t size)
{
        char err[512];
        struct su_catalogue *cat = calloc(1, sizeof(*cat));
        if (!cat)
                return -ENOMEM;
        int r = su_catalogue_load(m->cfg.questions_path, m->cfg.policy_owner, cat, err,
                                  sizeof(err));
        if (r < 0) {
                fprintf(stderr, "stepupd: %s\n", err);
                if (body && size)
                        snprintf(body + strlen(body), size - strlen(body), "%s\n", err);
                su_audit(SU_EV_RELOAD, LOG_ERR, "question catalogue not loaded",
                         "STEPUP_QUESTIONS", m->cfg.questions_path, "STEPUP_REASON", err,
                         "STEPUP_OUTCOME", "error", NULL);
                free(cat);
                return r;
        }
        free(m->questions);
        m->questions = cat;
        return 0;
}

int su_manager_reload(struct su_manager *m, char *body, size_t size)
{
        struct su_diags d = {0};
        struct su_policy *p = NULL;
        int r = su_policy_load(m->cfg.policy_path, m->cfg.policy_owner, &p, &d);
        format_diags(&d, body, size);
        log_diags(&d);
        char n[32];
        if (r < 0) {
                snprintf(n, sizeof(n), "%zu", d.errors);
                su_audit(SU_EV_RELOAD, LOG_ERR, "policy reload failed: the old policy stays",
                         "STEPUP_POLICY", m->cfg.policy_path, "STEPUP_ERRORS", n, "STEPUP_OUTCOME",
                         "error", NULL);
                su_diags_free(&d);
                return r;
        }
        /* Single-threaded: the swap is atomic for every request. */
        su_policy_free(m->policy);
        m->policy = p;
        snprintf(n, sizeof(n), "%zu", su_policy_rule_count(p));
        su_audit(SU_EV_RELOAD, LOG_INFO, "policy loaded", "STEPUP_POLICY", m->cfg.policy_path,
                 "STEPUP_RULES", n, "STEPUP_OUTCOME", "success", NULL);
        su_diags_free(&d);
        return reload_questions(m, body, size);
}

static int on_accept_resume(sd_event_source *s, uint64_t usec, void *userdata)
{
        struct su_manager *m = userdata;
        for (int i = 0; i < 2; i++)
                if (m->listen_src[i])
                        sd_event_source_set_enabled(m->listen_src[i], SD_EVENT_ON);
        return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        struct su_manager *m = userdata;
        enum su_sock_kind kind = fd == m->listen_fd[0] ? SU_SOCK_PAM : SU_SOCK_USER;
        int r = su_conn_accept(m, fd, kind);
        if (r == -ENFILE) {
                /* No descriptor for the new connection: stop accepting for 100 ms instead
                 * of spinning on a socket that stays readable. */
                for (int i = 0; i < 2; i++)
                        if (m->listen_src[i])
                                sd_event_source_set_enabled(m->listen_src[i], SD_EVENT_OFF);
                sd_event_add_time_relative(m->event, NULL, CLOCK_MONOTONIC, 100 * 1000, 0,
                                           on_accept_resume, m);
                su_audit(SU_EV_ERROR, LOG_ERR, "out of file descriptors: accepting paused",
                         "STEPUP_SOCKET", sock_names[kind], NULL);
                return 0;
        }
        if (r == -EMFILE) {
                /* Anyone can provoke this on the user socket: one line per socket per 10 s
                 * with the count, so a flood cannot flood the journal (and push the other
                 * events out of its rate limit). */
                static unsigned long long refused[2];
                static int64_t last[2];
                static bool logged[2];
                int64_t now = su_now_boot();
                refused[kind]++;
                if (!logged[kind] || now - last[kind] >= 10) {
                        char n[32];
                        snprintf(n, sizeof(n), "%llu", refused[kind]);
                        su_audit(SU_EV_ERROR, LOG_WARNING,
                                 "connection refused: too many connections", "STEPUP_SOCKET",
                                 sock_names[kind], "STEPUP_REFUSED", n, NULL);
                        refused[kind] = 0;
                        last[kind] = now;
                        logged[kind] = true;
                }
        } else if (r == -EPERM || r == -EACCES)
                su_audit(SU_EV_ERROR, LOG_WARNING,
                         r == -EPERM ? "connection refused: PAM socket peer is not root"
                                     : "connection refused: no peer credentials",
                         "STEPUP_SOCKET", sock_names[kind], NULL);
        return 0;
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
        if (r < 0 || chmod(path, mode) < 0 || listen(fd, 128) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

static int setup_sockets(struct su_manager *m)
{
        char **names = NULL;
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
                int fd = bind_socket(m->cfg.pam_socket, 0600);
                if (fd < 0) {
                        fprintf(stderr, "stepupd: cannot bind %s: %s\n", m->cfg.pam_socket,
                                strerror(-fd));
                        return fd;
                }
                m->listen_fd[SU_SOCK_PAM] = fd;
                m->bound_ourselves[SU_SOCK_PAM] = true;
        }
        if (m->listen_fd[SU_SOCK_USER] < 0 && m->cfg.user_socket && *m->cfg.user_socket) {
                int fd = bind_socket(m->cfg.user_socket, 0666);
                if (fd < 0) {
                        fprintf(stderr, "stepupd: cannot bind %s: %s\n", m->cfg.user_socket,
                                strerror(-fd));
                        return fd;
                }
                m->listen_fd[SU_SOCK_USER] = fd;
                m->bound_ourselves[SU_SOCK_USER] = true;
        }
        for (int i = 0; i < 2; i++) {
                if (m->listen_fd[i] < 0)
                        continue;
                int r = sd_event_add_io(m->event, &m->listen_src[i], m->listen_fd[i], EPOLLIN,
                                        on_listen, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct su_manager *m = userdata;
        sd_notify(0, "RELOADING=1");
        su_manager_reload(m, NULL, 0);
        sd_notify(0, "READY=1");
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
        struct su_manager *m = userdata;
        sd_notify(0, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

int su_manager_startup(struct su_manager *m)
{
        int r = su_totp_init();
        if (r < 0) {
                fprintf(stderr, "stepupd: liboath initialisation failed\n");
                return r;
        }
        r = su_boot_id(m->boot_id);
        if (r < 0) {
                fprintf(stderr, "stepupd: cannot read the boot id: %s\n", strerror(-r));
                return r;
        }
        r = su_manager_reload(m, NULL, 0);
        if (r < 0) {
                fprintf(stderr, "stepupd: %s: policy not loaded (%s); refusing to start\n",
                        m->cfg.policy_path, strerror(-r));
                return r;
        }
        r = su_store_open(m->cfg.db_path, &m->store);
        if (r < 0) {
                fprintf(stderr, "stepupd: %s: cannot open the database: %s\n", m->cfg.db_path,
                        strerror(-r));
                return r;
        }
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGTERM);
        sigaddset(&ss, SIGINT);
        sigaddset(&ss, SIGHUP);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        signal(SIGPIPE, SIG_IGN);
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m)) < 0)
                return r;
        /* Room for max_connections plus the daemon's own descriptors, as far as allowed. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
                rlim_t want = (rlim_t)m->cfg.max_connections + 64;
                if (nofile.rlim_cur < want) {
                        nofile.rlim_cur = want < nofile.rlim_max ? want : nofile.rlim_max;
                        setrlimit(RLIMIT_NOFILE, &nofile);
                }
        }
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return r;
        return setup_sockets(m);
}

int su_manager_run(struct su_manager *m)
{
        su_audit(SU_EV_START, LOG_INFO, "stepupd ready", "STEPUP_PAM_SOCKET", m->cfg.pam_socket,
                 "STEPUP_USER_SOCKET", m->cfg.user_socket, "STEPUP_DB", m->cfg.db_path, NULL);
        sd_notify(0, "READY=1\nSTATUS=serving");
        return sd_event_loop(m->event);
}
