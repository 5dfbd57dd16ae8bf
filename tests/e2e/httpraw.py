#!/usr/bin/env python3
"""httpraw.py - hostile HTTP clients for the end-to-end tests.

  httpraw.py send ADDR REQUEST        sends REQUEST, with backslash escapes
                                      (e.g. 'GET / HTTP/1.1\\r\\n\\r\\n', \\x00)
                                      and prints "<status> <content-type> <body>"
  httpraw.py flood ADDR N [SRC]       opens N connections that each send half a
                                      request head and then nothing; prints
                                      "open K" once they are up, and holds them
                                      until stdin closes; then prints how many
                                      the server had closed ("closed C")
  httpraw.py slow ADDR SECS           sends a request head one byte every 0.5 s;
                                      prints the seconds until the server
                                      closed the connection (or "open" after SECS)

ADDR is HOST:PORT or a unix socket path.  SRC binds the client side (e.g.
127.0.0.2, another loopback address, to be another client).
"""
import socket
import sys
import time


def connect(addr, src=None, timeout=10):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr)
        return s
    host, port = addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, int(port)))
    return s


def read_reply(s):
    """Reads one reply: returns (status, content_type, body bytes)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        return 0, "", buf
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    if "content-length" in headers:
        need = int(headers["content-length"])
        while len(rest) < need:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        body = rest[:need]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = s.recv(65536)
                if not chunk:
                    return status, headers.get("content-type", ""), body
                rest += chunk
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2:]
    else:
        body = rest
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            body += chunk
    return status, headers.get("content-type", ""), body


def cmd_send(addr, request):
    # backslash escapes (\r, \n, \xNN) as in a Python string literal
    data = request.encode("latin-1").decode("unicode_escape").encode("latin-1")
    s = connect(addr)
    try:
        s.sendall(data)
        status, ctype, body = read_reply(s)
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        status, ctype, body = 0, "", b""
    finally:
        s.close()
    print(status, ctype.split(";")[0] or "-", body.decode("utf-8", "backslashreplace"))


def cmd_flood(addr, n, src=None):
    socks = []
    for _ in range(n):
        try:
            s = connect(addr, src)
            s.sendall(b"GET /v1/version HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            break
    print("open", len(socks), flush=True)
    sys.stdin.read()
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    print("closed", closed, flush=True)


def cmd_slow(addr, secs):
    s = connect(addr)
    s.settimeout(0.5)
    start = time.monotonic()
    head = b"GET /v1/version HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
    for i in range(len(head)):
        if time.monotonic() - start > secs:
            print("open")
            return
        try:
            s.send(head[i:i + 1])
            if s.recv(1) == b"":
                break
        except socket.timeout:
            continue
        except OSError:
            break
    print("%.1f" % (time.monotonic() - start))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "send":
        cmd_send(addr, sys.argv[3])
    elif cmd == "flood":
        cmd_flood(addr, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    elif cmd == "slow":
        cmd_slow(addr, float(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
