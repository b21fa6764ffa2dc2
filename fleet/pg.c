/* A PostgreSQL connection bound by deadlines (pg.h). */
#include "pg.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PARAMS_MAX 64 /* connection keywords (libpq knows about 40) */
#define HOST_MAX 1024 /* one host name, address or port of a list */

uint64_t su_pg_now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* libpq's messages span lines ("...failed: FATAL:  ...\n"): one line, single spaces. */
static void one_line(char *s)
{
        char *w = s;
        bool space = false;
        for (const char *r = s; *r; r++) {
                bool blank = *r == '\n' || *r == '\r' || *r == '\t' || *r == ' ';
                if (blank) {
                        space = w != s;
                        continue;
                }
                if (space)
                        *w++ = ' ';
                space = false;
                *w++ = *r;
        }
        *w = 0;
}

__attribute__((format(printf, 3, 4))) static int fail(struct su_pg *p, int r, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, sizeof(p->err), fmt, ap);
        va_end(ap);
        one_line(p->err);
        return r;
}

/* A library never logs: notices are dropped, except that a FATAL one (the server ends this
 * session: shutdown, restart, an administrator) marks the connection as gone. */
static void on_notice(void *arg, const PGresult *res)
{
        struct su_pg *p = arg;
        const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
        if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
                p->ended = true;
}

static unsigned list_len(const char *v)
{
        unsigned n = 1;
        for (; v && *v; v++)
                n += *v == ',';
        return n;
}

int su_pg_init(struct su_pg *p, const char *conninfo)
{
        memset(p, 0, sizeof(*p));
        char *msg = NULL;
        p->opts = PQconninfoParse(conninfo, &msg);
        if (!p->opts) {
                int r = fail(p, msg ? -EINVAL : -ENOMEM, "connection string does not parse: %s",
                             msg ? msg : "out of memory");
                PQfreemem(msg);
                return r;
        }
        p->nhosts = 1;
        for (PQconninfoOption *o = p->opts; o->keyword; o++)
                if (o->val &&
                    (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0)) {
                        unsigned n = list_len(o->val);
                        if (n > p->nhosts)
                                p->nhosts = n;
                }
        return 0;
}

void su_pg_done(struct su_pg *p)
{
        su_pg_disconnect(p);
        if (p->opts) {
                /* The string may hold a password: wipe it before it goes back to the heap. */
                for (PQconninfoOption *o = p->opts; o->keyword; o++)
                        if (o->val)
                                explicit_bzero(o->val, strlen(o->val));
                PQconninfoFree(p->opts);
        }
        p->opts = NULL;
}

void su_pg_disconnect(struct su_pg *p)
{
        if (p->conn)
                PQfinish(p->conn);
        p->conn = NULL;
        p->prepared = 0;
}

/* Waits until fd is ready for events or the deadline passes (-ETIMEDOUT). */
static int wait_fd(int fd, short events, uint64_t deadline_us, short *ret_revents)
{
        if (fd < 0)
                return -ENOTCONN;
        for (;;) {
                uint64_t now = su_pg_now_us();
                if (now >= deadline_us)
                        return -ETIMEDOUT;
                int ms = (int)((deadline_us - now + 999) / 1000);
                struct pollfd pfd = {.fd = fd, .events = events};
                int r = poll(&pfd, 1, ms);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0) {
                        if (ret_revents)
                                *ret_revents = pfd.revents;
                        return 0;
                }
        }
}

/* Element i of a comma-separated list ("" when the list is shorter); a one-element list
 * applies to every host (libpq's rule for port).  NULL when it does not fit in buf. */
static const char *element(const char *list, unsigned i, char *buf, size_t size)
{
        if (list_len(list) == 1)
                i = 0;
        const char *s = list;
        for (; i > 0 && s; i--) {
                s = strchr(s, ',');
                if (s)
                        s++;
        }
        if (!s)
                return "";
        size_t n = strcspn(s, ",");
        if (n >= size)
                return NULL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return buf;
}

