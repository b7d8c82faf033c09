#!/usr/bin/env python3
"""Run a command in a new user namespace that maps only root and the given uids/gids to themselves, as
systemd's PrivateUsers=yes does for a service (root and the unit's user and group; everyone else is nobody).

Usage: userns.py UID GID -- COMMAND [ARG...]

Run as root: the parent writes the child's uid_map and gid_map, which root may do for any ids. Exits with the
command's status; SIGTERM and SIGINT are passed on to it.
"""
import ctypes
import os
import signal
import sys

CLONE_NEWUSER = 0x10000000


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    uid, gid, command = int(sys.argv[1]), int(sys.argv[2]), sys.argv[4:]
    libc = ctypes.CDLL(None, use_errno=True)
    ready_r, ready_w = os.pipe()
    mapped_r, mapped_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.close(mapped_w)
        if libc.unshare(CLONE_NEWUSER) != 0:
            os.write(2, b"userns.py: unshare(CLONE_NEWUSER): " + os.strerror(ctypes.get_errno()).encode() + b"\n")
            os._exit(125)
        os.write(ready_w, b"u")
        os.read(mapped_r, 1)
        os.execvp(command[0], command)
    os.close(ready_w)
    os.close(mapped_r)
    if os.read(ready_r, 1) != b"u":
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    ids = lambda own: "0 0 1\n" + (f"{own} {own} 1\n" if own != 0 else "")
    with open(f"/proc/{pid}/uid_map", "w") as f:
        f.write(ids(uid))
    with open(f"/proc/{pid}/gid_map", "w") as f:
        f.write(ids(gid))
    os.write(mapped_w, b"m")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: os.kill(pid, s))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
