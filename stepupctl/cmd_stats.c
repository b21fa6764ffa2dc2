/* stepupctl stats [--json | --prometheus]: stepupd's counters and latency histograms.
 * The STATS reply's JSON (docs/protocol.md) is read here once, then printed as a table,
 * as JSON, or in the Prometheus text exposition format (node_exporter's textfile collector). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "json_out.h"

#define NDEC 3
#define NOUT 5
#define NBUCKETS 16
#define NROWS 80

static const char *const dec_names[NDEC] = {"allow", "deny", "challenge"};
static const char *const out_names[NOUT] = {"success", "failure", "abandoned", "locked", "error"};

struct row {
        char name[65];
        unsigned long long dec[NDEC], out[NOUT];
};

struct hist {
        unsigned long long le[NBUCKETS]; /* cumulative */
        unsigned long long count, sum_us;
};

/* The shared store's health (STATS "store_health"; absent from older daemons). */
struct store {
        bool present, measured, up;
        char backend[32], last_error[256];
        unsigned long long since, errors, timeouts, connects, reconnects, lost;
        /* a fleet's revocation list (absent before the first look) */
        bool follows;
        unsigned long long follow_ok, follow_failed, follow_last_ok, follow_ended;
        unsigned long long bounds_us[NBUCKETS];
        struct hist rt;
};

struct stats {
        unsigned long long uptime, start_time, lockouts, dec[NDEC];
        unsigned long long bounds_us[NBUCKETS];
        struct hist h[2]; /* decide, verify */
        struct row factors[NROWS], services[NROWS];
        size_t nfactors, nservices;
        struct store store;
};

static const char *const hist_names[2] = {"decide", "verify"};

static unsigned long long num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_integer(v) && json_integer_value(v) > 0
                   ? (unsigned long long)json_integer_value(v)
                   : 0;
}

static int read_row(struct row *rows, size_t *n, const char *name, json_t *v)
{
        if (*n >= NROWS || strlen(name) >= sizeof(rows[0].name) || !json_is_object(v))
                return -EBADMSG;
        struct row *r = &rows[(*n)++];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", name);
        json_t *d = json_object_get(v, "decisions"), *o = json_object_get(v, "outcomes");
        for (int i = 0; i < NDEC; i++)
                r->dec[i] = num(d, dec_names[i]);
        for (int i = 0; i < NOUT; i++)
                r->out[i] = num(o, out_names[i]);
        return 0;
}

static int read_hist(json_t *o, unsigned long long *bounds, struct hist *h)
{
        json_t *le = json_object_get(o, "le");
        if (!json_is_array(le) || json_array_size(le) != NBUCKETS)
                return -EBADMSG;
        for (size_t i = 0; i < NBUCKETS; i++)
                h->le[i] = (unsigned long long)json_integer_value(json_array_get(le, i));
        h->count = num(o, "count");
        h->sum_us = num(o, "sum_us");
        (void)bounds;
        return 0;
}

static int read_bounds(json_t *b, unsigned long long *bounds)
{
        if (!json_is_array(b) || json_array_size(b) != NBUCKETS)
                return -EBADMSG;
        for (size_t i = 0; i < NBUCKETS; i++)
                bounds[i] = (unsigned long long)json_integer_value(json_array_get(b, i));
        return 0;
}

static int read_store(json_t *o, struct store *st)
{
        if (!json_is_object(o))
                return 0; /* an older stepupd */
        st->present = true;
        json_t *b = json_object_get(o, "backend"), *e = json_object_get(o, "last_error");
        snprintf(st->backend, sizeof(st->backend), "%s",
                 json_is_string(b) ? json_string_value(b) : "?");
        snprintf(st->last_error, sizeof(st->last_error), "%s",
                 json_is_string(e) ? json_string_value(e) : "");
        st->up = json_is_true(json_object_get(o, "up"));
        st->since = num(o, "since");
        json_t *rt = json_object_get(o, "round_trip_us");
        if (!rt)
                return 0;
        st->measured = true;
        st->errors = num(o, "errors");
        st->timeouts = num(o, "timeouts");
        st->connects = num(o, "connects");
        st->reconnects = num(o, "reconnects");
        st->lost = num(o, "lost");
        json_t *f = json_object_get(o, "revocations");
        if (json_is_object(f)) {
                st->follows = true;
                st->follow_ok = num(f, "looks");
                st->follow_failed = num(f, "failed");
                st->follow_last_ok = num(f, "last_ok");
                st->follow_ended = num(f, "grants_ended");
        }
        int r = read_bounds(json_object_get(rt, "bounds_us"), st->bounds_us);
        return r < 0 ? r : read_hist(rt, st->bounds_us, &st->rt);
}

