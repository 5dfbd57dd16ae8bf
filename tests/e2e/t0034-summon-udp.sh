#!/usr/bin/env bash
# t0034-summon-udp: UDP published ports, summoned (unik run --summon -p
# H:G/udp, docs/summon.md) and not: the first datagram boots the instance and
# is answered, later ones go straight through, datagrams keep it from the
# idle stop, the held queue is bounded; on spt, and on hvt and qemu.  The
# daemon runs in a network namespace this test creates (as t0030): no
# traffic leaves it.
. "$(dirname "$0")/../lib/e2e.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "needs iproute2"
NS=unik-e2e-$$
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
state_of() {
	unik ps -a --json | python3 -c 'import json,sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        print((i.get("summon") or {}).get("state") or i["state"])' "$1"
}
wait_state() { # instance $1 reaches state $2 within $3 tenths of a second
	for _ in $(seq 1 "$3"); do [ "$(state_of "$1")" = "$2" ] && break; sleep 0.1; done
	state_of "$1"
}
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config /dev/null \
	--stop-timeout 2 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
check "daemon runs with a bridge" contains "$(cat "$T/unikd.log")" "network: bridge"
unik providers 2>/dev/null | grep -qw spt || skip "the spt provider is not usable here"

cat >"$T/udp.py" <<'PY'
import socket, sys, time
# udp.py PORT MODE ARGS: one datagram and its answer, or a burst
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def answer(msg, wait):
    s.settimeout(wait)
    s.sendto(msg.encode(), ("127.0.0.1", port))
    try:
        return s.recv(65536).decode(errors="replace")
    except socket.timeout:
        return "no-answer"
if mode == "one":
    print(answer(sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 30))
elif mode == "two-senders":
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.settimeout(10)
    s.settimeout(10)
    s.sendto(b"a", ("127.0.0.1", port))
    t.sendto(b"b", ("127.0.0.1", port))
    print(s.recv(100).decode(), t.recv(100).decode())
elif mode == "every":  # a datagram each 0.3 s for N s, answered
    end, ok, n = time.time() + float(sys.argv[3]), 0, 0
    while time.time() < end:
        n += 1
        ok += answer("tick", 5) != "no-answer"
        time.sleep(0.3)
    print("answered" if ok == n else "lost %d of %d" % (n - ok, n))
elif mode == "pool":  # N senders at once, each answered; then the first K send for S s
    n, k, secs = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    for i, t in enumerate(socks):
        t.sendto(b"s%d" % i, ("127.0.0.1", port))
    got = 0
    for i, t in enumerate(socks):
        t.settimeout(30)
        try:
            got += t.recv(100).decode(errors="replace").endswith(":s%d" % i)
        except socket.timeout:
            pass
    end, ok, tries = time.time() + secs, 0, 0
    while time.time() < end:
        for t in socks[:k]:
            tries += 1
            t.settimeout(5)
            t.sendto(b"tick", ("127.0.0.1", port))
            try:
                ok += t.recv(100).endswith(b":tick")
            except socket.timeout:
                pass
        time.sleep(0.3)
    print("%d %d/%d" % (got, ok, tries))
elif mode == "burst":  # N datagrams at once, then count the answers
    n = int(sys.argv[3])
    for i in range(n):
        s.sendto(b"%d" % i, ("127.0.0.1", port))
    s.settimeout(3)
    got = 0
    try:
        while True:
            s.recv(100)
            got += 1
    except socket.timeout:
        pass
    print(got)
elif mode == "empty":  # an empty datagram and a large one, then a real one
    s.sendto(b"", ("127.0.0.1", port))
    s.sendto(b"x" * 60000, ("127.0.0.1", port))
    time.sleep(0.5)
    s.settimeout(0.1)
    try:
        while True:
            s.recv(65536)
    except socket.timeout:
        pass
    # a late answer to the empty one ("hi:", when the guest was still
    # booting from the burst) may come first: skip answers that are not ours
    s.settimeout(10)
    s.sendto(b"after", ("127.0.0.1", port))
    got = "no-answer"
    try:
        while got != "hi:after":
            got = s.recv(65536).decode(errors="replace")
    except socket.timeout:
        pass
    print(got)
PY
udp() { in_ns python3 "$T/udp.py" "$@"; }

out=$(unik build -t echo "$ROOT/examples/udp-echo-c" 2>&1)
check "udp-echo-c builds" contains "$out" "Successfully built"

