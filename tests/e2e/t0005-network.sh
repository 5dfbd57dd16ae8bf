#!/usr/bin/env bash
# t0005-network: daemon-assigned addresses and published ports, end to end.
# Everything runs inside a network namespace this test creates: the daemon
# (and so its bridge, taps and port listeners) and every client.  No traffic
# leaves loopback and that namespace.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "needs iproute2"
[ -d "$ROOT/examples/http-c" ] || skip "examples/http-c is missing"
NS=unik-e2e-$$
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
get() { in_ns curl -s -m 10 "$@"; }

# the daemon lives in the namespace; the CLI reaches it through its socket
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config /dev/null \
	--stop-timeout 2 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
check "daemon runs with a bridge" contains "$(cat "$T/unikd.log")" "network: bridge"
check "the bridge exists in the namespace" bash -c "ip -n $NS link show unik0 >/dev/null"

out=$(unik build -t http "$ROOT/examples/http-c" 2>&1)
check "http-c builds" contains "$out" "Successfully built"
# a program without sockets gets no network stack and no address (t0042): it
# prints exactly its own lines
unik build -t hello "$ROOT/examples/hello-c" >/dev/null 2>&1
out=$(unik run hello a 2>&1)
check "hello-c on the bridge: only the program's lines" eq "$out" $'hello from unik\narg[1]=a'
# serve PROVIDER: the whole published-port / address story on one provider
serve() {
	local PROVIDER=$1 P=$1 id addr addr2 ok n out holder
	id=$(unik run -d --provider "$PROVIDER" --name "web-$P" -p 8080:8080 -e GREETING=hello http)
	check "$P: run -d -p works" eq "${#id}" 64
	addr=$(unik ps --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="web-"+sys.argv[1]][0]["address"] or "")' "$P")
	check "$P: the instance has an address" contains "$addr" "10.87.0."
	check "$P: ps shows the address" contains "$(unik ps)" "$addr"
	ok=0
	for _ in $(seq 1 100); do get -o /dev/null http://127.0.0.1:8080/ && { ok=1; break; }; sleep 0.2; done
	check "$P: GET / through the published port" eq "$ok" 1
	check "$P: GET /env/GREETING through the published port" eq "$(get http://127.0.0.1:8080/env/GREETING)" hello
	check "$P: GET / through the instance's own address" bash -c "ip netns exec $NS curl -sf -m 10 -o /dev/null http://$addr:8080/"

	n=0
	for i in $(seq 1 200); do get -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/ | grep -q 200 && n=$((n + 1)); done
	check "$P: 200 sequential requests succeed" eq "$n" 200
	n=$(for i in $(seq 1 50); do get -o /dev/null -w '%{http_code}\n' http://127.0.0.1:8080/ & done | grep -c 200; wait)
	check "$P: 50 concurrent requests succeed" eq "$n" 50

	# a second instance talks to the first one by its address
	mkdir -p "$T/fetch"
	cat >"$T/fetch/fetch.c" <<'C'
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(8080)};
	const char req[] = "GET /env/GREETING HTTP/1.0\r\n\r\n";
	char buf[4096];
	ssize_t n, total = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (argc < 2 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	for (int i = 0; i < 50 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		close(fd);
		usleep(100000);
		fd = socket(AF_INET, SOCK_STREAM, 0);
	}
	if (write(fd, req, sizeof(req) - 1) < 0)
		return 3;
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	char *body = strstr(buf, "\r\n\r\n");
	printf("%s\n", body ? body + 4 : "no body");
	return 0;
}
C
	unik build -t fetch "$T/fetch" >/dev/null 2>&1
	out=$(unik run --provider "$PROVIDER" fetch "$addr" 2>&1)
	check "$P: one instance talks to another" contains "$out" "hello"

	# a taken host port is refused before anything starts; a bad -p is a usage error
	in_ns python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",9090)); s.listen(); time.sleep(30)' &
	holder=$!
	# until the holder listens (python starts slowly on a loaded machine)
	for _ in $(seq 100); do
		in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/9090' 2>/dev/null && break
		sleep 0.1
	done
	out=$(unik run -d --provider "$PROVIDER" --name "taken-$P" -p 9090:8080 http 2>&1)
	check "$P: a taken port is refused" contains "$out" "already in use"
	check "$P: and nothing runs" eq "$(unik ps | grep -c "taken-$P")" 0
	check "$P: and the refused run left no instance (unik ps -a)" eq "$(unik ps -a | grep -c "taken-$P")" 0
	out=$(unik run --rm --provider "$PROVIDER" --name "taken-rm-$P" -p 9090:8080 http 2>&1)
	check "$P: nor does an attached one" eq "$(unik ps -a | grep -c "taken-rm-$P")" 0
	kill $holder 2>/dev/null
	out=$(unik run -d -p 80:notaport http 2>&1)
	check "$P: an invalid -p is refused" contains "$out" "port"

	unik stop "web-$P" >/dev/null
	check "$P: stop releases the address" eq "$(unik ps -a --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="web-"+sys.argv[1]][0]["address"])' "$P")" None
	check "$P: stop releases the port" bash -c "ip netns exec $NS python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",8080))'"
	check "$P: stop removes the tap" eq "$(ip -n "$NS" -o link show | grep -c "uk${id:0:12}")" 0
	unik run -d --provider "$PROVIDER" --name "web2-$P" -p 8080:8080 http >/dev/null
	addr2=$(unik ps --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="web2-"+sys.argv[1]][0]["address"] or "")' "$P")
	check "$P: a freed address is reused" eq "$addr2" "$addr"
	unik rm -f "web2-$P" >/dev/null
}