/* The STATS reply's JSON (docs/protocol.md) into s. */
static int parse(json_t *o, struct stats *s)
{
        memset(s, 0, sizeof(*s));
        if (num(o, "stats_version") != 2)
                return -EPROTONOSUPPORT;
        s->uptime = num(o, "uptime_seconds");
        s->start_time = num(o, "start_time");
        s->lockouts = num(o, "lockouts");
        json_t *d = json_object_get(o, "decisions");
        for (int i = 0; i < NDEC; i++)
                s->dec[i] = num(d, dec_names[i]);
        if (read_bounds(json_object_get(o, "bounds_us"), s->bounds_us) < 0)
                return -EBADMSG;
        if (read_store(json_object_get(o, "store_health"), &s->store) < 0)
                return -EBADMSG;
        for (int i = 0; i < 2; i++) {
                char key[16];
                snprintf(key, sizeof(key), "%s_us", hist_names[i]);
                int r = read_hist(json_object_get(o, key), s->bounds_us, &s->h[i]);
                if (r < 0)
                        return r;
        }
        const char *name;
        json_t *v;
        json_object_foreach(json_object_get(o, "factors"), name,
                            v) if (read_row(s->factors, &s->nfactors, name, v) < 0) return -EBADMSG;
        json_object_foreach(json_object_get(o, "services"), name,
                            v) if (read_row(s->services, &s->nservices, name, v) <
                                   0) return -EBADMSG;
        return 0;
}

/* Quantile q of a cumulative histogram, interpolated linearly inside the bucket that holds
 * it (as Prometheus' histogram_quantile); above the last bound: the last bound.  -1: empty. */
static double quantile(const unsigned long long *bounds, const struct hist *h, double q)
{
        if (h->count == 0)
                return -1;
        double rank = q * (double)h->count;
        unsigned long long prev = 0;
        for (size_t i = 0; i < NBUCKETS; i++) {
                if ((double)h->le[i] >= rank && h->le[i] > prev) {
                        double lo = i ? (double)bounds[i - 1] : 0;
                        double hi = (double)bounds[i];
                        return lo + (hi - lo) * (rank - (double)prev) / (double)(h->le[i] - prev);
                }
                prev = h->le[i];
        }
        return (double)bounds[NBUCKETS - 1];
}

static double ratio(unsigned long long a, unsigned long long b)
{
        return b ? (double)a / (double)b : -1;
}

static double success_rate(const unsigned long long *out)
{
        return ratio(out[0], out[0] + out[1] + out[2]);
}

static void sum_row(const struct row *rows, size_t n, struct row *total)
{
        memset(total, 0, sizeof(*total));
        snprintf(total->name, sizeof(total->name), "total");
        for (size_t i = 0; i < n; i++) {
                for (int k = 0; k < NDEC; k++)
                        total->dec[k] += rows[i].dec[k];
                for (int k = 0; k < NOUT; k++)
                        total->out[k] += rows[i].out[k];
        }
}

static void pct(double r)
{
        if (r < 0)
                printf(" %8s", "-");
        else
                printf(" %7.1f%%", 100 * r);
}

static void duration(double us)
{
        char b[32];
        if (us < 0)
                snprintf(b, sizeof(b), "-");
        else if (us < 1000)
                snprintf(b, sizeof(b), "%.0f us", us);
        else if (us < 1e6)
                snprintf(b, sizeof(b), "%.2f ms", us / 1e3);
        else
                snprintf(b, sizeof(b), "%.2f s", us / 1e6);
        printf(" %10s", b);
}

