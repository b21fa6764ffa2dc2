/* stepupctl enroll totp: interactive (QR code, confirmation) or scripted by root. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "otpauth.h"
#include "qr.h"
#include "sockio.h"

static int read_line(FILE *f, char *buf, size_t size)
{
        if (!fgets(buf, (int)size, f))
                return -EIO;
        buf[strcspn(buf, "\r\n")] = 0;
        return 0;
}

static int enroll_set(const struct ctl *c, const char *user, struct su_msg *req)
{
        char secret[256];
        if (read_line(stdin, secret, sizeof(secret)) < 0 || !*secret) {
                fprintf(stderr, "stepupctl: no secret on standard input\n");
                return 1;
        }
        struct su_msg rep;
        req->type = SU_REQ_ENROLL_SET;
        int r = su_msg_put_str(req, SU_T_USER, user);
        if (r >= 0)
                r = su_msg_put_str(req, SU_T_SECRET, secret);
        explicit_bzero(secret, sizeof(secret));
        if (r < 0) {
                fprintf(stderr, "stepupctl: invalid user or secret\n");
                return 1;
        }
        r = ctl_call(c, req, &rep);
        su_msg_wipe(req);
        if (r < 0)
                return 1;
        return ctl_report(&rep);
}

static int enroll_interactive(const struct ctl *c, const char *user, const char *issuer, bool qr,
                              struct su_msg *req)
{
        struct su_msg rep;
        req->type = SU_REQ_ENROLL_BEGIN;
        if (user && su_msg_put_str(req, SU_T_USER, user) < 0) {
                fprintf(stderr, "stepupctl: invalid user name\n");
                return 1;
        }
        int fd = ctl_connect(c);
        if (fd < 0)
                return 1;
        int r = su_client_call(fd, req, &rep, c->timeout_ms);
        close(fd);
        if (r < 0) {
                fprintf(stderr, "stepupctl: no valid answer from stepupd: %s\n", strerror(-r));
                return 1;
        }
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        const char *secret = su_msg_str(&rep, SU_T_SECRET);
        const char *account = su_msg_str(&rep, SU_T_USER);
        const char *algo = su_msg_str(&rep, SU_T_ALGO);
        uint32_t digits = 6, period = 30;
        su_msg_u32(&rep, SU_T_DIGITS, &digits);
        su_msg_u32(&rep, SU_T_PERIOD, &period);
        char host[256] = "stepup";
        if (!issuer) {
                gethostname(host, sizeof(host) - 1);
                issuer = host;
        }
        char uri[1024];
        if (!secret || !account ||
            su_otpauth_uri(issuer, account, secret, algo ? algo : "SHA1", digits, period, uri,
                           sizeof(uri)) < 0) {
                su_msg_wipe(&rep);
                fprintf(stderr, "stepupctl: stepupd sent an unusable enrolment\n");
                return 1;
        }
        if (qr) {
                setlocale(LC_CTYPE, "");
                bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
                if (su_qr_print(stdout, uri, utf8) < 0)
                        fprintf(stderr, "stepupctl: cannot draw the QR code\n");
        }
        printf("Scan the QR code with your authenticator app, or enter this key: %s\n", secret);
        printf("URI: %s\n", uri);
        explicit_bzero(uri, sizeof(uri));
        su_msg_wipe(&rep);

        char code[64];
        printf("Enter the code your app shows to confirm: ");
        fflush(stdout);
        if (read_line(stdin, code, sizeof(code)) < 0) {
                fprintf(stderr, "\nstepupctl: no code given; the enrolment stays pending\n");
                return 1;
        }
        su_msg_init(req, SU_REQ_ENROLL_CONFIRM);
        if (user)
                su_msg_put_str(req, SU_T_USER, user);
        if (su_msg_put_str(req, SU_T_ANSWER, code) < 0) {
                explicit_bzero(code, sizeof(code));
                fprintf(stderr, "stepupctl: invalid code\n");
                return 1;
        }
        explicit_bzero(code, sizeof(code));
        r = ctl_call(c, req, &rep);
        su_msg_wipe(req);
        if (r < 0)
                return 1;
        return ctl_report(&rep);
}

int cmd_enroll(const struct ctl *c, int argc, char **argv)
{
        static const struct option opts[] = {
            {"user", required_argument, NULL, 'u'},      {"secret-stdin", no_argument, NULL, 's'},
            {"issuer", required_argument, NULL, 'i'},    {"no-qr", no_argument, NULL, 'n'},
            {"digits", required_argument, NULL, 'd'},    {"period", required_argument, NULL, 'p'},
            {"algorithm", required_argument, NULL, 'a'}, {},
        };
        const char *user = NULL, *issuer = NULL, *algo = NULL;
        bool secret_stdin = false, qr = true;
        long digits = 0, period = 0;
        int o;
        if (argc < 2 || strcmp(argv[1], "totp") != 0) {
                fprintf(stderr, "Usage: stepupctl enroll totp [--user NAME] [--secret-stdin] "
                                "[--issuer NAME] [--no-qr] [--digits 6|8] [--period S] "
                                "[--algorithm SHA1|SHA256|SHA512]\n");
                return 2;
        }
        argc--;
        argv++;
        optind = 1;
        while ((o = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (o) {
                case 'u':
                        user = optarg;
                        break;
                case 's':
                        secret_stdin = true;
                        break;
                case 'i':
                        issuer = optarg;
                        break;
                case 'n':
                        qr = false;
                        break;
                case 'd':
                        digits = strtol(optarg, NULL, 10);
                        break;
                case 'p':
                        period = strtol(optarg, NULL, 10);
                        break;
                case 'a':
                        algo = optarg;
                        break;
                default:
                        return 2;
                }
        }
        struct su_msg req;
        su_msg_init(&req, SU_REQ_ENROLL_BEGIN);
        if (digits && su_msg_put_u32(&req, SU_T_DIGITS, (uint32_t)digits) < 0)
                return 2;
        if (period && su_msg_put_u32(&req, SU_T_PERIOD, (uint32_t)period) < 0)
                return 2;
        if (algo && su_msg_put_str(&req, SU_T_ALGO, algo) < 0)
                return 2;
        if (secret_stdin) {
                if (!user) {
                        fprintf(stderr, "stepupctl: --secret-stdin needs --user\n");
                        return 2;
                }
                if (geteuid() != 0) {
                        fprintf(stderr, "stepupctl: --secret-stdin is for root only\n");
                        return 1;
                }
                return enroll_set(c, user, &req);
        }
        return enroll_interactive(c, user, issuer, qr, &req);
}
