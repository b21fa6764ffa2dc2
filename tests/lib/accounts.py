#!/usr/bin/env python3
"""Test accounts that exist only inside the caller's private mount namespace.

A test that needs users of its own (alice, adv00, ...) must not depend on the host's
accounts: the host may have an alice of its own, with other groups, or use the uid a test
would pick.  build() makes copies of /etc/passwd, /etc/group, /etc/shadow and /etc/gshadow in
which

  - every entry named like a test user or a test group is replaced by the test's own, and the
    test users' names are taken out of the other groups' member lists (a host alice in group
    sudo does not make the test's alice a member of it);
  - the test accounts get ids no entry of the original files uses (the replaced ones
    included, so a host account's files never belong to a test user);

and a copy of /etc/nsswitch.conf whose passwd, group, shadow and gshadow lines say `files`
only, so that no other source (systemd's userdb, sssd, LDAP) answers for a name first.
install() writes them and bind-mounts them over the files in /etc (and an empty tmpfs over
nscd's socket directory when there is one).  Call it inside the private mount namespace
that also runs everything that looks the users up (stepupd, sudo, sshd, su): NSS then
answers the same everywhere, and nothing of it is visible outside or survives the namespace.

As a program (for shell tests), inside a private mount namespace:

    accounts.py DIR [--first-id N] [--group NAME]... [--home DIR] [--shell PATH]
                [--gecos TEXT] [--user NAME[:GROUP[,GROUP...]]]...

writes the copies into DIR, bind-mounts them, and prints `NAME UID GID` for every user and
`NAME - GID` for every group.  A user's first group is its primary group (default: a personal
group of its own name); every group named must be given with --group (or be a personal one).
"""

import os
import re
import subprocess
import sys

FILES = ("passwd", "group", "shadow", "gshadow")
NSS_DBS = ("passwd", "group", "shadow", "gshadow")
NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


def _lines(path):
    try:
        with open(path) as f:
            return [line for line in f.read().split("\n") if line]
    except FileNotFoundError:
        return None


def _ids(lines):
    out = set()
    for line in lines or []:
        f = line.split(":")
        if len(f) > 2 and f[2].isdigit():
            out.add(int(f[2]))
    return out


def build(users, groups=(), first_id=64100, root_hash=None, src="/etc"):
    """The copies, as {file name: text}, and the ids given, as {name: (uid, gid)} for users
    and {name: (None, gid)} for groups.

    users: dicts with "name" and optionally "group" (the primary group; default a personal
    group of the user's name, created), "groups" (supplementary groups), "home", "shell",
    "gecos" and "hash" (the shadow password field, default "!").  groups: the names of the
    other groups to create.  root_hash replaces root's password."""
    unames = [u["name"] for u in users]
    personal = [u["name"] for u in users if not u.get("group")]
    gnames = list(groups) + [g for g in personal if g not in groups]
    for n in unames + gnames:
        if not NAME.match(n):
            raise ValueError(f"not a plain account name: {n!r}")
    for u in users:
        for g in [u.get("group", u["name"])] + list(u.get("groups", [])):
            if g not in gnames:
                raise ValueError(f"user {u['name']}: group {g} is not created")
    if len(set(unames)) != len(unames) or len(set(gnames)) != len(gnames):
        raise ValueError("a name is given twice")

    orig = {name: _lines(os.path.join(src, name)) for name in FILES}
    if orig["passwd"] is None or orig["group"] is None:
        raise FileNotFoundError(f"{src}/passwd or {src}/group is missing")
    taken = _ids(orig["passwd"]) | _ids(orig["group"])
    nxt = [first_id]

    def fresh():
        while nxt[0] in taken:
            nxt[0] += 1
        taken.add(nxt[0])
        return nxt[0]

    gid = {}
    uid = {}
    for u in users:  # a personal group has the user's id as its gid
        uid[u["name"]] = fresh()
        if not u.get("group"):
            gid[u["name"]] = uid[u["name"]]
    for g in gnames:
        if g not in gid:
            gid[g] = fresh()

    def strip(members):
        return ",".join(m for m in members.split(",") if m and m not in unames)

    out = {}
    passwd = [line for line in orig["passwd"] if line.split(":")[0] not in unames]
    for u in users:
        n = u["name"]
        primary = u.get("group", n)
        passwd.append(f"{n}:x:{uid[n]}:{gid[primary]}:{u.get('gecos', 'stepup test ' + n)}:"
                      f"{u.get('home', '/nonexistent')}:{u.get('shell', '/usr/sbin/nologin')}")
    out["passwd"] = passwd

    # the member lists name the supplementary members (the primary group is in passwd)
    members = {g: [u["name"] for u in users if g in u.get("groups", [])] for g in gnames}
    group = []
    for line in orig["group"]:
        f = line.split(":")
        if f[0] in gnames:
            continue
        if len(f) == 4:
            f[3] = strip(f[3])
        group.append(":".join(f))
    for g in gnames:
        group.append(f"{g}:x:{gid[g]}:{','.join(members[g])}")
    out["group"] = group

    if orig["shadow"] is not None:
        shadow = []
        for line in orig["shadow"]:
            f = line.split(":")
            if f[0] in unames:
                continue
            if f[0] == "root" and root_hash is not None:
                f[1] = root_hash
            shadow.append(":".join(f))
        for u in users:
            shadow.append(f"{u['name']}:{u.get('hash', '!')}:19000:0:99999:7:::")
        out["shadow"] = shadow

    if orig["gshadow"] is not None:
        gshadow = []
        for line in orig["gshadow"]:
            f = line.split(":")
            if f[0] in gnames:
                continue
            if len(f) == 4:
                f[2], f[3] = strip(f[2]), strip(f[3])
            gshadow.append(":".join(f))
        for g in gnames:
            gshadow.append(f"{g}:!::{','.join(members[g])}")
        out["gshadow"] = gshadow

    texts = {name: "\n".join(lines) + "\n" for name, lines in out.items()}
    texts["nsswitch.conf"] = _nsswitch(_lines(os.path.join(src, "nsswitch.conf")) or [])
    ids = {n: (uid[n], gid[u.get("group", n)]) for n, u in zip(unames, users)}
    ids.update({g: (None, gid[g]) for g in gnames if g not in ids})
    return texts, ids