/* The parameters for host i: every option given, with host, hostaddr and port narrowed to
 * that host's element when the string lists several.  -ENAMETOOLONG for an element too long
 * to be a host name. */
static int host_params(const struct su_pg *p, unsigned i, const char **kw, const char **val,
                       char bufs[3][HOST_MAX])
{
        size_t n = 0;
        for (const PQconninfoOption *o = p->opts; o->keyword && n + 1 < PARAMS_MAX; o++) {
                if (!o->val)
                        continue;
                const char *v = o->val;
                if (p->nhosts > 1) {
                        int b = strcmp(o->keyword, "host") == 0       ? 0
                                : strcmp(o->keyword, "hostaddr") == 0 ? 1
                                : strcmp(o->keyword, "port") == 0     ? 2
                                                                      : -1;
                        if (b >= 0 && !(v = element(o->val, i, bufs[b], HOST_MAX)))
                                return -ENAMETOOLONG;
                        if (!*v)
                                continue;
                }
                kw[n] = o->keyword;
                val[n] = v;
                n++;
        }
        kw[n] = val[n] = NULL;
        return 0;
}

static int connect_one(struct su_pg *p, unsigned i, uint64_t deadline_us, PGconn **ret)
{
        const char *kw[PARAMS_MAX], *val[PARAMS_MAX];
        char bufs[3][HOST_MAX];
        if (host_params(p, i, kw, val, bufs) < 0)
                return fail(p, -EINVAL, "a host, hostaddr or port in the list is too long");
        PGconn *c = PQconnectStartParams(kw, val, 0);
        explicit_bzero(bufs, sizeof(bufs));
        if (!c)
                return fail(p, -ENOMEM, "out of memory");
        p->ended = false;
        PQsetNoticeReceiver(c, on_notice, p);
        int r = 0;
        PostgresPollingStatusType st = PGRES_POLLING_WRITING;
        if (PQstatus(c) == CONNECTION_BAD)
                st = PGRES_POLLING_FAILED;
        while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
                r = wait_fd(PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
                            deadline_us, NULL);
                if (r < 0)
                        break;
                st = PQconnectPoll(c);
        }
        if (st != PGRES_POLLING_OK) {
                if (r == -ETIMEDOUT)
                        r = fail(p, r, "no answer within the time allowed");
                else
                        r = fail(p, -ENOTCONN, "%s", PQerrorMessage(c));
                PQfinish(c);
                return r;
        }
        if (PQsetnonblocking(c, 1) < 0) {
                r = fail(p, -ENOTCONN, "%s", PQerrorMessage(c));
                PQfinish(c);
                return r;
        }
        *ret = c;
        return 0;
}

/* An idle connection the server closed (restart, failover, idle timeout) has its end of file
 * or error waiting: read it now rather than fail the next statement. */
static bool healthy(struct su_pg *p)
{
        if (PQstatus(p->conn) != CONNECTION_OK || PQtransactionStatus(p->conn) != PQTRANS_IDLE)
                return false;
        /* What waits is read: a FATAL notice (on_notice), then the end of file behind it. */
        for (int i = 0; i < 4 && !p->ended; i++) {
                struct pollfd pfd = {.fd = PQsocket(p->conn), .events = POLLIN};
                int n = poll(&pfd, 1, 0);
                if (n == 0)
                        break;
                if (n < 0 || !PQconsumeInput(p->conn))
                        return false;
                PGnotify *note;
                while ((note = PQnotifies(p->conn)))
                        PQfreemem(note);
        }
        return !p->ended && PQstatus(p->conn) == CONNECTION_OK;
}

bool su_pg_alive(struct su_pg *p)
{
        if (p->conn && healthy(p))
                return true;
        su_pg_disconnect(p);
        return false;
}

