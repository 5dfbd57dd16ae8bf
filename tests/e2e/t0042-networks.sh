#!/usr/bin/env bash
# t0042-networks: a bridge and a subnet per daemon (unikd --bridge --subnet
# --keep-bridge and the [network] keys).  Two daemons run side by side on
# bridges of their own; a third one on a bridge another owns, or on a subnet
# that overlaps an address or a route of the host, is refused at start; the
# bridge goes when the last daemon using it exits, unless it is kept or an
# instance still runs on it; an instance whose program makes no sockets gets
# no address and no tap.  Everything runs in a network namespace the test
# creates (daemons, bridges, taps, clients).
. "$(dirname "$0")/../lib/e2e.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "needs iproute2"
[ -e /dev/net/tun ] || skip "needs /dev/net/tun"
NS=unik-e2e-nets-$$
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
SOCKB=$T/b.sock
STATEB=$T/state-b
PIDB=
stop_b() {
	[ -n "$PIDB" ] || return 0
	kill -TERM "$PIDB" 2>/dev/null
	wait "$PIDB"
	PIDB=
}
trap 'stop_b; pkill -KILL -f -- "$STATEB/" 2>/dev/null; cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
unikb() { UNIK_HOST=unix://$SOCKB "$BIN/unik" "$@"; }
alive() { curl -sf --unix-socket "$1" http://x/v1/health >/dev/null; }

# up SOCKET STATE LOG [unikd options...]: a daemon in the namespace, its pid
# in UP_PID; 0 once it answers, 1 when it exited (its status in UP_RC)
up() {
	local sock=$1 state=$2 log=$3
	shift 3
	# ip netns exec becomes unikd: $! is the daemon's pid
	ip netns exec "$NS" "$BIN/unikd" --socket "$sock" --state-dir "$state" --stop-timeout 1 \
		"$@" >>"$log" 2>&1 &
	UP_PID=$!
	for _ in $(seq 1 100); do
		alive "$sock" && return 0
		if ! kill -0 "$UP_PID" 2>/dev/null; then
			wait "$UP_PID"
			UP_RC=$?
			return 1
		fi
		sleep 0.1
	done
	return 1
}
has_dev() { ip -n "$NS" link show "$1" >/dev/null 2>&1; }

printf '[network]\nmode = bridge\n' >"$T/a.conf"
printf '[network]\nmode = bridge\nbridge = ukb\nsubnet = 10.94.0.0/24\nkeep_bridge = true\n' >"$T/b.conf"
up "$SOCK" "$STATE" "$T/unikd.log" --config "$T/a.conf" --bridge uka --subnet 10.93.0.0/24
DAEMON_PID=$UP_PID
check "daemon A runs on bridge uka (--bridge, --subnet)" contains "$(cat "$T/unikd.log")" \
	"network: bridge 10.93.0.0/24 on uka"
up "$SOCKB" "$STATEB" "$T/b.log" --config "$T/b.conf"
PIDB=$UP_PID
check "daemon B runs beside it on bridge ukb (the config keys)" contains "$(cat "$T/b.log")" \
	"network: bridge 10.94.0.0/24 on ukb"
check "uka has 10.93.0.1/24" bash -c "ip -n $NS -br addr show uka | grep -q 10.93.0.1/24"
check "ukb has 10.94.0.1/24" bash -c "ip -n $NS -br addr show ukb | grep -q 10.94.0.1/24"
check "no unik0 was made" bash -c "! ip -n $NS link show unik0 2>/dev/null"

# clashes: refused at start, with a clear message and a non-zero status
refused() { # refused NAME WANT-IN-LOG unikd options...
	local name=$1 want=$2
	shift 2
	: >"$T/c.log"
	UP_RC=0
	if up "$T/c.sock" "$T/state-c" "$T/c.log" --config "$T/a.conf" "$@"; then
		kill -TERM "$UP_PID"
		wait "$UP_PID"
		check "$name: refused" false
		return
	fi
	check "$name: exits non-zero" test "$UP_RC" -ne 0
	check "$name: says why" contains "$(cat "$T/c.log")" "$want"
}
refused "a bridge another daemon owns" "bridge uka belongs to another unikd (pid $DAEMON_PID)" \
	--bridge uka --subnet 10.95.0.0/24
check "... and daemon A is untouched" alive "$SOCK"
check "... and uka keeps its address" bash -c "ip -n $NS -br addr show uka | grep -q 10.93.0.1/24"
refused "a subnet inside another daemon's" "overlaps address 10.93.0.1/24 of uka" \
	--bridge ukc --subnet 10.93.0.128/25
ip -n "$NS" addr add 10.96.0.5/24 dev lo
refused "a subnet around a host address" "overlaps address 10.96.0.5/24 of lo" \
	--bridge ukc --subnet 10.96.0.0/16
ip -n "$NS" route add 10.97.0.0/16 dev lo
refused "a subnet inside a host route" "overlaps route 10.97.0.0/16 via lo" \
	--bridge ukc --subnet 10.97.3.0/24
check "the refused daemons made no bridge" bash -c "! ip -n $NS link show ukc 2>/dev/null"
in_ns ip link add ukd type dummy 2>/dev/null && {
	refused "a device that is not a bridge" "ukd exists and is not a bridge" \
		--bridge ukd --subnet 10.98.0.0/24
	check "... and it keeps no address" bash -c "! ip -n $NS -br addr show ukd | grep -q 10.98"
}
refused "a bad subnet" "network.subnet 'x/33'" --bridge ukc --subnet x/33

# bridge removal: the last daemon on a bridge removes it at exit
stop_daemon
check "A stopped with no instance: uka is removed" bash -c "! ip -n $NS link show uka 2>/dev/null"
check "... and says so" contains "$(cat "$T/unikd.log")" "removed bridge uka"
stop_b
check "B stopped with keep_bridge: ukb stays" has_dev ukb
check "... and says so" contains "$(cat "$T/b.log")" "keeping bridge ukb (network.keep_bridge)"
up "$SOCKB" "$STATEB" "$T/b.log" --config "$T/b.conf"
PIDB=$UP_PID
check "B starts again on the bridge it kept" alive "$SOCKB"

up "$SOCK" "$STATE" "$T/unikd.log" --config "$T/a.conf" --bridge uka --subnet 10.93.0.0/24
DAEMON_PID=$UP_PID
if ! api GET /v1/providers | python3 -c 'import json,sys; sys.exit(0 if [p for p in json.loads(sys.stdin.read().split(" ",1)[1]) if p["name"]=="spt" and p["usable"]] else 1)'; then
	skip_case "instances on two bridges: spt is not usable here"
	finish
fi
mkdir -p "$T/listen" "$T/quiet"
cat >"$T/listen/listen.c" <<'C'
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16))
		return 1;
	printf("up\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}
C
cat >"$T/quiet/quiet.c" <<'C'
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	printf("quiet\n");
	fflush(stdout);
	sleep(60);
	return 0;
}
C
check "the listener builds on A" contains "$(unik build -t listen "$T/listen" 2>&1)" "Successfully built"
check "... and on B" contains "$(unikb build -t listen "$T/listen" 2>&1)" "Successfully built"
out=$(unik build -t quiet "$T/quiet" 2>&1)
check "a program without sockets builds without a network stack" contains "$out" \
	"network stack: left out"