serve qemu
[ -c /dev/kvm ] && serve hvt

# the relay listens only once the guest's port accepts: a connection before
# is refused (as the guest would refuse it), so readiness probes wait
mkdir -p "$T/late"
cat >"$T/late/late.c" <<'C'
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(8080) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);
	puts("late: waiting");
	fflush(stdout);
	sleep(4);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(s, (struct sockaddr *)&sa, sizeof(sa));
	listen(s, 16);
	puts("late: listening");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		write(c, "ready\n", 6);
		close(c);
	}
}
C
unik build -t late "$T/late" >/dev/null 2>&1
unik run -d --provider spt --name late -p 8084:8080 late >/dev/null
for _ in $(seq 1 100); do unik logs late 2>/dev/null | grep -q "late: waiting" && break; sleep 0.1; done
early=$(in_ns python3 -c '
import socket
s = socket.socket(); s.settimeout(5)
try:
    s.connect(("127.0.0.1", 8084)); print("accepted")
except ConnectionRefusedError:
    print("refused")
')
if unik logs late | grep -q "late: listening"; then
	skip_case "the relay before the guest listens: the guest was up before the first connect"
else
	check "a published port refuses connections until the guest listens" eq "$early" refused
fi
ok=0
for _ in $(seq 1 100); do [ "$(in_ns python3 -c 'import socket; s=socket.create_connection(("127.0.0.1",8084),5); print(s.recv(16).decode().strip())' 2>/dev/null)" = ready ] && { ok=1; break; }; sleep 0.2; done
check "and relays once it does" eq "$ok" 1
unik rm -f late >/dev/null

check "the daemon still serves" daemon_alive

# without a bridge (a non-root host): QEMU user networking, -p through hostfwd
stop_daemon
printf '[network]\nmode = user\n' >"$T/user.conf"
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config "$T/user.conf" \
	--stop-timeout 2 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
unik run -d --provider qemu --name user-web -p 8082:8080 -e GREETING=slirp http >/dev/null
ok=0
for _ in $(seq 1 100); do get -o /dev/null http://127.0.0.1:8082/ && { ok=1; break; }; sleep 0.2; done
check "user networking: -p works through hostfwd" eq "$ok" 1
check "user networking: the program answers" eq "$(get http://127.0.0.1:8082/env/GREETING)" slirp
out=$(unik run -d --provider spt -p 8083:8080 http 2>&1)
check "user networking: providers without it refuse -p clearly" contains "$out" "no network support"
unik rm -f user-web >/dev/null
check "user networking: rm frees the port" bash -c "ip netns exec $NS python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",8082))'"
finish
