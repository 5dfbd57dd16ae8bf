#!/usr/bin/env bash
# t0030-summon: instances that boot on their first connection (unik run
# --summon, docs/summon.md) and stop again when idle.  The daemon runs in
# a network namespace this test creates (as t0005): no traffic leaves it.
. "$(dirname "$0")/../lib/e2e.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "needs iproute2"
[ -d "$ROOT/examples/http-c" ] || skip "examples/http-c is missing"
NS=unik-e2e-$$
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
get() { in_ns curl -s -m 20 "$@"; }
lacks() { # lacks HAYSTACK NEEDLE
	[[ $1 != *"$2"* ]] && return 0
	printf '    %q\n    contains %q\n' "$1" "$2"
	return 1
}
state_of() { # the summon state of instance $1
	unik ps -a --json | python3 -c 'import json,sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        print((i.get("summon") or {}).get("state") or i["state"])' "$1"
}
daemon_start() {
	ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config /dev/null \
		--stop-timeout 2 --dns 127.0.0.1:8053 >>"$T/unikd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
}
daemon_start
check "daemon runs with a bridge" contains "$(cat "$T/unikd.log")" "network: bridge"
unik providers 2>/dev/null | grep -qw spt || skip "the spt provider is not usable here"

out=$(unik build -t http "$ROOT/examples/http-c" 2>&1)
check "http-c builds" contains "$out" "Successfully built"

# 1. created, not booted: the port listens in unikd; the first connection boots it
id=$(unik run --summon --provider spt --name web -p 8080:8080 -e GREETING=summoned http)
check "run --summon prints the id" eq "${#id}" 64
check "a summoned instance is summonable" eq "$(state_of web)" summonable
check "ps lists it as summonable (without -a)" contains "$(unik ps)" summonable
check "nothing runs yet" eq "$(unik ps --json | python3 -c 'import json,sys; print([i["pid"] for i in json.load(sys.stdin) if i["name"]=="web"][0])')" None
check "the first connection gets the answer" eq "$(get http://127.0.0.1:8080/env/GREETING)" summoned
check "and the instance runs" eq "$(state_of web)" running
# after the held one, connections are forwarded by the kernel (summon_nat.c:
# the rule is added while the first is relayed), and a guest on the bridge
# cannot use route_localnet to reach 127.0.0.1
rules=
if in_ns iptables -w -t nat -S UNIK-SUMMON >/dev/null 2>&1; then
	for _ in $(seq 1 50); do
		rules=$(in_ns iptables -w -t nat -S UNIK-SUMMON)
		[[ $rules == *"--dport 8080 "* ]] && break
		sleep 0.1
	done
fi
check "later connections go straight through" eq "$(get http://127.0.0.1:8080/env/GREETING)" summoned
if [ -n "$rules" ]; then
	check "a DNAT rule for the port" contains "$rules" "--dport 8080 -j DNAT --to-destination"
	dnat=$(in_ns iptables -w -t nat -L UNIK-SUMMON -n -v -x | awk '/dpt:8080/ { print $1 }')
	check "the second connection went through it" test "${dnat:-0}" -ge 1
	check "the bridge's loopback guard" contains "$(in_ns iptables -w -t raw -S UNIK-SUMMON)" \
		"-d 127.0.0.0/8 -i unik0 -j DROP"
	kfwd=1
else
	echo "# no iptables nat table here: every connection is relayed" >&2
	kfwd=0
fi
ev=$(curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))")
check "a summon event" contains "$ev" '"action":"summon"'
# the same port cannot be summoned twice
out=$(unik run --summon --provider spt --name web-dup -p 8080:8080 http 2>&1)
check "a taken port is refused" contains "$out" "already in use"
check "and leaves no instance" eq "$(unik ps -a | grep -c web-dup)" 0
out=$(unik run --summon --provider spt http 2>&1)
check "--summon without -p is a usage error" contains "$out" "published port"
out=$(unik run --summon --idle-timeout 5x --provider spt -p 8099:8080 http 2>&1)
check "a bad --idle-timeout is refused" contains "$out" "bad duration"
out=$(api POST /v1/instances -d '{"image":"http","ports":["8098:8080"],"summon":{"idle_timeout":-1}}')
check "the API refuses a negative idle_timeout" json_error_is "$out" 400 invalid_argument