static void print_store(const struct store *st)
{
        if (!st->present)
                return;
        printf("\nstore %s: %s\n", st->backend, st->up ? "up" : "DOWN");
        if (!st->measured)
                return;
        printf("  %-14s %10llu", "round trips", st->rt.count);
        duration(quantile(st->bounds_us, &st->rt, 0.5));
        duration(quantile(st->bounds_us, &st->rt, 0.99));
        duration(st->rt.count ? (double)st->rt.sum_us / (double)st->rt.count : -1);
        printf("\n  errors %llu, timeouts %llu, connections %llu (reconnects %llu), lost %llu\n",
               st->errors, st->timeouts, st->connects, st->reconnects, st->lost);
        if (st->last_error[0])
                printf("  last error: %s\n", st->last_error);
        if (!st->follows)
                return;
        printf("  revocation list: %llu looks (%llu failed), %llu grants ended", st->follow_ok,
               st->follow_failed, st->follow_ended);
        time_t now = time(NULL);
        if (st->follow_last_ok && (unsigned long long)now >= st->follow_last_ok)
                printf(", last read %llu s ago\n", (unsigned long long)now - st->follow_last_ok);
        else
                printf(", never read whole\n");
}

static void print_table(const struct stats *s)
{
        unsigned long long up = s->uptime;
        printf("stepupd up %llud %02lluh %02llum %02llus\n\n", up / 86400, up / 3600 % 24,
               up / 60 % 60, up % 60);
        unsigned long long total = s->dec[0] + s->dec[1] + s->dec[2];
        printf("%-16s %10s %9s\n", "decisions", "count", "share");
        for (int i = 0; i < NDEC; i++) {
                printf("  %-14s %10llu", dec_names[i], s->dec[i]);
                pct(ratio(s->dec[i], total));
                printf("\n");
        }
        printf("  %-14s %10llu\n\n", "total", total);

        struct row t;
        sum_row(s->factors, s->nfactors, &t);
        printf("%-16s", "verifications");
        for (int k = 0; k < NOUT; k++)
                printf(" %9s", out_names[k]);
        printf(" %9s\n", "success%");
        for (size_t i = 0; i <= s->nfactors; i++) {
                const struct row *r = i < s->nfactors ? &s->factors[i] : &t;
                printf("  %-14s", r->name);
                for (int k = 0; k < NOUT; k++)
                        printf(" %9llu", r->out[k]);
                pct(success_rate(r->out));
                printf("\n");
        }
        printf("  (success%% = success / (success + failure + abandoned))\n");
        printf("lockouts %llu\n\n", s->lockouts);

        printf("%-16s %10s %10s %10s %10s\n", "latency", "count", "p50", "p99", "mean");
        for (int i = 0; i < 2; i++) {
                const struct hist *h = &s->h[i];
                printf("  %-14s %10llu", hist_names[i], h->count);
                duration(quantile(s->bounds_us, h, 0.5));
                duration(quantile(s->bounds_us, h, 0.99));
                duration(h->count ? (double)h->sum_us / (double)h->count : -1);
                printf("\n");
        }
        print_store(&s->store);
        if (!s->nservices)
                return;
        printf("\n%-16s", "services");
        for (int k = 0; k < NDEC; k++)
                printf(" %9s", dec_names[k]);
        for (int k = 0; k < NOUT; k++)
                printf(" %9s", out_names[k]);
        printf("\n");
        for (size_t i = 0; i < s->nservices; i++) {
                const struct row *r = &s->services[i];
                printf("  %-14s", r->name);
                for (int k = 0; k < NDEC; k++)
                        printf(" %9llu", r->dec[k]);
                for (int k = 0; k < NOUT; k++)
                        printf(" %9llu", r->out[k]);
                printf("\n");
        }
}

static json_t *outcomes(const struct row *r)
{
        json_t *o = json_object();
        for (int k = 0; o && k < NOUT; k++)
                if (json_object_set_new(o, out_names[k], json_integer((json_int_t)r->out[k])) < 0)
                        return json_decref(o), NULL;
        if (o && json_object_set_new(o, "success_rate", ctl_json_real(success_rate(r->out), 4)) < 0)
                return json_decref(o), NULL;
        return o;
}

