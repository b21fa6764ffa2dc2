/* stepupd/metrics.c: counters, bounded labels, histogram buckets, the STATS body. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

static struct su_metrics m;

/* The value of key in body ("" when absent). */
static const char *value(const char *body, const char *key, char *out, size_t size)
{
        size_t kl = strlen(key);
        out[0] = 0;
        for (const char *p = body; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len > kl && memcmp(p, key, kl) == 0 && p[kl] == '=') {
                        snprintf(out, size, "%.*s", (int)(len - kl - 1), p + kl + 1);
                        break;
                }
                p += len + (nl ? 1 : 0);
        }
        return out;
}

static void test_counters(void)
{
        char body[8193], v[256];
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
        int n = su_metrics_format(&m, body, sizeof(body));
        CHECK(n > 0 && (size_t)n == strlen(body));
        CHECK_STREQ(value(body, "stats_version", v, sizeof(v)), "1");
        CHECK_STREQ(value(body, "decisions", v, sizeof(v)), "1 2 1");
        CHECK_STREQ(value(body, "lockouts", v, sizeof(v)), "1");
        CHECK_STREQ(value(body, "factor.totp", v, sizeof(v)), "1 2 0 0 0");
        CHECK_STREQ(value(body, "factor.recovery", v, sizeof(v)), "0 0 0 1 0");
        CHECK_STREQ(value(body, "factor.(none)", v, sizeof(v)), "0 0 1 0 0");
        CHECK_STREQ(value(body, "service.sudo", v, sizeof(v)), "1 0 1 1 2 0 1 0");
        CHECK_STREQ(value(body, "service.sshd", v, sizeof(v)), "0 1 0 0 0 0 0 0");
        CHECK_STREQ(value(body, "service.(none)", v, sizeof(v)), "0 1 0 0 0 1 0 0");
        CHECK_STREQ(value(body, "service.(other)", v, sizeof(v)), "");
        CHECK_STREQ(value(body, "outcome_columns", v, sizeof(v)),
                    "success failure abandoned locked error");
        /* No user name can reach the body: there is no call that takes one. */
        CHECK_INT(su_metrics_format(&m, body, 100), -ENOBUFS);
}

static void test_bounded_labels(void)
{
        char name[80], body[8193], v[256];
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
        CHECK(su_metrics_format(&m, body, sizeof(body)) > 0);
        CHECK_STREQ(value(body, "service.(other)", v, sizeof(v)), "10 4 0 0 0 0 0 0");
        CHECK_STREQ(value(body, "factor.(other)", v, sizeof(v)), "0 0 0 0 3");
}

/* 64 services with 64-byte names and huge counts do not fit in 8192 bytes: the rest is
 * folded into "(other)" and the sums stay right. */
static void test_fold(void)
{
        char name[80], body[8193], v[256];
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
        int n = su_metrics_format(&m, body, sizeof(body));
        CHECK(n > 0 && n <= 8192);
        CHECK(strcmp(value(body, "service.(other)", v, sizeof(v)), "") != 0);
        /* Sum of the allow column over all service lines == 64 * 1e12 + 0+1+..+63. */
        unsigned long long sum = 0, want = 64 * 1000000000000ULL + 63 * 64 / 2;
        int lines = 0;
        for (const char *p = body; (p = strstr(p, "service.")); p++) {
                const char *eq = strchr(p, '=');
                sum += strtoull(eq + 1, NULL, 10);
                lines++;
        }
        CHECK_INT(sum, want);
        CHECK(lines > 1 && lines <= SU_METRICS_SERVICES_MAX);
}

static void test_histogram(void)
{
        char body[8193], v[512];
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
        CHECK(su_metrics_format(&m, body, sizeof(body)) > 0);
        CHECK_STREQ(value(body, "bounds_us", v, sizeof(v)),
                    "50 100 250 500 1000 2500 5000 10000 25000 50000 100000 250000 500000 "
                    "1000000 2500000 5000000");
        CHECK_STREQ(value(body, "decide_us.le", v, sizeof(v)), "2 3 3 3 3 3 3 3 3 3 3 3 3 3 3 4");
        CHECK_STREQ(value(body, "decide_us.count", v, sizeof(v)), "5");
        CHECK_STREQ(value(body, "decide_us.sum", v, sizeof(v)), "10000102");
        CHECK_STREQ(value(body, "verify_us.le", v, sizeof(v)), "0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1");
}

int main(void)
{
        test_counters();
        test_bounded_labels();
        test_fold();
        test_histogram();
        return check_done();
}