# 2. stop: the listener stays; the next connection summons it again
unik stop web >/dev/null
check "stopped, it is idle" eq "$(state_of web)" idle
[ "$kfwd" = 1 ] && check "the stop removes its DNAT rule" lacks \
	"$(in_ns iptables -w -t nat -S UNIK-SUMMON)" "--dport 8080 "
# its tap stays for the next run (creating one is most of a start), until rm
check "its tap is kept while it is idle" in_ns ip link show "uk${id:0:12}"
check "a connection after stop summons it again" eq "$(get http://127.0.0.1:8080/env/GREETING)" summoned

# 3. 100 concurrent first connections, all answered by one boot
unik rm -f web >/dev/null
check "rm deletes its tap" eq "$(in_ns ip -o link show | grep -c "uk${id:0:12}")" 0
check "rm closes the listener" bash -c "ip netns exec $NS python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",8080))'"
unik run --summon --provider spt --name burst -p 8081:8080 -e GREETING=burst http >/dev/null
mkdir -p "$T/burst"
pids=()
for i in $(seq 1 100); do
	{ get -o "$T/burst/$i" http://127.0.0.1:8081/env/GREETING; echo $? >"$T/burst/$i.rc"; } &
	pids+=($!)
done
wait "${pids[@]}"
n=$(grep -lx burst "$T"/burst/[0-9] "$T"/burst/[0-9][0-9] "$T"/burst/100 2>/dev/null | wc -l)
# curl's exit codes of the 100 (once seen with 99 answered in CI: which code?)
echo "# burst: curl exit codes (count code): $(cat "$T"/burst/*.rc | sort | uniq -c | tr '\n' ' ')" >&2
check "100 concurrent first connections are all answered" eq "$n" 100
starts=$(curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=name=burst&filter=event=start" | grep -c '"action":"start"')
check "by one boot" eq "$starts" 1
unik rm -f burst >/dev/null

# 3b. a held connection that sends its request only after the port's DNAT
# rule is in still goes through unikd (its conntrack entry says so), not
# to the guest as a new connection the guest would reset
if [ "$kfwd" = 1 ]; then
	unik run --summon --provider spt --name late -p 8082:8080 -e GREETING=late http >/dev/null
	out=$(in_ns timeout 30 python3 -c 'import socket, subprocess, time
c = socket.create_connection(("127.0.0.1", 8082), timeout=20)
for _ in range(200):
    r = subprocess.run(["iptables", "-w", "-t", "nat", "-S", "UNIK-SUMMON"], capture_output=True, text=True).stdout
    if "--dport 8082 " in r:
        break
    time.sleep(0.05)
else:
    print("no DNAT rule")
c.sendall(b"GET /env/GREETING HTTP/1.0\r\n\r\n")
data = b""
try:
    while True:
        b = c.recv(4096)
        if not b:
            break
        data += b
except OSError as e:
    print("error:", e)
print(data.decode(errors="replace").split("\r\n\r\n", 1)[-1])' 2>&1)
	check "a request sent after the DNAT rule came in is answered" eq "$out" late
	unik rm -f late >/dev/null
fi

# 4. idle stop, then summoned again; an open connection keeps it up
unik run --summon --idle-timeout 1s --provider spt --name lazy -p 8082:8080 -e GREETING=lazy http >/dev/null
check "idle: first answer" eq "$(get http://127.0.0.1:8082/env/GREETING)" lazy
# an open connection (curl waits for a body that never comes) counts; with
# kernel forwarding it is one the kernel forwards, counted in conntrack
for _ in $(seq 1 50); do
	[ "$kfwd" = 1 ] || break
	in_ns iptables -w -t nat -S UNIK-SUMMON | grep -q -- '--dport 8082 ' && break
	sleep 0.1
done
in_ns python3 -c '
import socket, time
s = socket.create_connection(("127.0.0.1", 8082), 5)
time.sleep(2.5)
s.sendall(b"GET /env/GREETING HTTP/1.0\r\n\r\n")
print("open-ok" if b"lazy" in s.recv(4096) else "open-bad")' >"$T/open.out" 2>&1
check "an open connection is never stopped under" contains "$(cat "$T/open.out")" open-ok
st=
for _ in $(seq 1 50); do st=$(state_of lazy); [ "$st" = idle ] && break; sleep 0.1; done
check "stopped after the idle timeout" eq "$st" idle
ev=$(curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=name=lazy")
check "an idle-stop event" contains "$ev" '"action":"idle-stop"'
check "summoned again after the idle stop" eq "$(get http://127.0.0.1:8082/env/GREETING)" lazy
check "running again" eq "$(state_of lazy)" running
if [ "$kfwd" = 1 ]; then
	for _ in $(seq 1 50); do
		in_ns iptables -w -t nat -S UNIK-SUMMON | grep -q -- '--dport 8082 ' && break
		sleep 0.1
	done
	check "forwarded by the kernel again" eq \
		"$(in_ns iptables -w -t nat -S UNIK-SUMMON | grep -c -- '--dport 8082 ')" 1
fi

# 5. a daemon restart: reconcile listens again
stop_daemon
daemon_start
check "after a daemon restart it is still listed" contains "$(unik ps -a)" lazy
for _ in $(seq 1 50); do [ "$(state_of lazy)" = idle ] && break; sleep 0.1; done
check "idle-stopped by the new daemon" eq "$(state_of lazy)" idle
check "and summoned by it" eq "$(get http://127.0.0.1:8082/env/GREETING)" lazy
unik rm -f lazy >/dev/null

# 6. a guest that never listens: the held client is closed after the wait,
# and the instance's log says why
mkdir -p "$T/mute"
cat >"$T/mute/mute.c" <<'C'
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0); /* a network stack, no TCP listener */

	printf("mute: up (%d)\n", s >= 0);
	fflush(stdout);
	for (;;)
		sleep(60);
}
C
unik build -t mute "$T/mute" >/dev/null 2>&1
unik run --summon --provider spt --name mute -p 8083:8080 mute >/dev/null
out=$(in_ns python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 8083), 5)
s.settimeout(30)
s.sendall(b"hello\r\n")
try:
    print("closed" if s.recv(100) == b"" else "data")
except ConnectionResetError:
    print("reset")
except socket.timeout:
    print("hung")')
check "a never-listening guest: the client's connection is closed" eq "$out" closed
check "and unik logs says the guest never listened" contains "$(unik logs mute 2>&1)" "never listened on port 8080"
unik rm -f mute >/dev/null

# 7. a pool (--max 2): concurrent slow connections spread over both members,
# both stop when idle; a member goes only with its pool
unik run --summon --max 2 --idle-timeout 1s --provider spt --name pool -p 8086:8080 -e GREETING=pool http >/dev/null
check "ps lists the pool's second member" contains "$(unik ps)" "pool of"
check "its record names its pool" eq "$(unik ps --json | python3 -c 'import json,sys
v = {i["name"]: i for i in json.load(sys.stdin)}
print(v["pool-2"]["summon"].get("pool") == v["pool"]["id"])')" True
out=$(unik rm -f pool-2 2>&1)
check "a member alone is not removed" contains "$out" "member of the summon pool"
out=$(api POST /v1/instances -d '{"image":"http","ports":["8097:8080"],"summon":{"max":2,"pool":"ab"}}')
check "the API refuses a request's summon.pool" json_error_is "$out" 400 invalid_argument
# 8 connections held open at once (a member is busy at 4): both members boot
in_ns python3 -c '
import socket, time
ss = [socket.create_connection(("127.0.0.1", 8086), 10) for _ in range(8)]
time.sleep(1)
for s in ss:
    s.sendall(b"GET /env/GREETING HTTP/1.0\r\n\r\n")
ok = 0
for s in ss:
    s.settimeout(30)
    data = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    ok += data.endswith(b"pool")
print("answered", ok)' >"$T/pool.out" 2>&1
check "the 8 held connections are all answered" contains "$(cat "$T/pool.out")" "answered 8"
summons() { # the summon events of instance $1
	curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=event=summon" |
		python3 -c 'import json,sys
n = 0
for l in sys.stdin:
    l = l.strip()
    if l:
        e = json.loads(l)
        n += e.get("name") == sys.argv[1]
print(n)' "$1"
}
check "the first member was summoned" eq "$(summons pool)" 1
check "and the second one too" eq "$(summons pool-2)" 1
for _ in $(seq 1 60); do
	[ "$(state_of pool)" = idle ] && [ "$(state_of pool-2)" = idle ] && break
	sleep 0.1
done
check "both members stop when idle" eq "$(state_of pool) $(state_of pool-2)" "idle idle"
unik rm -f pool >/dev/null
check "rm of the pool removes its members" eq "$(unik ps -a | grep -c pool)" 0

# 8. the DNS responder (unikd --dns): NAME.unik. of a summoned instance is
# answered with its published address and boots it; other names NXDOMAIN
cat >"$T/dnsq.py" <<'PY'
import socket, struct, sys
def query(name, qtype=1, raw=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    if raw is None:
        q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
        for l in name.rstrip(".").split("."):
            q += bytes([len(l)]) + l.encode()
        raw = q + b"\0" + struct.pack(">HH", qtype, 1)
    s.sendto(raw, ("127.0.0.1", 8053))
    try:
        r = s.recv(512)
    except socket.timeout:
        return "no-reply"
    rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
    out = "id-ok" if rid == struct.unpack(">H", raw[:2])[0] else "id-bad"
    out += " rcode=%d an=%d" % (flags & 15, an)
    if an:
        out += " a=" + socket.inet_ntoa(r[-4:])
    return out
mode = sys.argv[1]
if mode == "garbage":
    # a compression loop, a pointer past the end, a short header, a response
    loop = struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + b"\xc0\x0c" + b"\0\1\0\1"
    past = struct.pack(">HHHHHH", 8, 0, 1, 0, 0, 0) + b"\xc0\xff"
    print(query(None, raw=loop), query(None, raw=past), query(None, raw=b"\1\2\3"),
          query(None, raw=struct.pack(">HHHHHH", 9, 0x8000, 1, 0, 0, 0)))
else:
    print(query(mode, int(sys.argv[2]) if len(sys.argv) > 2 else 1))
PY
dnsq() { in_ns python3 "$T/dnsq.py" "$@"; }
unik run --summon --provider spt --name dnsweb -p 8087:8080 -e GREETING=dns http >/dev/null
check "dns: a summoned instance's name is answered" eq "$(dnsq dnsweb.unik.)" "id-ok rcode=0 an=1 a=127.0.0.1"
st=
for _ in $(seq 1 100); do st=$(state_of dnsweb); [ "$st" = running ] && break; sleep 0.1; done
check "dns: the query boots it (no connection yet)" eq "$st" running
check "dns: then the connection is answered" eq "$(get http://127.0.0.1:8087/env/GREETING)" dns
check "dns: names are not case-sensitive" eq "$(dnsq DNSWeb.UNIK)" "id-ok rcode=0 an=1 a=127.0.0.1"
check "dns: another type of the name: no record, no error" eq "$(dnsq dnsweb.unik 28)" "id-ok rcode=0 an=0"
check "dns: an unknown instance is NXDOMAIN" eq "$(dnsq nosuch.unik)" "id-ok rcode=3 an=0"
check "dns: a name outside unik. is NXDOMAIN" eq "$(dnsq example.com)" "id-ok rcode=3 an=0"
check "dns: bad queries: FORMERR or nothing" eq "$(dnsq garbage)" "id-ok rcode=1 an=0 id-ok rcode=1 an=0 no-reply no-reply"
check "dns: still answering after them" eq "$(dnsq dnsweb.unik)" "id-ok rcode=0 an=1 a=127.0.0.1"
unik rm -f dnsweb >/dev/null
check "dns: a removed instance is NXDOMAIN" eq "$(dnsq dnsweb.unik)" "id-ok rcode=3 an=0"

# 9. qemu and hvt: the same daemon path, one case each
if command -v qemu-system-x86_64 >/dev/null && unik providers 2>/dev/null | grep -qw qemu; then
	unik run --summon --provider qemu --name web-qemu -p 8084:8080 -e GREETING=qemu http >/dev/null
	check "qemu: the first connection gets the answer" eq "$(get -m 90 http://127.0.0.1:8084/env/GREETING)" qemu
	check "qemu: and it runs" eq "$(state_of web-qemu)" running
	unik rm -f web-qemu >/dev/null
else
	skip_case "qemu: no qemu-system-x86_64 or no qemu provider"
fi
if [ -c /dev/kvm ] && unik providers 2>/dev/null | grep -qw hvt; then
	unik run --summon --provider hvt --name web-hvt -p 8085:8080 -e GREETING=hvt http >/dev/null
	check "hvt: the first connection gets the answer" eq "$(get -m 60 http://127.0.0.1:8085/env/GREETING)" hvt
	unik rm -f web-hvt >/dev/null
else
	skip_case "hvt: no /dev/kvm or no hvt provider"
fi

check "the daemon still serves" daemon_alive
finish
