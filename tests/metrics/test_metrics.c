/* stepupd/metrics.c: counters, bounded labels, histogram buckets, the STATS JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"
#include "proto.h"

static struct su_metrics m;

static const char *const dec[] = {"allow", "deny", "challenge"};
static const char *const out[] = {"success", "failure", "abandoned", "locked", "error"};

/* A row of the STATS JSON as "n n n ...": the decisions (services only), then the outcomes;
 * "" when the row is absent. */
static const char *row(json_t *o, const char *group, const char *name, char *buf, size_t size)
{
        json_t *r = json_object_get(json_object_get(o, group), name);
        size_t n = 0;
        buf[0] = 0;
        if (!r)
                return buf;
        json_t *d = json_object_get(r, "decisions"), *oc = json_object_get(r, "outcomes");
        for (size_t i = 0; d && i < 3; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%lld", n ? " " : "",
                                      (long long)json_integer_value(json_object_get(d, dec[i])));
        for (size_t i = 0; i < 5; i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%lld", n ? " " : "",
                                      (long long)json_integer_value(json_object_get(oc, out[i])));
        return buf;
}

/* An array of integers (or one integer) as "n n n". */
static const char *ints(json_t *v, char *buf, size_t size)
{
        size_t n = 0;
        buf[0] = 0;
        if (json_is_integer(v)) {
                snprintf(buf, size, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        for (size_t i = 0; i < json_array_size(v); i++)
                n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? " " : "",
                                      (long long)json_integer_value(json_array_get(v, i)));
        return buf;
}

static void test_counters(void)
{
        char v[256];
        su_metrics_init(&m);
        su_metrics_decision(&m, "sudo", SU_MD_ALLOW);
        su_metrics_decision(&m, "sudo", SU_MD_CHALLENGE);
        su_metrics_decision(&m, "sshd", SU_MD_DENY);
        su_metrics_decision(&m, NULL, SU_MD_DENY);
        su_metrics_decision(&m, "sudo", SU_MD_MAX_); /* out of range: ignored */
        su_metrics_verify(&m, "sudo", "totp", SU_MO_SUCCESS);
        su_metrics_verify(&m, "sudo", "totp", SU_MO_FAILURE);
        su_metrics_verify(&m, "sudo", "totp", SU_MO_FAILURE);
        su_metrics_verify(&m, "sudo", "recovery", SU_MO_LOCKED);
        su_metrics_verify(&m, NULL, NULL, SU_MO_ABANDONED);
        su_metrics_lockout(&m);
        CHECK_INT(m.decisions[SU_MD_ALLOW], 1);
        CHECK_INT(m.decisions[SU_MD_DENY], 2);
        CHECK_INT(m.decisions[SU_MD_CHALLENGE], 1);
        json_t *o = su_metrics_json(&m);
        CHECK(o != NULL);
        CHECK_INT(json_integer_value(json_object_get(o, "stats_version")), 2);
        json_t *d = json_object_get(o, "decisions");
        snprintf(v, sizeof(v), "%lld %lld %lld",
                 (long long)json_integer_value(json_object_get(d, "allow")),
                 (long long)json_integer_value(json_object_get(d, "deny")),
                 (long long)json_integer_value(json_object_get(d, "challenge")));
        CHECK_STREQ(v, "1 2 1");
        CHECK_STREQ(ints(json_object_get(o, "lockouts"), v, sizeof(v)), "1");
        CHECK_STREQ(row(o, "factors", "totp", v, sizeof(v)), "1 2 0 0 0");
        CHECK_STREQ(row(o, "factors", "recovery", v, sizeof(v)), "0 0 0 1 0");
        CHECK_STREQ(row(o, "factors", "(none)", v, sizeof(v)), "0 0 1 0 0");
        CHECK_STREQ(row(o, "services", "sudo", v, sizeof(v)), "1 0 1 1 2 0 1 0");
        CHECK_STREQ(row(o, "services", "sshd", v, sizeof(v)), "0 1 0 0 0 0 0 0");
        CHECK_STREQ(row(o, "services", "(none)", v, sizeof(v)), "0 1 0 0 0 1 0 0");
        CHECK_STREQ(row(o, "services", "(other)", v, sizeof(v)), "");
        /* No user name can reach the reply: there is no call that takes one. */
        json_decref(o);
}

static void test_bounded_labels(void)
{
        char name[80], v[256];
        su_metrics_init(&m);
        for (int i = 0; i < SU_METRICS_SERVICES_MAX + 10; i++) {
                snprintf(name, sizeof(name), "svc%d", i);
                su_metrics_decision(&m, name, SU_MD_ALLOW);
        }
        CHECK_INT(m.nservices, SU_METRICS_SERVICES_MAX);
        /* Names that would need escaping, or are too long, are never labels. */
        su_metrics_decision(&m, "svc 1", SU_MD_DENY);
        su_metrics_decision(&m, "a\"b", SU_MD_DENY);
        su_metrics_decision(&m, "x=y", SU_MD_DENY);
        memset(name, 'a', 65);
        name[65] = 0;
        su_metrics_decision(&m, name, SU_MD_DENY);
        CHECK_INT(m.services[SU_METRICS_SERVICES_MAX].decisions[SU_MD_ALLOW], 10);
        CHECK_INT(m.services[SU_METRICS_SERVICES_MAX].decisions[SU_MD_DENY], 4);
        CHECK_STREQ(m.services[SU_METRICS_SERVICES_MAX].name, SU_METRICS_OTHER);
        for (int i = 0; i < SU_METRICS_FACTORS_MAX + 3; i++) {
                snprintf(name, sizeof(name), "f%d", i);
                su_metrics_verify(&m, "svc0", name, SU_MO_ERROR);
        }
        CHECK_INT(m.nfactors, SU_METRICS_FACTORS_MAX);
        CHECK_INT(m.factors[SU_METRICS_FACTORS_MAX].outcomes[SU_MO_ERROR], 3);
        json_t *o = su_metrics_json(&m);
        CHECK_STREQ(row(o, "services", "(other)", v, sizeof(v)), "10 4 0 0 0 0 0 0");
        CHECK_STREQ(row(o, "factors", "(other)", v, sizeof(v)), "0 0 0 0 3");
        json_decref(o);
}

/* 64 services with 64-byte names and huge counts do not fit in one reply: the rest is
 * folded into "(other)", the sums stay right, and the JSON fits the protocol's DATA field. */
static void test_fold(void)
{
        char name[80], v[256];
        su_metrics_init(&m);
        for (int i = 0; i < SU_METRICS_SERVICES_MAX; i++) {
                snprintf(name, sizeof(name), "%02d%062d", i, 0);
                struct su_metric_row *r = NULL;
                su_metrics_decision(&m, name, SU_MD_ALLOW);
                for (size_t k = 0; k < m.nservices; k++)
                        if (strcmp(m.services[k].name, name) == 0)
                                r = &m.services[k];
                CHECK(r != NULL);
                if (!r)
                        return;
                for (int k = 0; k < SU_MD_MAX_; k++)
                        r->decisions[k] = 1000000000000ULL + (uint64_t)i;
                for (int k = 0; k < SU_MO_MAX_; k++)
                        r->outcomes[k] = 1000000000000ULL + (uint64_t)i;
        }
        json_t *o = su_metrics_json(&m);
        size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT | JSON_SORT_KEYS);
        CHECK(n > 0 && n <= su_tag_max(SU_T_DATA));
        CHECK(strcmp(row(o, "services", "(other)", v, sizeof(v)), "") != 0);
        /* Sum of the allow column over all service rows == 64 * 1e12 + 0+1+..+63. */
        unsigned long long sum = 0, want = 64 * 1000000000000ULL + 63 * 64 / 2;
        int lines = 0;
        const char *k;
        json_t *r;
        json_object_foreach(json_object_get(o, "services"), k, r)
        {
                sum += (unsigned long long)json_integer_value(
                    json_object_get(json_object_get(r, "decisions"), "allow"));
                lines++;
        }
        CHECK_INT(sum, want);
        CHECK(lines > 1 && lines <= SU_METRICS_SERVICES_MAX);
        json_decref(o);
}

