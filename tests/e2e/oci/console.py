#!/usr/bin/env python3
"""console.py SOCK OUT: the --console-socket end of a runtime, as containerd's
shim and conmon have it: listens on SOCK, takes the terminal's master fd sent
with SCM_RIGHTS, and copies what the container writes on it to OUT until the
terminal closes."""
import array
import os
import socket
import sys

path, out = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
s.settimeout(60)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
if not fds:
    sys.exit("no fd received")
with open(out + ".name", "w") as f:
    f.write(msg.decode())
master = fds[0]
with open(out, "wb") as f:
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:
            break  # EIO: the last holder of the terminal closed it
        if not b:
            break
        f.write(b)
        f.flush()
