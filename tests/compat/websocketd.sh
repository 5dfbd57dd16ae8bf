# websocketd: the Go HTTP and WebSocket server (Debian's websocketd, built by
# the go compiler from its unmodified source, vendor/ from Debian's
# golang-github-gorilla-websocket-dev: compat/go-vendor) with
# --staticdir=/www (compat/websocketd/files/www) and --dir=/ws (a script
# per WebSocket URL); curl and python3 in the namespace: a page, a 60 KiB
# file, a 404, a WebSocket handshake for a script it does not have (404),
# then one for /count.sh: the handshake (101 and the Sec-WebSocket-Accept
# of RFC 6455, computed here), after which websocketd would start the
# script, which needs fork and exec: the unikernel runs one program, so the
# launch fails (ENOSYS), the connection is closed and the server logs it and
# keeps serving; then `unik stop`: SIGTERM, which websocketd does not handle:
# the Go runtime ends of it (status 143), as on Linux.
# Only in `make compat`: its build (net/http compiled in a fresh Go cache)
# takes from 40 s to over 3 minutes on a loaded machine.
SPEED=slow
# ws_handshake ADDR PATH: "STATUS ACCEPT_OK" for a WebSocket upgrade of PATH
ws_handshake() {
	in_ns python3 -c 'import base64,hashlib,os,socket,sys
key = base64.b64encode(os.urandom(16)).decode()
s = socket.create_connection((sys.argv[1], 80), timeout=20)
s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % (sys.argv[2], sys.argv[1], key)).encode())
data = b""
while b"\r\n\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
head = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
status = head[0].split(" ")[1] if head and " " in head[0] else "none"
want = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                     .encode()).digest()).decode()
got = [h.split(":", 1)[1].strip() for h in head[1:] if h.lower().startswith("sec-websocket-accept:")]
print(status, "accept-ok" if got == [want] else "no-accept")' "$1" "$2" 2>&1
}
smoke() { # smoke PROVIDER IMAGE
	local P=$1 name=compat-websocketd-$1 a out rc
	start -- "$name" "$P" "$2" --port=80 --staticdir=/www --dir=/ws >/dev/null
	a=$(addr "$name")
	if [ -z "$a" ] || ! wait_port "$a" 80; then
		not_ok "websocketd on $P: listens on 80"
		logs "$name" | tail -20 | sed 's/^/#   /'
		stopped "$name"
		return
	fi
	local c=(in_ns curl -s --max-time 30)
	check "websocketd on $P: GET / (index.html)" contains "$("${c[@]}" "http://$a/")" \
		"hello from websocketd on unik"
	check "websocketd on $P: GET /sub/numbers.txt (60 KiB)" eq \
		"$("${c[@]}" "http://$a/sub/numbers.txt" | md5sum | cut -d' ' -f1)" \
		"$(md5sum <"$ROOT/compat/websocketd/files/www/sub/numbers.txt" | cut -d' ' -f1)"
	check "websocketd on $P: GET /missing is 404" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' "http://$a/missing")" 404
	check "websocketd on $P: a WebSocket to a script it does not have is 404" eq \
		"$(ws_handshake "$a" /nope.sh)" "404 no-accept"
	check "websocketd on $P: the WebSocket handshake of /count.sh (101, Sec-WebSocket-Accept)" \
		eq "$(ws_handshake "$a" /count.sh)" "101 accept-ok"
	check "websocketd on $P: still serving after the failed launch" contains \
		"$("${c[@]}" "http://$a/")" "hello from websocketd on unik"
	unik stop "$name" >/dev/null 2>&1
	rc=$(exit_code "$name")
	out=$(logs "$name")
	stopped "$name"
	check "websocketd on $P: it logged the static requests" contains "$out" "STATIC"
	check "websocketd on $P: it logged the launch that needs fork and exec (ENOSYS)" contains \
		"$out" "Could not launch process /ws/count.sh  (fork/exec /ws/count.sh: function not implemented)"
	# no SIGTERM handler: Go's runtime dies of the signal, as on Linux
	check "websocketd on $P: SIGTERM ends it (exit status 143: 128 + SIGTERM)" eq "$rc" 143
}
