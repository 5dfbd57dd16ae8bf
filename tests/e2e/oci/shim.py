#!/usr/bin/env python3
"""shim.py RUNTIME ROOT ID BUNDLE OUT STATUS: what containerd's runc shim
does with a runtime, in small: as a child subreaper, `create` (the
container's stdout and stderr to OUT), `start`, then wait for the
container's process (the pid of --pid-file) and write its exit status
(128 + signal when killed) to STATUS."""
import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36

rt, root, cid, bundle, out, status = sys.argv[1:7]
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
pidfile = os.path.join(os.path.dirname(status), cid + ".pid")
with open(out, "wb") as o:
    rc = subprocess.call([rt, "--root", root, "create", "--bundle", bundle,
                          "--pid-file", pidfile, cid], stdout=o, stderr=o,
                         stdin=subprocess.DEVNULL)
if rc != 0:
    open(status, "w").write("create-failed %d\n" % rc)
    sys.exit(1)
pid = int(open(pidfile).read())
if subprocess.call([rt, "--root", root, "start", cid]) != 0:
    open(status, "w").write("start-failed\n")
    sys.exit(1)
while True:
    got, st = os.waitpid(-1, 0)
    if got == pid:
        break
code = os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
open(status + ".tmp", "w").write("%d\n" % code)
os.rename(status + ".tmp", status)
