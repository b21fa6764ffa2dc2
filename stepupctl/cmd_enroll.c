/* stepupctl enroll totp|questions: interactive (QR code, confirmation) or scripted by root. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "otpauth.h"
#include "qr_png.h"
#include "prompt.h"
#include "qr_text.h"

struct totp_opts {
        const char *user, *issuer, *algo, *png;
        bool secret_stdin, qr, plain;
        long digits, period;
};

static int enroll_set(const struct ctl *c, const struct totp_opts *o, struct su_msg *req)
{
        char secret[256];
        if (ctl_read_line(secret, sizeof(secret)) < 0 || !*secret) {
                fprintf(stderr, "stepupctl: no secret on standard input\n");
                return 1;
        }
        struct su_msg rep;
        req->type = SU_REQ_ENROLL_SET;
        int r = su_msg_put_str(req, SU_T_USER, o->user);
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

static int show(const struct totp_opts *o, const char *uri, const char *secret)
{
        if (o->png) {
                int r = su_qr_write_png(o->png, uri, 8);
                if (r < 0) {
                        fprintf(stderr, "stepupctl: %s: cannot write the QR code: %s\n", o->png,
                                strerror(-r));
                        return r;
                }
                printf("QR code written to %s (mode 0600; delete it after scanning)\n", o->png);
        }
        if (o->qr) {
                setlocale(LC_CTYPE, "");
                bool utf8 = !o->plain && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
                if (su_qr_print(stdout, uri, utf8) < 0)
                        fprintf(stderr, "stepupctl: cannot draw the QR code\n");
        }
        printf("Scan the QR code with your authenticator app, or enter this key: %s\n", secret);
        printf("URI: %s\n", uri);
        return 0;
}

static int enroll_interactive(const struct ctl *c, const struct totp_opts *o, struct su_msg *req)
{
        struct su_msg rep;
        req->type = SU_REQ_ENROLL_BEGIN;
        if (o->user && su_msg_put_str(req, SU_T_USER, o->user) < 0) {
                fprintf(stderr, "stepupctl: invalid user name\n");
                return 1;
        }
        /* Replacing an active factor: stepupd asks for a fresh proof first. */
        if (ctl_call_gated(c, req, &rep) < 0)
                return 1;
        if (rep.type != SU_REP_OK)
                return ctl_report(&rep);
        const char *secret = su_msg_str(&rep, SU_T_SECRET);
        const char *account = su_msg_str(&rep, SU_T_USER);
        const char *algo = su_msg_str(&rep, SU_T_ALGO);
        uint32_t digits = 6, period = 30;
        su_msg_u32(&rep, SU_T_DIGITS, &digits);
        su_msg_u32(&rep, SU_T_PERIOD, &period);
        char host[256] = "stepup";
        const char *issuer = o->issuer;
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
        int shown = show(o, uri, secret);
        explicit_bzero(uri, sizeof(uri));
        su_msg_wipe(&rep);
        if (shown < 0)
                return 1;

        char code[64];
        printf("Enter the code your app shows to confirm: ");
        fflush(stdout);
        if (ctl_read_line(code, sizeof(code)) < 0) {
                fprintf(stderr, "\nstepupctl: no code given; the enrolment stays pending and "
                                "any active factor stays in force\n");
                return 1;
        }
        su_msg_init(req, SU_REQ_ENROLL_CONFIRM);
        if (o->user)
                su_msg_put_str(req, SU_T_USER, o->user);
        if (su_msg_put_str(req, SU_T_ANSWER, code) < 0) {
                explicit_bzero(code, sizeof(code));
                fprintf(stderr, "stepupctl: invalid code\n");
                return 1;
        }
        explicit_bzero(code, sizeof(code));
        int r = ctl_call(c, req, &rep);
        su_msg_wipe(req);
        if (r < 0)
                return 1;
        return ctl_report(&rep);
}

static int enroll_totp(const struct ctl *c, int argc, char **argv)
{
        static const struct option opts[] = {
            {"user", required_argument, NULL, 'u'},      {"secret-stdin", no_argument, NULL, 's'},
            {"issuer", required_argument, NULL, 'i'},    {"no-qr", no_argument, NULL, 'n'},
            {"plain-qr", no_argument, NULL, 'P'},        {"qr-png", required_argument, NULL, 'q'},
            {"digits", required_argument, NULL, 'd'},    {"period", required_argument, NULL, 'p'},
            {"algorithm", required_argument, NULL, 'a'}, {},
        };
        struct totp_opts o = {.qr = true};
        int opt;
        optind = 1;
        while ((opt = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (opt) {
                case 'u':
                        o.user = optarg;
                        break;
                case 's':
                        o.secret_stdin = true;
                        break;
                case 'i':
                        o.issuer = optarg;
                        break;
                case 'n':
                        o.qr = false;
                        break;
                case 'P':
                        o.plain = true;
                        break;
                case 'q':
                        o.png = optarg;
                        break;
                case 'd':
                        o.digits = strtol(optarg, NULL, 10);
                        break;
                case 'p':
                        o.period = strtol(optarg, NULL, 10);
                        break;
                case 'a':
                        o.algo = optarg;
                        break;
                default:
                        return 2;
                }
        }
        struct su_msg req;
        su_msg_init(&req, SU_REQ_ENROLL_BEGIN);
        if ((o.digits && su_msg_put_u32(&req, SU_T_DIGITS, (uint32_t)o.digits) < 0) ||
            (o.period && su_msg_put_u32(&req, SU_T_PERIOD, (uint32_t)o.period) < 0) ||
            (o.algo && su_msg_put_str(&req, SU_T_ALGO, o.algo) < 0)) {
                fprintf(stderr, "stepupctl: invalid TOTP parameters\n");
                return 2;
        }
        if (o.secret_stdin) {
                if (!o.user) {
                        fprintf(stderr, "stepupctl: --secret-stdin needs --user\n");
                        return 2;
                }
                if (geteuid() != 0) {
                        fprintf(stderr, "stepupctl: --secret-stdin is for root only\n");
                        return 1;
                }
                return enroll_set(c, &o, &req);
        }
        return enroll_interactive(c, &o, &req);
}

int cmd_enroll(const struct ctl *c, int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "totp") == 0)
                return enroll_totp(c, argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "questions") == 0)
                return cmd_enroll_questions(c, argc - 1, argv + 1);
        fprintf(stderr, "Usage: stepupctl enroll totp [--user NAME] [--secret-stdin] "
                        "[--issuer NAME] [--no-qr] [--plain-qr] [--qr-png FILE] [--digits 6|8] "
                        "[--period S] [--algorithm SHA1|SHA256|SHA512]\n"
                        "       stepupctl enroll questions [--user NAME]\n");
        return 2;
}