addr_of() { # addr_of CLI NAME: the instance's address from inspect ("" for none)
	"$1" inspect "$2" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d, list) else d; print(d.get("address") or "")'
}
wait_up() { # wait_up CLI NAME: until its console says "up"
	for _ in $(seq 1 100); do "$1" logs "$2" 2>/dev/null | grep -q up && return 0; sleep 0.1; done
	return 1
}
unik run -d --provider spt --memory 16 --name la listen >/dev/null
unikb run -d --provider spt --memory 16 --name lb listen >/dev/null
wait_up unik la
wait_up unikb lb
a=$(addr_of unik la)
b=$(addr_of unikb lb)
check "the instance of A has an address of A's subnet" contains "$a" "10.93.0."
check "the instance of B has an address of B's subnet" contains "$b" "10.94.0."
check "A's tap is on uka" bash -c "ip netns exec $NS bridge link show | grep -q 'master uka'"
check "B's tap is on ukb" bash -c "ip netns exec $NS bridge link show | grep -q 'master ukb'"
check "A's instance answers on its address" in_ns bash -c "exec 3<>/dev/tcp/$a/8080"
check "B's instance answers on its address" in_ns bash -c "exec 3<>/dev/tcp/$b/8080"

# no sockets: no address, no tap, -p refused
id=$(unik run -d --provider spt --memory 16 --name q quiet)
for _ in $(seq 1 100); do unik logs q 2>/dev/null | grep -q quiet && break; sleep 0.1; done
check "an instance that makes no sockets runs" contains "$(unik logs q)" "quiet"
check "... has no address (inspect)" eq "$(addr_of unik q)" ""
check "... shows none in unik ps" eq "$(unik ps --format '{{.Names}}={{.Address}}' | grep '^q=')" "q="
check "... where the listener shows its own" eq "$(unik ps --format '{{.Names}}={{.Address}}' | grep '^la=')" "la=$a"
check "... has no tap" eq "$(ip -n "$NS" -o link show | grep -c "uk${id:0:12}")" 0
check "... and its console says nothing of a network" eq "$(unik logs q | grep -c 'net')" 0
out=$(unik run -d --provider spt --memory 16 -p 8090:8080 quiet 2>&1)
check "publishing a port of it is refused, saying why" contains "$out" "no network stack"
unik rm -f q >/dev/null

# an instance still on the bridge keeps it at exit; the next daemon adopts it
stop_daemon
check "A stopped with an instance running: uka stays" has_dev uka
check "... and says why" contains "$(cat "$T/unikd.log")" "keeping bridge uka: 1 instance still runs on it"
check "... and the instance still answers" in_ns bash -c "exec 3<>/dev/tcp/$a/8080"
up "$SOCK" "$STATE" "$T/unikd.log" --config "$T/a.conf" --bridge uka --subnet 10.93.0.0/24
DAEMON_PID=$UP_PID
check "A starts again on its bridge" alive "$SOCK"
unik rm -f la >/dev/null
stop_daemon
check "its last instance gone, A removes uka at exit" bash -c "! ip -n $NS link show uka 2>/dev/null"
unikb rm -f lb >/dev/null
check "B still serves" alive "$SOCKB"
check "B's taps are gone" eq "$(ip -n "$NS" -br link | grep -cE '^uk[0-9a-f]{12}')" 0
finish
