#!/usr/bin/env python3
"""oci_cut_proxy.py - a TCP proxy on 127.0.0.1 that cuts one connection.

   oci_cut_proxy.py LISTEN-PORT UPSTREAM-PORT CUT-AT COUNTS-FILE [MODE]

Forwards every connection to 127.0.0.1:UPSTREAM-PORT (TLS passes through
untouched).  MODE "bytes" (the default): once the bytes sent by clients,
over all connections, reach CUT-AT, it forwards exactly CUT-AT of them and
then closes that connection (both sides) in the middle of whatever it
carried.  MODE "patch" (plain HTTP): the first PATCH request that starts
after CUT-AT client bytes is not forwarded; its connection is closed.
MODE "down": the same as "bytes" for the bytes the upstream sends (a pull's
responses): once they reach CUT-AT, exactly CUT-AT are forwarded and that
connection is closed.  Either cut happens once.  In "patch" mode the counts are of the request
bodies (Content-Length, or everything after the headers when chunked)
rather than all bytes, so requests' headers (a Bearer token each) do not
blur them.
COUNTS-FILE is rewritten as "cut=0|1 before=N after=M" after each read:
client bytes forwarded before the cut and after it.  Serves until killed."""
import os, socket, sys, threading

port, up, cut_at, counts = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
mode = sys.argv[5] if len(sys.argv) > 5 else "bytes"
lock = threading.Lock()
state = {"cut": 0, "before": 0, "after": 0}


def save():
    tmp = counts + ".tmp"
    with open(tmp, "w") as f:
        f.write("cut=%d before=%d after=%d\n" % (state["cut"], state["before"], state["after"]))
    os.replace(tmp, counts)


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def count_bytes(b):
    """Counts b (under the lock, no cut yet): (what to forward, cut now)."""
    if state["before"] + len(b) >= cut_at:
        b = b[: cut_at - state["before"]]
        state["before"] = cut_at
        state["cut"] = 1
        return b, True
    state["before"] += len(b)
    return b, False


def upstream_to_client(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            cut = False
            if mode == "down":
                with lock:
                    if state["cut"]:
                        state["after"] += len(b)
                    else:
                        b, cut = count_bytes(b)
                    save()
            if b:
                dst.sendall(b)
            if cut:
                break
    except OSError:
        pass
    close(src, dst)


class Bodies:
    """Splits a connection's HTTP/1.1 requests into headers and bodies."""

    def __init__(self):
        self.head, self.left = b"", 0  # left: body bytes still to come (-1: to the end)

    def body_bytes(self, b):
        n = 0
        while b:
            if self.left:
                k = len(b) if self.left < 0 else min(self.left, len(b))
                n += k
                b = b[k:]
                if self.left > 0:
                    self.left -= k
                continue
            self.head += b
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return n
            head, b = self.head[:end].lower(), self.head[end + 4:]
            self.head = b""
            for line in head.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    self.left = int(line.split(b":")[1])
                if line.startswith(b"transfer-encoding:") and b"chunked" in line:
                    self.left = -1
        return n


def client_to_upstream(cli, srv):
    bodies = Bodies()
    try:
        while True:
            b = cli.recv(65536)
            if not b:
                break
            cut = False
            n = len(b) if mode == "bytes" else bodies.body_bytes(b)
            if mode == "down":
                srv.sendall(b)
                continue
            with lock:
                if state["cut"]:
                    state["after"] += n
                elif mode == "patch":
                    if state["before"] >= cut_at and b.startswith(b"PATCH "):
                        state["cut"] = 1
                        cut = True
                        b = b""
                    else:
                        state["before"] += n
                else:
                    b, cut = count_bytes(b)
                save()
            if b:
                srv.sendall(b)
            if cut:
                break
    except OSError:
        pass
    close(cli, srv)


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    with lock:
        save()
    while True:
        cli, _ = ls.accept()
        try:
            srv = socket.create_connection(("127.0.0.1", up))
        except OSError:
            cli.close()
            continue
        threading.Thread(target=client_to_upstream, args=(cli, srv), daemon=True).start()
        threading.Thread(target=upstream_to_client, args=(srv, cli), daemon=True).start()


main()
