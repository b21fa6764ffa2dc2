#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int su_peer_read(const char *proc_root, pid_t pid, uid_t uid, gid_t gid, struct su_peer *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->pid = pid;
        ret->uid = uid;
        ret->gid = gid;
        int r = su_proc_stat_read(proc_root, pid, &ret->self);
        if (r < 0) {
                ret->proc_err = r;
                return r;
        }
        if (ret->self.ppid > 0 && su_proc_stat_read(proc_root, ret->self.ppid, &ret->parent) < 0)
                memset(&ret->parent, 0, sizeof(ret->parent));
        if (ret->self.sid == pid)
                ret->leader = ret->self;
        else if (ret->self.sid > 0 && su_proc_stat_read(proc_root, ret->self.sid, &ret->leader) < 0)
                memset(&ret->leader, 0, sizeof(ret->leader));
        return 0;
}

int su_scope_key(enum su_scope_kind kind, const struct su_peer *p, char *out, size_t size)
{
        int n;
        if (p->proc_err < 0 && kind != SU_SCOPE_KEY_USER)
                return -ESRCH;
        const struct su_proc_stat *s = &p->self;
        switch (kind) {
        case SU_SCOPE_KEY_TTY:
                if (s->tty_nr != 0 && s->sid > 0) {
                        if (p->leader.pid != s->sid)
                                return -ESRCH; /* a session whose leader is gone */
                        n = snprintf(out, size, "tty:%llu:sid=%d@%llu", s->tty_nr, (int)s->sid,
                                     p->leader.starttime);
                } else if (s->ppid > 0 && p->parent.pid == s->ppid) {
                        n = snprintf(out, size, "ppid:%d@%llu", (int)s->ppid, p->parent.starttime);
                } else {
                        return -ESRCH;
                }
                break;
        case SU_SCOPE_KEY_SESSION:
                if (s->sid <= 0 || p->leader.pid != s->sid)
                        return -ESRCH;
                n = snprintf(out, size, "session:%d@%llu", (int)s->sid, p->leader.starttime);
                break;
        case SU_SCOPE_KEY_USER:
                n = snprintf(out, size, "user");
                break;
        default:
                return -EINVAL;
        }
        return n < 0 || (size_t)n >= size ? -ENOBUFS : 0;
}

const char *su_peer_tty_name(const struct su_peer *p, char *buf, size_t size)
{
        unsigned long long tty_nr = p->self.tty_nr;
        unsigned major = (unsigned)((tty_nr >> 8) & 0xfff);
        unsigned minor = (unsigned)((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
        if (p->proc_err < 0 || tty_nr == 0)
                return NULL;
        if (major == 136)
                snprintf(buf, size, "pts/%u", minor);
        else if (major > 136 && major <= 143 && minor < 256)
                snprintf(buf, size, "pts/%u", (major - 136) * 256 + minor);
        else if (major == 4 && minor >= 1 && minor < 64)
                snprintf(buf, size, "tty%u", minor);
        else
                return NULL;
        return buf;
}