/* The store's health with its quantiles; null from an older stepupd. */
static json_t *store_json(const struct store *st)
{
        if (!st->present)
                return json_null();
        json_t *o = json_pack("{s:s, s:b, s:I}", "backend", st->backend, "up", st->up, "since",
                              (json_int_t)st->since);
        if (!o || !st->measured)
                return o;
        const struct hist *h = &st->rt;
        json_t *rt =
            json_pack("{s:I, s:I, s:o, s:o, s:o}", "count", (json_int_t)h->count, "sum_us",
                      (json_int_t)h->sum_us, "mean_us",
                      ctl_json_real(h->count ? (double)h->sum_us / (double)h->count : -1, 1),
                      "p50_us", ctl_json_real(quantile(st->bounds_us, h, 0.5), 1), "p99_us",
                      ctl_json_real(quantile(st->bounds_us, h, 0.99), 1));
        json_t *err = ctl_json_text(st->last_error);
        if (!rt || !err || json_object_set_new(o, "round_trip", rt) < 0 ||
            json_object_set_new(o, "last_error", err) < 0 ||
            json_object_set_new(o, "errors", json_integer((json_int_t)st->errors)) < 0 ||
            json_object_set_new(o, "timeouts", json_integer((json_int_t)st->timeouts)) < 0 ||
            json_object_set_new(o, "connects", json_integer((json_int_t)st->connects)) < 0 ||
            json_object_set_new(o, "reconnects", json_integer((json_int_t)st->reconnects)) < 0 ||
            json_object_set_new(o, "lost", json_integer((json_int_t)st->lost)) < 0) {
                json_decref(o);
                return NULL;
        }
        if (st->follows) {
                json_t *f = json_pack("{s:I, s:I, s:I, s:I}", "looks", (json_int_t)st->follow_ok,
                                      "failed", (json_int_t)st->follow_failed, "last_ok",
                                      (json_int_t)st->follow_last_ok, "grants_ended",
                                      (json_int_t)st->follow_ended);
                if (!f || json_object_set_new(o, "revocations", f) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

/* Every value goes through jansson; NULL (out of memory) anywhere makes the whole NULL. */
static json_t *stats_json(const struct stats *s)
{
        unsigned long long total = s->dec[0] + s->dec[1] + s->dec[2];
        json_t *dec = json_object(), *shares = json_object(), *ver = json_object();
        json_t *svc = json_object(), *lat = json_object();
        bool oom = !dec || !shares || !ver || !svc || !lat;
#define SET(o, k, v) (oom |= json_object_set_new(o, k, v) < 0)
#define NUM(x) json_integer((json_int_t)(x))
        for (int i = 0; !oom && i < NDEC; i++) {
                SET(dec, dec_names[i], NUM(s->dec[i]));
                SET(shares, dec_names[i], ctl_json_real(ratio(s->dec[i], total), 4));
        }
        if (!oom)
                SET(dec, "total", NUM(total));
        struct row t;
        sum_row(s->factors, s->nfactors, &t);
        for (size_t i = 0; !oom && i < s->nfactors; i++) {
                json_t *name = ctl_json_text(s->factors[i].name);
                oom |= !name || json_object_set_new(ver, json_string_value(name),
                                                    outcomes(&s->factors[i])) < 0;
                json_decref(name);
        }
        if (!oom)
                SET(ver, "total", outcomes(&t));
        for (size_t i = 0; !oom && i < s->nservices; i++) {
                const struct row *r = &s->services[i];
                json_t *row = json_object(), *name = ctl_json_text(r->name);
                oom |= !row || !name;
                for (int k = 0; !oom && k < NDEC; k++)
                        SET(row, dec_names[k], NUM(r->dec[k]));
                for (int k = 0; !oom && k < NOUT; k++)
                        SET(row, out_names[k], NUM(r->out[k]));
                if (!oom && json_object_set_new(svc, json_string_value(name), row) < 0)
                        oom = true;
                else if (oom)
                        json_decref(row);
                json_decref(name);
        }
        for (int i = 0; !oom && i < 2; i++) {
                const struct hist *h = &s->h[i];
                json_t *buckets = json_array();
                for (size_t b = 0; buckets && b < NBUCKETS; b++)
                        if (json_array_append_new(buckets,
                                                  json_pack("{s:I, s:I}", "le_us",
                                                            (json_int_t)s->bounds_us[b], "count",
                                                            (json_int_t)h->le[b])) < 0) {
                                json_decref(buckets);
                                buckets = NULL;
                        }
                json_t *mean =
                    ctl_json_real(h->count ? (double)h->sum_us / (double)h->count : -1, 1);
                SET(lat, hist_names[i],
                    json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "count", (json_int_t)h->count,
                              "sum_us", (json_int_t)h->sum_us, "mean_us", mean, "p50_us",
                              ctl_json_real(quantile(s->bounds_us, h, 0.5), 1), "p99_us",
                              ctl_json_real(quantile(s->bounds_us, h, 0.99), 1), "buckets",
                              buckets));
        }
        if (oom) {
                json_decref(dec);
                json_decref(shares);
                json_decref(ver);
                json_decref(svc);
                json_decref(lat);
                return NULL;
        }
        return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "uptime_seconds",
                         (json_int_t)s->uptime, "start_time", (json_int_t)s->start_time, "lockouts",
                         (json_int_t)s->lockouts, "decisions", dec, "decision_shares", shares,
                         "verifications", ver, "services", svc, "latency", lat, "store",
                         store_json(&s->store));
#undef SET
#undef NUM
}

/* A Prometheus label value (text format 0.0.4: \\, \" and \n escaped).  Names are
 * restricted by stepupd to [A-Za-z0-9._@+-()]; escaped anyway. */
static void quoted(const char *v)
{
        putchar('"');
        for (; *v; v++) {
                if (*v == '"' || *v == '\\')
                        putchar('\\');
                putchar(*v);
        }
        putchar('"');
}

/* Microseconds as seconds, without trailing zeros: 50 -> 0.00005, 2500000 -> 2.5. */
static void seconds(unsigned long long us)
{
        char b[48];
        int n = snprintf(b, sizeof(b), "%llu.%06llu", us / 1000000, us % 1000000);
        while (n > 0 && b[n - 1] == '0')
                b[--n] = 0;
        if (n > 0 && b[n - 1] == '.')
                b[--n] = 0;
        fputs(b, stdout);
}

static void prom_head(const char *name, const char *type, const char *help)
{
        printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_histogram(const char *name, const char *help, const unsigned long long *bounds,
                           const struct hist *h)
{
        prom_head(name, "histogram", help);
        for (size_t b = 0; b < NBUCKETS; b++) {
                printf("%s_bucket{le=\"", name);
                seconds(bounds[b]);
                printf("\"} %llu\n", h->le[b]);
        }
        printf("%s_bucket{le=\"+Inf\"} %llu\n%s_sum ", name, h->count, name);
        seconds(h->sum_us);
        printf("\n%s_count %llu\n", name, h->count);
}

static void print_prometheus_store(const struct store *st)
{
        if (!st->present)
                return;
        prom_head("stepup_store_up", "gauge",
                  "1 when the shared store answered the last attempt to reach it.");
        printf("stepup_store_up{backend=");
        quoted(st->backend);
        printf("} %d\n", st->up ? 1 : 0);
        if (!st->measured)
                return;
        static const struct {
                const char *name, *help;
                size_t offset;
        } counters[] = {
            {"stepup_store_errors_total", "Store statements or connection attempts that failed.",
             offsetof(struct store, errors)},
            {"stepup_store_timeouts_total", "... of which ran out of store_timeout.",
             offsetof(struct store, timeouts)},
            {"stepup_store_connects_total", "Connections made to the store.",
             offsetof(struct store, connects)},
            {"stepup_store_reconnects_total", "Connections made to replace a lost or failed one.",
             offsetof(struct store, reconnects)},
            {"stepup_store_lost_total", "Connections found broken.", offsetof(struct store, lost)},
        };
        for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
                prom_head(counters[i].name, "counter", counters[i].help);
                printf("%s %llu\n", counters[i].name,
                       *(const unsigned long long *)((const char *)st + counters[i].offset));
        }
        prom_histogram("stepup_store_round_trip_seconds",
                       "Time of one statement's round trip to the store.", st->bounds_us, &st->rt);
        if (!st->follows)
                return;
        prom_head("stepup_store_revocation_looks_total", "counter",
                  "Looks at the fleet's revocation list, by result.");
        printf("stepup_store_revocation_looks_total{result=\"ok\"} %llu\n", st->follow_ok);
        printf("stepup_store_revocation_looks_total{result=\"failed\"} %llu\n", st->follow_failed);
        prom_head("stepup_store_revocation_grants_ended_total", "counter",
                  "This host's grants ended by revocations made on any host of the fleet.");
        printf("stepup_store_revocation_grants_ended_total %llu\n", st->follow_ended);
        prom_head("stepup_store_revocation_last_ok_timestamp_seconds", "gauge",
                  "When the revocation list was last read whole (0: never).");
        printf("stepup_store_revocation_last_ok_timestamp_seconds %llu\n", st->follow_last_ok);
}

static void print_prometheus(const struct stats *s)
{
        prom_head("stepup_decisions_total", "counter", "Replies to DECIDE requests, by decision.");
        for (int i = 0; i < NDEC; i++)
                printf("stepup_decisions_total{decision=\"%s\"} %llu\n", dec_names[i], s->dec[i]);
        prom_head("stepup_verifications_total", "counter",
                  "Answers to step-up challenges, by outcome and factor.");
        for (size_t i = 0; i < s->nfactors; i++)
                for (int k = 0; k < NOUT; k++) {
                        printf("stepup_verifications_total{outcome=\"%s\",factor=", out_names[k]);
                        quoted(s->factors[i].name);
                        printf("} %llu\n", s->factors[i].out[k]);
                }
        prom_head("stepup_service_decisions_total", "counter",
                  "Replies to DECIDE requests, by PAM service and decision.");
        for (size_t i = 0; i < s->nservices; i++)
                for (int k = 0; k < NDEC; k++) {
                        printf("stepup_service_decisions_total{service=");
                        quoted(s->services[i].name);
                        printf(",decision=\"%s\"} %llu\n", dec_names[k], s->services[i].dec[k]);
                }
        prom_head("stepup_service_verifications_total", "counter",
                  "Answers to step-up challenges, by PAM service and outcome.");
        for (size_t i = 0; i < s->nservices; i++)
                for (int k = 0; k < NOUT; k++) {
                        printf("stepup_service_verifications_total{service=");
                        quoted(s->services[i].name);
                        printf(",outcome=\"%s\"} %llu\n", out_names[k], s->services[i].out[k]);
                }
        prom_head("stepup_lockouts_total", "counter", "Users locked out after repeated failures.");
        printf("stepup_lockouts_total %llu\n", s->lockouts);
        static const char *const help[2] = {
            "Time from a DECIDE request's arrival to its reply.",
            "Time from a VERIFY request's arrival to its reply (includes the durable commit)."};
        for (int i = 0; i < 2; i++) {
                char name[64];
                snprintf(name, sizeof(name), "stepup_%s_duration_seconds", hist_names[i]);
                prom_histogram(name, help[i], s->bounds_us, &s->h[i]);
        }
        print_prometheus_store(&s->store);
        prom_head("stepup_start_time_seconds", "gauge", "When stepupd started (Unix time).");
        printf("stepup_start_time_seconds %llu\n", s->start_time);
        prom_head("stepup_uptime_seconds", "gauge", "Seconds since stepupd started.");
        printf("stepup_uptime_seconds %llu\n", s->uptime);
}

int cmd_stats(const struct ctl *c, int argc, char **argv)
{
        bool json = c->json, prom = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        json = true;
                } else if (strcmp(argv[i], "--prometheus") == 0) {
                        prom = true;
                } else {
                        fprintf(stderr, "Usage: stepupctl stats [--json | --prometheus]\n");
                        return 2;
                }
        }
        if (json && prom) {
                fprintf(stderr, "stepupctl: --json and --prometheus exclude each other\n");
                return 2;
        }
        struct su_msg req, rep;
        su_msg_init(&req, SU_REQ_STATS);
        if (ctl_call(c, &req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        static struct stats s;
        json_t *data = NULL;
        int r = ctl_reply_data(&rep, &data);
        if (r == 0)
                r = parse(data, &s);
        json_decref(data);
        if (r < 0) {
                fprintf(stderr, "stepupctl: cannot read stepupd's statistics: %s\n", strerror(-r));
                return 1;
        }
        if (prom)
                print_prometheus(&s);
        else if (json)
                r = ctl_json_print(stats_json(&s), true);
        else
                print_table(&s);
        if (r < 0)
                return 1;
        return fflush(stdout) == 0 ? 0 : 1;
}
