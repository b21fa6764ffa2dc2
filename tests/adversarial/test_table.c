/* The request table from outside: every message type, sent by every kind of peer (root on
 * the PAM socket, root on the user socket, another user asking about a victim, the user about
 * itself), is accepted or refused as docs/protocol.md's table says.  The expected table below
 * is written from the documentation, not from stepupd/methods.c. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sockio.h"

#define POLICY "require totp within 15m when service adv-a\nallow\n"

enum kind { ROOT_PAM, ROOT_USER, OTHER, SELF, NKINDS };
static const char *const kind_names[NKINDS] = {"root on the PAM socket", "root on the user socket",
                                               "another user", "the user itself"};

/* Y: served (any answer but a refusal); N: refused (ERROR EPERM, or dropped) */
static const struct {
        uint8_t type;
        const char *name;
        const char *expect; /* one letter per kind, in enum kind order */
} table[] = {
    {SU_REQ_DECIDE, "DECIDE", "YNNN"},
    {SU_REQ_VERIFY, "VERIFY", "YNNN"}, /* no challenge open: only root's module may try */
    {SU_REQ_RELOAD, "RELOAD", "YNNN"},
    {SU_REQ_ENROLL_SET, "ENROLL_SET", "YNNN"},
    {SU_REQ_STATUS, "STATUS", "YYNY"},
    {SU_REQ_REVOKE, "REVOKE", "YYNY"},
    {SU_REQ_ENROLL_BEGIN, "ENROLL_BEGIN", "YYNY"},
    {SU_REQ_ENROLL_CONFIRM, "ENROLL_CONFIRM", "YYNY"},
    {SU_REQ_UNLOCK, "UNLOCK", "YNNN"},
    {SU_REQ_QUESTIONS_GET, "QUESTIONS_GET", "YYYY"},
    {SU_REQ_QUESTIONS_SET, "QUESTIONS_SET", "YYNY"},
    {SU_REQ_RECOVERY_NEW, "RECOVERY_NEW", "YYNY"},
    {SU_REQ_RESET, "RESET", "YNNN"},
    {SU_REQ_FORGET, "FORGET", "YNNN"},
    {SU_REQ_LIST, "LIST", "YNNN"},
    {SU_REQ_RECOVERY_SET, "RECOVERY_SET", "YNNN"},
    {SU_REQ_REMOVE, "REMOVE", "YYNY"},
    {SU_REQ_STATS, "STATS", "YYNN"},
    {SU_REQ_GATE, "GATE", "NYYY"}, /* the user socket; always about the caller itself */
    {99, "(unknown type 99)", "NNNN"},
};
#define NTYPES (sizeof(table) / sizeof(table[0]))

static struct adv_env env;

static void fill(struct su_msg *m, uint8_t type, const char *user)
{
        su_msg_init(m, type);
        if (type != SU_REQ_GATE && type != SU_REQ_LIST && type != SU_REQ_STATS &&
            type != SU_REQ_RELOAD && type != SU_REQ_QUESTIONS_GET && type != SU_REQ_VERIFY)
                su_msg_put_str(m, SU_T_USER, user);
        switch (type) {
        case SU_REQ_DECIDE:
                su_msg_put_str(m, SU_T_SERVICE, "adv-a");
                su_msg_put_u32(m, SU_T_PHASE, SU_PHASE_AUTH);
                break;
        case SU_REQ_VERIFY:
                su_msg_put_str(m, SU_T_CHALLENGE, "00000000000000000000000000000000");
                su_msg_put_str(m, SU_T_ANSWER, "123456");
                break;
        case SU_REQ_ENROLL_SET:
                su_msg_put_str(m, SU_T_SECRET, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
                break;
        case SU_REQ_ENROLL_CONFIRM:
                su_msg_put_str(m, SU_T_ANSWER, "123456");
                break;
        case SU_REQ_QUESTIONS_SET:
                su_msg_put_str(m, SU_T_BODY, "pet\tfido\n");
                break;
        case SU_REQ_RESET:
        case SU_REQ_REMOVE:
                su_msg_put_str(m, SU_T_FACTOR, "recovery");
                break;
        case SU_REQ_RECOVERY_SET:
                su_msg_put_str(m, SU_T_BODY, "12345678\n");
                break;
        case SU_REQ_GATE:
                su_msg_put_str(m, SU_T_COMMAND, "/bin/true");
                break;
        }
}

/* One letter per message type: Y served, N refused. */
static void run_kind(enum kind k, const char *victim, char *out)
{
        const char *sock = k == ROOT_PAM ? env.pam_sock : env.user_sock;
        for (size_t i = 0; i < NTYPES; i++) {
                struct su_msg req, rep;
                fill(&req, table[i].type, victim);
                int r = adv_call(sock, &req, &rep);
                uint32_t err = 0;
                bool refused =
                    r < 0 || (rep.type == SU_REP_ERROR && su_msg_u32(&rep, SU_T_ERRNO, &err) &&
                              (err == EPERM || err == EOPNOTSUPP));
                out[i] = refused ? 'N' : 'Y';
        }
        out[NTYPES] = 0;
}

/* The same from a child that is uid of user (non-root kinds). */
static void run_as(const char *user, enum kind k, const char *victim, char *out)
{
        int p[2];
        if (pipe(p) < 0)
                abort();
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                char got[NTYPES + 1];
                struct passwd *pw = getpwnam(user);
                if (!pw || setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
                    setuid(pw->pw_uid) < 0)
                        _exit(2);
                run_kind(k, victim, got);
                ssize_t n = write(p[1], got, NTYPES);
                _exit(n == (ssize_t)NTYPES ? 0 : 3);
        }
        close(p[1]);
        ssize_t n = read(p[0], out, NTYPES);
        close(p[0]);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        out[n > 0 ? n : 0] = 0;
}

int main(void)
{
        adv_setup(&env, POLICY, "");
        adv_start(&env);
        char got[NKINDS][NTYPES + 1];
        run_kind(ROOT_PAM, "adv00", got[ROOT_PAM]);
        run_kind(ROOT_USER, "adv00", got[ROOT_USER]);
        run_as("adv01", OTHER, "adv00", got[OTHER]);
        run_as("adv00", SELF, "adv00", got[SELF]);
        for (size_t i = 0; i < NTYPES; i++)
                for (int k = 0; k < NKINDS; k++) {
                        char want = table[i].expect[k];
                        if (got[k][i] != want)
                                fprintf(stderr, "%s from %s: %s, the table says %s\n",
                                        table[i].name, kind_names[k],
                                        got[k][i] == 'Y' ? "served" : "refused",
                                        want == 'Y' ? "served" : "refused");
                        CHECK(got[k][i] == want);
                }
        if (check_failures)
                adv_dump_log(&env);
        adv_cleanup(&env);
        return check_done();
}