# 1. summoned: the first datagram boots it and is answered
id=$(unik run --summon --idle-timeout 2s --provider spt --name echo -p 5353:5000/udp -e PREFIX=hi: echo)
check "run --summon with a UDP port prints the id" eq "${#id}" 64
check "it is summonable" eq "$(state_of echo)" summonable
check "ps shows the port as udp" contains "$(unik ps)" "127.0.0.1:5353->5000/udp"
check "the first datagram is answered" eq "$(udp 5353 one first)" "hi:first"
check "and the instance runs" eq "$(state_of echo)" running
ev=$(curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=name=echo&filter=event=summon")
check "a summon event" contains "$ev" '"action":"summon"'
check "later datagrams go straight through" eq "$(udp 5353 one second 10)" "hi:second"
check "two senders each get their own answer" eq "$(udp 5353 two-senders)" "hi:a hi:b"

# 2. datagrams count for the idle timeout (2 s); then it stops; the next summons it
check "datagrams every 0.3 s for 3 s are all answered" eq "$(udp 5353 every 3)" answered
check "and kept it from the idle stop" eq "$(state_of echo)" running
check "without datagrams it stops when idle" eq "$(wait_state echo idle 80)" idle
check "the next datagram summons it again" eq "$(udp 5353 one again)" "hi:again"

# 3. hostile input: a burst while it boots is held up to the queue's bound
unik stop echo >/dev/null
check "stopped, it is idle" eq "$(state_of echo)" idle
got=$(udp 5353 burst 300)
check "a burst of 300 while it boots: some answered" test "$got" -ge 1
check "... but no more than the held queue (64)" test "$got" -le 64
check "an empty and a 60000-byte datagram leave it answering" eq "$(udp 5353 empty)" "hi:after"
check "the daemon still serves" daemon_alive

# 4. a guest that never listens on the port: the held datagram is dropped, said in unik logs
unik run --summon --provider spt --name mute -p 5356:5999/udp echo >/dev/null
check "a guest not listening on the port: no answer" eq "$(udp 5356 one hello 13)" "no-answer"
check "and unik logs says so" contains "$(unik logs mute 2>&1)" "never took datagrams on port 5999/udp"
unik rm -f mute >/dev/null

# 5. a pool (--max 2) with a UDP port: 8 senders at once are spread 4 and 4 (each
# member takes SUMMON_BUSY_CONNS flows before the next boots); a sender sticks
# to its member: the first 4 sending for 4 s keep only the first one up
unik run --summon --max 2 --idle-timeout 2s --provider spt --name upool -p 5357:5000/udp \
	-e PREFIX=pool: echo >/dev/null
out=$(udp 5357 pool 8 4 4)
check "a UDP pool: 8 senders at once all answered" eq "${out%% *}" 8
check "... then the first 4's datagrams for 4 s, not one lost" eq \
	"$(echo "${out#* }" | awk -F/ '{print ($1 == $2 && $1 > 0)}')" 1
check "the first member kept running (its senders stuck to it)" eq "$(state_of upool)" running
check "the second, without datagrams, idle-stopped" eq "$(wait_state upool-2 idle 80)" idle
summons() { # summon events of instance $1 so far
	curl -s -m 2 --unix-socket "$SOCK" \
		"http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=name=$1&filter=event=summon" |
		grep -o '"action":"summon"' | wc -l
}
check "the first member was summoned once" eq "$(summons upool)" 1
check "and the second once (the 5th sender booted it)" eq "$(summons upool-2)" 1
check "the pool's first member idle-stops too" eq "$(wait_state upool idle 80)" idle
check "a new sender after that summons one again" eq "$(udp 5357 one again 30)" "pool:again"
unik rm -f upool >/dev/null
check "rm of the pool removes its members" eq "$(state_of upool-2)" ""

# 6. usage errors
out=$(unik run --summon --provider spt -p 5358:5000/sctp echo 2>&1)
check "another protocol is refused" contains "$out" "tcp or udp"
unik rm -f echo >/dev/null
check "rm closes the UDP socket" in_ns python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", 5353))'

# 7. a UDP port published without --summon is relayed as well
unik run -d --provider spt --name plain -p 5359:5000/udp -e PREFIX=plain: echo >/dev/null
ans=no-answer
for _ in $(seq 1 20); do ans=$(udp 5359 one x 1); [ "$ans" != no-answer ] && break; done
check "a published UDP port answers" eq "$ans" "plain:x"
unik rm -f plain >/dev/null

# 8. hvt and qemu: the same gate and boot (instance_start), one case each
if [ -c /dev/kvm ] && unik providers 2>/dev/null | grep -qw hvt; then
	unik run --summon --idle-timeout 2s --provider hvt --name echo-hvt -p 5360:5000/udp \
		-e PREFIX=hvt: echo >/dev/null
	check "hvt: the first datagram is answered" eq "$(udp 5360 one first 60)" "hvt:first"
	check "hvt: later ones go straight through" eq "$(udp 5360 one second 10)" "hvt:second"
	check "hvt: it stops when idle" eq "$(wait_state echo-hvt idle 100)" idle
	check "hvt: the next datagram summons it again" eq "$(udp 5360 one again 60)" "hvt:again"
	unik rm -f echo-hvt >/dev/null
else
	skip_case "hvt: no /dev/kvm or no hvt provider"
fi
if command -v qemu-system-x86_64 >/dev/null && unik providers 2>/dev/null | grep -qw qemu; then
	unik run --summon --provider qemu --name echo-qemu -p 5361:5000/udp -e PREFIX=qemu: \
		echo >/dev/null
	check "qemu: the first datagram is answered" eq "$(udp 5361 one first 90)" "qemu:first"
	check "qemu: later ones go straight through" eq "$(udp 5361 one second 10)" "qemu:second"
	unik rm -f echo-qemu >/dev/null
else
	skip_case "qemu: no qemu-system-x86_64 or no qemu provider"
fi

check "the daemon still serves at the end" daemon_alive
finish
