/* Load client for stepupd (and the floor server): each request on a new connection, as
 * pam_stepup makes it, through common/sockio.  Prints one key=value summary line.
 *
 *   bench_client decide --socket S --service SVC --user U [--prime-secret HEX]
 *                       [--requests N] [--concurrency C] [--raw FILE]
 *       DECIDE, expecting ALLOW.  --prime-secret first answers one challenge with that TOTP
 *       secret, so that this process's scope holds fresh assurance (the allow path).
 *   bench_client verify --socket S --service SVC --users FILE [--concurrency C] [--raw FILE]
 *       For each line "user hexsecret" of FILE, once: DECIDE (expecting CHALLENGE), then
 *       VERIFY with the current code (expecting ALLOW).  Latency is the VERIFY round trip
 *       (TOTP check plus the durable commit); throughput counts whole flows.
 *   --command "PATH ARGS" adds a COMMAND field (as sudo's module sends SUDO_COMMAND).
 *   --whole (verify) times the whole flow, connect + DECIDE + VERIFY, instead of the VERIFY.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "sockio.h"
#include "totp.h"

#define TIMEOUT_MS 10000

struct user {
        char name[64];
        uint8_t key[64];
        size_t keylen;
};

static const char *sock_path, *service = "bench", *user_name = "root", *command;
static bool whole; /* verify: time connect + DECIDE + VERIFY */
static long requests = 10000;
static int concurrency = 1;
static struct user *users;
static long nusers;
static atomic_long next_index;
static atomic_long errors;
static uint32_t *lat_us; /* one per request */

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put_decide(struct su_msg *m, const char *user)
{
        su_msg_init(m, SU_REQ_DECIDE);
        su_msg_put_str(m, SU_T_SERVICE, service);
        su_msg_put_str(m, SU_T_USER, user);
        su_msg_put_u32(m, SU_T_PHASE, SU_PHASE_AUTH);
        if (command)
                su_msg_put_str(m, SU_T_COMMAND, command);
}

/* One challenge answered with user's current code.  Returns the VERIFY round trip in ns, or
 * 0 on failure. */
static uint64_t step_up(const struct user *u)
{
        struct su_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
        uint64_t took = 0;
        int fd = -1;
        uint64_t start = now_ns();
        if (!req || !rep)
                goto out;
        fd = su_client_connect(sock_path, TIMEOUT_MS);
        if (fd < 0)
                goto out;
        put_decide(req, u->name);
        if (su_client_call(fd, req, rep, TIMEOUT_MS) < 0 || rep->type != SU_REP_CHALLENGE)
                goto out;
        char id[33], code[9];
        snprintf(id, sizeof(id), "%s", su_msg_str(rep, SU_T_CHALLENGE) ?: "");
        struct su_totp_params p;
        su_totp_params_default(&p);
        su_totp_code(u->key, u->keylen, &p, su_totp_step(&p, time(NULL)), code);
        su_msg_init(req, SU_REQ_VERIFY);
        su_msg_put_str(req, SU_T_CHALLENGE, id);
        su_msg_put_str(req, SU_T_ANSWER, code);
        uint64_t t0 = now_ns();
        if (su_client_call(fd, req, rep, TIMEOUT_MS) < 0 || rep->type != SU_REP_ALLOW)
                goto out;
        took = now_ns() - (whole ? start : t0);
        if (took == 0)
                took = 1;
out:
        if (fd >= 0)
                close(fd);
        free(req);
        free(rep);
        return took;
}

static void *decide_thread(void *arg)
{
        (void)arg;
        struct su_msg *req = malloc(sizeof(*req)), *rep = malloc(sizeof(*rep));
        if (!req || !rep)
                abort();
        put_decide(req, user_name);
        for (;;) {
                long i = atomic_fetch_add(&next_index, 1);
                if (i >= requests)
                        break;
                uint64_t t0 = now_ns();
                int fd = su_client_connect(sock_path, TIMEOUT_MS);
                int r = fd < 0 ? fd : su_client_call(fd, req, rep, TIMEOUT_MS);
                if (fd >= 0)
                        close(fd);
                uint64_t dt = now_ns() - t0;
                if (r < 0 || rep->type != SU_REP_ALLOW)
                        atomic_fetch_add(&errors, 1);
                lat_us[i] = (uint32_t)(dt / 1000);
        }
        free(req);
        free(rep);
        return NULL;
}

static void *verify_thread(void *arg)
{
        (void)arg;
        for (;;) {
                long i = atomic_fetch_add(&next_index, 1);
                if (i >= nusers)
                        break;
                uint64_t t = step_up(&users[i]);
                if (!t)
                        atomic_fetch_add(&errors, 1);
                lat_us[i] = (uint32_t)(t / 1000);
        }
        return NULL;
}