int su_pg_connect(struct su_pg *p, uint64_t deadline_us)
{
        if (su_pg_alive(p))
                return 0;
        char errs[sizeof(p->err)] = "";
        int r = -ENOTCONN;
        for (unsigned k = 0; k < p->nhosts; k++) {
                unsigned i = (p->next_host + k) % p->nhosts;
                uint64_t now = su_pg_now_us();
                if (now >= deadline_us) {
                        r = -ETIMEDOUT;
                        break;
                }
                /* An equal share of what is left for each host still to try. */
                uint64_t share = now + (deadline_us - now) / (p->nhosts - k);
                PGconn *c = NULL;
                r = connect_one(p, i, share, &c);
                if (r == 0) {
                        p->conn = c;
                        p->next_host = i;
                        p->prepared = 0;
                        return 0;
                }
                size_t used = strlen(errs);
                if (p->nhosts > 1)
                        snprintf(errs + used, sizeof(errs) - used, "%shost %u: %.200s",
                                 used ? "; " : "", i + 1, p->err);
                else
                        snprintf(errs, sizeof(errs), "%s", p->err);
        }
        /* Next time start with the next host: one that drops packets is not always first. */
        p->next_host = (p->next_host + 1) % p->nhosts;
        snprintf(p->err, sizeof(p->err), "%s", errs[0] ? errs : "no answer in time");
        return r == -ETIMEDOUT || r == -ENOMEM ? r : -ENOTCONN;
}

/* The connection is gone or unusable: close it, so the next call connects again. */
static int lost(struct su_pg *p, int r, const char *why)
{
        fail(p, r, "%s", why && *why ? why : "connection lost");
        su_pg_disconnect(p);
        return r;
}

static int server_error(struct su_pg *p, PGresult *res)
{
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        snprintf(p->sqlstate, sizeof(p->sqlstate), "%s", state ? state : "");
        /* The server's own words, without the statement and the caret under it. */
        const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (msg)
                fail(p, 0, "%s: %s", sev ? sev : "ERROR", msg);
        else
                fail(p, 0, "%s", PQresultErrorMessage(res));
        PQclear(res);
        if (PQstatus(p->conn) != CONNECTION_OK)
                return lost(p, -ENOTCONN, p->err);
        if (strcmp(p->sqlstate, "42501") == 0)
                return -EPERM;
        if (strcmp(p->sqlstate, "57014") == 0)
                return -ETIMEDOUT; /* statement_timeout: the connection is fine */
        /* A standby (read-only after a failover), a server shutting down, a broken link. */
        if (strcmp(p->sqlstate, "25006") == 0 || strncmp(p->sqlstate, "57P", 3) == 0 ||
            strncmp(p->sqlstate, "08", 2) == 0) {
                char why[sizeof(p->err)];
                snprintf(why, sizeof(why), "%s", p->err);
                return lost(p, -ENOTCONN, why);
        }
        return -EIO;
}