static void test_histogram(void)
{
        char v[512];
        su_metrics_init(&m);
        su_metrics_latency(&m, SU_MH_DECIDE, 0);
        su_metrics_latency(&m, SU_MH_DECIDE, 50);      /* le="0.00005" holds 50 us itself */
        su_metrics_latency(&m, SU_MH_DECIDE, 51);      /* next bucket */
        su_metrics_latency(&m, SU_MH_DECIDE, 5000000); /* last finite bucket */
        su_metrics_latency(&m, SU_MH_DECIDE, 5000001); /* only in +Inf */
        su_metrics_latency(&m, SU_MH_VERIFY, 3000);
        su_metrics_latency(&m, SU_MH_MAX_, 3000); /* ignored */
        CHECK_INT(m.hist[SU_MH_DECIDE].bucket[0], 2);
        CHECK_INT(m.hist[SU_MH_DECIDE].bucket[1], 1);
        CHECK_INT(m.hist[SU_MH_DECIDE].bucket[SU_METRICS_BUCKETS - 1], 1);
        CHECK_INT(m.hist[SU_MH_DECIDE].bucket[SU_METRICS_BUCKETS], 1);
        CHECK_INT(m.hist[SU_MH_DECIDE].count, 5);
        CHECK_INT(m.hist[SU_MH_DECIDE].sum_us, 50 + 51 + 5000000 + 5000001);
        json_t *o = su_metrics_json(&m);
        json_t *dh = json_object_get(o, "decide_us"), *vh = json_object_get(o, "verify_us");
        CHECK_STREQ(ints(json_object_get(o, "bounds_us"), v, sizeof(v)),
                    "50 100 250 500 1000 2500 5000 10000 25000 50000 100000 250000 500000 "
                    "1000000 2500000 5000000");
        CHECK_STREQ(ints(json_object_get(dh, "le"), v, sizeof(v)),
                    "2 3 3 3 3 3 3 3 3 3 3 3 3 3 3 4");
        CHECK_STREQ(ints(json_object_get(dh, "count"), v, sizeof(v)), "5");
        CHECK_STREQ(ints(json_object_get(dh, "sum_us"), v, sizeof(v)), "10000102");
        CHECK_STREQ(ints(json_object_get(vh, "le"), v, sizeof(v)),
                    "0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1");
        json_decref(o);
}

int main(void)
{
        test_counters();
        test_bounded_labels();
        test_fold();
        test_histogram();
        return check_done();
}