def _nsswitch(lines):
    """nsswitch.conf with the account databases answered by the files only."""
    out, seen = [], set()
    for line in lines:
        m = re.match(r"^\s*([a-z]+)\s*:", line)
        if m and m.group(1) in NSS_DBS:
            if m.group(1) not in seen:
                out.append(f"{m.group(1)}: files")
                seen.add(m.group(1))
            continue
        out.append(line)
    out += [f"{db}: files" for db in NSS_DBS if db not in seen]
    return "\n".join(out) + "\n"


def in_private_namespace():
    """True when an ancestor of this process is in another mount namespace (the one we were
    unshared from), or we are pid 1 of a pid namespace of our own (unshare --fork
    --mount-proc).  /proc/1 itself may be unreadable even to root (a VM's init)."""
    if os.getpid() == 1:
        return True
    me = os.readlink("/proc/self/ns/mnt")
    pid = os.getppid()
    while pid > 0:
        try:
            if os.readlink(f"/proc/{pid}/ns/mnt") != me:
                return True
            with open(f"/proc/{pid}/status") as f:
                pid = next(int(line.split()[1]) for line in f if line.startswith("PPid:"))
        except (OSError, StopIteration, ValueError):
            return False
    return False


def install(dest, texts, etc="/etc"):
    """Writes the copies into dest (owner and mode of the originals) and bind-mounts each
    over its file in etc.  Returns the mount points, last to undo first."""
    if not in_private_namespace():
        raise RuntimeError("accounts.install: not in a private mount namespace")
    mounts = []
    for name, text in texts.items():
        target = os.path.join(etc, name)
        if not os.path.isfile(target):
            continue
        st = os.stat(target)
        path = os.path.join(dest, name)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, st.st_uid, st.st_gid)
        os.chmod(path, st.st_mode & 0o7777)
        subprocess.run(["mount", "--bind", path, target], check=True)
        mounts.append(target)
    # glibc asks a running nscd before any nsswitch source: hide its socket here
    for d in ("/run/nscd", "/var/run/nscd"):
        if os.path.isdir(d) and not os.path.islink(d) and d not in mounts:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d], check=True)
            mounts.append(d)
    return mounts


def _main(argv):
    import argparse
    p = argparse.ArgumentParser(description="test accounts in a private mount namespace")
    p.add_argument("dir")
    p.add_argument("--first-id", type=int, default=64100)
    p.add_argument("--group", action="append", default=[])
    p.add_argument("--user", action="append", default=[])
    p.add_argument("--home", default="/nonexistent")
    p.add_argument("--shell", default="/usr/sbin/nologin")
    p.add_argument("--gecos", default=None)
    a = p.parse_args(argv)
    users = []
    for spec in a.user:
        name, _, gs = spec.partition(":")
        u = {"name": name, "home": a.home, "shell": a.shell}
        if a.gecos is not None:
            u["gecos"] = a.gecos
        if gs:
            u["group"], *u["groups"] = gs.split(",")
        users.append(u)
    texts, ids = build(users, a.group, first_id=a.first_id)
    install(a.dir, texts)
    for n, (u, g) in ids.items():
        print(n, "-" if u is None else u, g)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