static bool ok(const PGresult *res)
{
        ExecStatusType st = PQresultStatus(res);
        return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Sends everything libpq has buffered. */
static int flush_all(struct su_pg *p, uint64_t deadline_us)
{
        PGconn *c = p->conn;
        for (;;) {
                int f = PQflush(c);
                if (f == 0)
                        return 0;
                if (f < 0)
                        return lost(p, -ENOTCONN, PQerrorMessage(c));
                short rev = 0;
                int r = wait_fd(PQsocket(c), POLLIN | POLLOUT, deadline_us, &rev);
                if (r < 0)
                        return lost(p, r, "no answer within the time allowed");
                if ((rev & POLLIN) && !PQconsumeInput(c))
                        return lost(p, -ENOTCONN, PQerrorMessage(c));
        }
}

/* The next result, once it has arrived (NULL: the end of one statement's results). */
static int next_result(struct su_pg *p, uint64_t deadline_us, PGresult **ret)
{
        PGconn *c = p->conn;
        while (PQisBusy(c)) {
                int r = wait_fd(PQsocket(c), POLLIN, deadline_us, NULL);
                if (r < 0)
                        return lost(p, r, "no answer within the time allowed");
                if (!PQconsumeInput(c))
                        return lost(p, -ENOTCONN, PQerrorMessage(c));
        }
        *ret = PQgetResult(c);
        return 0;
}

/* Sends what libpq buffered and reads every result of the statement sent: the first error,
 * else the last result. */
static int finish(struct su_pg *p, uint64_t deadline_us, PGresult **ret)
{
        PGconn *c = p->conn;
        int r = flush_all(p, deadline_us);
        if (r < 0)
                return r;
        PGresult *keep = NULL;
        for (;;) {
                PGresult *res = NULL;
                if ((r = next_result(p, deadline_us, &res)) < 0) {
                        PQclear(keep);
                        return r;
                }
                if (!res)
                        break;
                if (keep && !ok(keep)) {
                        PQclear(res); /* the first error is the one to report */
                } else {
                        PQclear(keep);
                        keep = res;
                }
        }
        if (!keep)
                return lost(p, -ENOTCONN, PQerrorMessage(c));
        if (!ok(keep))
                return server_error(p, keep);
        *ret = keep;
        return 0;
}

int su_pg_exec(struct su_pg *p, int id, const char *sql, int nparams, const char *const *values,
               const int *lengths, const int *formats, uint64_t deadline_us, PGresult **ret)
{
        char name[16];
        PGresult *res = NULL;
        int r;
        p->sqlstate[0] = 0;
        if (!p->conn)
                return fail(p, -ENOTCONN, "not connected");
        if (id >= SU_PG_STMT_MAX)
                return fail(p, -EINVAL, "statement id %d out of range", id);
        if (id >= 0) {
                snprintf(name, sizeof(name), "su%d", id);
                if (!(p->prepared & (1ull << id))) {
                        if (!PQsendPrepare(p->conn, name, sql, nparams, NULL))
                                return lost(p, -ENOTCONN, PQerrorMessage(p->conn));
                        if ((r = finish(p, deadline_us, &res)) < 0)
                                return r;
                        PQclear(res);
                        p->prepared |= 1ull << id;
                }
                if (!PQsendQueryPrepared(p->conn, name, nparams, values, lengths, formats, 0))
                        return lost(p, -ENOTCONN, PQerrorMessage(p->conn));
        } else if (!PQsendQueryParams(p->conn, sql, nparams, NULL, values, lengths, formats, 0)) {
                return lost(p, -ENOTCONN, PQerrorMessage(p->conn));
        }
        return finish(p, deadline_us, ret);
}

/* Reads the results of one statement of a batch into *keep (its last good one) or *err (the
 * batch's first error); a statement skipped after an error gives PGRES_PIPELINE_ABORTED. */
static int batch_results(struct su_pg *p, uint64_t deadline_us, PGresult **keep, PGresult **err)
{
        for (;;) {
                PGresult *res = NULL;
                int r = next_result(p, deadline_us, &res);
                if (r < 0 || !res)
                        return r;
                if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
                        PQclear(res);
                } else if (!ok(res)) {
                        if (*err)
                                PQclear(res);
                        else
                                *err = res;
                } else {
                        PQclear(*keep);
                        *keep = res;
                }
        }
}

static void batch_clear(struct su_pg_stmt *st, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                PQclear(st[i].res);
                st[i].res = NULL;
        }
}