static int hexkey(const char *hex, uint8_t *out, size_t size, size_t *len)
{
        size_t n = strlen(hex);
        if (n % 2 || n / 2 > size)
                return -EINVAL;
        for (size_t i = 0; i < n / 2; i++) {
                unsigned v;
                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return -EINVAL;
                out[i] = (uint8_t)v;
        }
        *len = n / 2;
        return 0;
}

static int load_users(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        long cap = 1024;
        users = calloc((size_t)cap, sizeof(*users));
        char name[64], hex[160];
        while (users && fscanf(f, "%63s %159s", name, hex) == 2) {
                if (nusers == cap) {
                        cap *= 2;
                        users = realloc(users, (size_t)cap * sizeof(*users));
                        if (!users)
                                break;
                }
                struct user *u = &users[nusers];
                snprintf(u->name, sizeof(u->name), "%s", name);
                if (hexkey(hex, u->key, sizeof(u->key), &u->keylen) < 0)
                        continue;
                nusers++;
        }
        fclose(f);
        return users ? 0 : -ENOMEM;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

static uint32_t pct(const uint32_t *sorted, long n, double q)
{
        long i = (long)(q * (double)(n - 1) + 0.5);
        return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: see the head of bench_client.c\n");
                return 2;
        }
        const char *mode = argv[1], *prime = NULL, *users_path = NULL, *raw = NULL;
        static const struct option opts[] = {
            {"socket", required_argument, NULL, 's'},
            {"service", required_argument, NULL, 'S'},
            {"user", required_argument, NULL, 'u'},
            {"users", required_argument, NULL, 'U'},
            {"prime-secret", required_argument, NULL, 'p'},
            {"requests", required_argument, NULL, 'n'},
            {"concurrency", required_argument, NULL, 'c'},
            {"raw", required_argument, NULL, 'r'},
            {"command", required_argument, NULL, 'C'},
            {"whole", no_argument, NULL, 'w'},
            {},
        };
        int o;
        optind = 2;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (o) {
                case 's':
                        sock_path = optarg;
                        break;
                case 'S':
                        service = optarg;
                        break;
                case 'u':
                        user_name = optarg;
                        break;
                case 'U':
                        users_path = optarg;
                        break;
                case 'p':
                        prime = optarg;
                        break;
                case 'n':
                        requests = atol(optarg);
                        break;
                case 'c':
                        concurrency = atoi(optarg);
                        break;
                case 'r':
                        raw = optarg;
                        break;
                case 'C':
                        command = optarg;
                        break;
                case 'w':
                        whole = true;
                        break;
                default:
                        return 2;
                }
        }
        if (!sock_path || concurrency < 1 || concurrency > 1024 || requests < 1)
                return 2;
        if (su_totp_init() < 0)
                return 1;
        bool verify = strcmp(mode, "verify") == 0;
        if (verify) {
                if (!users_path || load_users(users_path) < 0 || nusers == 0) {
                        fprintf(stderr, "bench_client: no users from %s\n", users_path ?: "-");
                        return 2;
                }
                requests = nusers;
        } else if (strcmp(mode, "decide") != 0) {
                return 2;
        }
        if (prime) {
                struct user u = {0};
                snprintf(u.name, sizeof(u.name), "%s", user_name);
                if (hexkey(prime, u.key, sizeof(u.key), &u.keylen) < 0 || !step_up(&u)) {
                        fprintf(stderr, "bench_client: priming the assurance failed\n");
                        return 1;
                }
        }
        lat_us = calloc((size_t)requests, sizeof(*lat_us));
        pthread_t *th = calloc((size_t)concurrency, sizeof(*th));
        if (!lat_us || !th)
                return 1;
        uint64_t t0 = now_ns();
        for (int i = 0; i < concurrency; i++)
                pthread_create(&th[i], NULL, verify ? verify_thread : decide_thread, NULL);
        for (int i = 0; i < concurrency; i++)
                pthread_join(th[i], NULL);
        double secs = (double)(now_ns() - t0) / 1e9;
        if (raw) {
                FILE *f = fopen(raw, "we");
                for (long i = 0; f && i < requests; i++)
                        fprintf(f, "%u\n", lat_us[i]);
                if (f)
                        fclose(f);
        }
        qsort(lat_us, (size_t)requests, sizeof(*lat_us), cmp_u32);
        printf("mode=%s concurrency=%d requests=%ld errors=%ld seconds=%.3f rps=%.0f "
               "p50_us=%u p99_us=%u min_us=%u max_us=%u\n",
               mode, concurrency, requests, (long)errors, secs, (double)requests / secs,
               pct(lat_us, requests, 0.5), pct(lat_us, requests, 0.99), lat_us[0],
               lat_us[requests - 1]);
        return errors ? 1 : 0;
}