int su_pg_batch(struct su_pg *p, struct su_pg_stmt *st, size_t n, uint64_t deadline_us)
{
        PGconn *c = p->conn;
        bool prep[SU_PG_BATCH_MAX] = {false};
        char name[16];
        int r;
        p->sqlstate[0] = 0;
        if (!c)
                return fail(p, -ENOTCONN, "not connected");
        if (n < 1 || n > SU_PG_BATCH_MAX)
                return fail(p, -EINVAL, "a batch of %zu statements", n);
        for (size_t i = 0; i < n; i++) {
                st[i].res = NULL;
                if (st[i].id >= SU_PG_STMT_MAX)
                        return fail(p, -EINVAL, "statement id %d out of range", st[i].id);
        }
        if (!PQenterPipelineMode(c))
                return lost(p, -ENOTCONN, PQerrorMessage(c));
        for (size_t i = 0; i < n; i++) {
                const struct su_pg_stmt *q = &st[i];
                int sent;
                if (q->id >= 0) {
                        snprintf(name, sizeof(name), "su%d", q->id);
                        if (!(p->prepared & (1ull << q->id))) {
                                if (!PQsendPrepare(c, name, q->sql, q->nparams, NULL))
                                        return lost(p, -ENOTCONN, PQerrorMessage(c));
                                prep[i] = true;
                        }
                        sent = PQsendQueryPrepared(c, name, q->nparams, q->values, q->lengths,
                                                   q->formats, 0);
                } else {
                        sent = PQsendQueryParams(c, q->sql, q->nparams, NULL, q->values, q->lengths,
                                                 q->formats, 0);
                }
                if (!sent)
                        return lost(p, -ENOTCONN, PQerrorMessage(c));
        }
        if (!PQpipelineSync(c))
                return lost(p, -ENOTCONN, PQerrorMessage(c));
        if ((r = flush_all(p, deadline_us)) < 0)
                return r;
        PGresult *err = NULL;
        for (size_t i = 0; i < n; i++) {
                if (prep[i]) {
                        PGresult *done = NULL;
                        if ((r = batch_results(p, deadline_us, &done, &err)) < 0)
                                goto lost;
                        if (done)
                                p->prepared |= 1ull << st[i].id;
                        PQclear(done);
                }
                if ((r = batch_results(p, deadline_us, &st[i].res, &err)) < 0)
                        goto lost;
        }
        PGresult *sync = NULL;
        if ((r = next_result(p, deadline_us, &sync)) < 0)
                goto lost;
        bool synced = sync && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        PQclear(sync);
        if (!synced || !PQexitPipelineMode(c)) {
                r = lost(p, -ENOTCONN, "the server's answers to a batch were out of order");
                goto lost;
        }
        if (err) {
                batch_clear(st, n);
                return server_error(p, err);
        }
        return 0;
lost:
        PQclear(err);
        batch_clear(st, n);
        return r;
}

int su_pg_command(struct su_pg *p, const char *sql, uint64_t deadline_us)
{
        PGresult *res = NULL;
        int r = su_pg_exec(p, -1, sql, 0, NULL, NULL, NULL, deadline_us, &res);
        PQclear(res);
        return r;
}

void su_pg_rollback(struct su_pg *p, uint64_t deadline_us)
{
        if (!p->conn || PQtransactionStatus(p->conn) == PQTRANS_IDLE)
                return;
        char keep[sizeof(p->err)];
        snprintf(keep, sizeof(keep), "%s", p->err); /* the error that led here */
        /* A short grace past the deadline: leaving a transaction open holds its locks. */
        uint64_t now = su_pg_now_us();
        if (deadline_us < now + 200000)
                deadline_us = now + 200000;
        if (su_pg_command(p, "ROLLBACK", deadline_us) < 0)
                su_pg_disconnect(p);
        snprintf(p->err, sizeof(p->err), "%s", keep);
}

int su_pg_bytea(const PGresult *res, int row, int col, uint8_t *out, size_t max, size_t *ret_len)
{
        size_t n = 0;
        if (PQgetisnull(res, row, col))
                return -EBADMSG;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &n);
        if (!raw)
                return -ENOMEM;
        int r = n <= max ? 0 : -EBADMSG;
        if (r == 0) {
                memcpy(out, raw, n);
                *ret_len = n;
        }
        explicit_bzero(raw, n);
        PQfreemem(raw);
        return r;
}

int64_t su_pg_int(const PGresult *res, int row, int col)
{
        return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}
