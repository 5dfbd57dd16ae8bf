#!/usr/bin/env bash
# t0031-network-segments: a subnet wider than a bridge's share (network.segment)
# spreads instances over several bridges, each with its own gateway, and every
# instance answers on its address; concurrent creates never share an address;
# bad network.segment values are refused.  Everything runs in a network
# namespace the test creates (daemon, bridges, taps, clients).
. "$(dirname "$0")/../lib/e2e.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
command -v ip >/dev/null || skip "needs iproute2"
[ -e /dev/net/tun ] || skip "needs /dev/net/tun"
NS=unik-e2e-seg-$$
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }

# start_ns CONFIG_TEXT: a daemon in the namespace; 0 once it answers
start_ns() {
	printf '%b' "$1" >"$T/net.conf"
	in_ns "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config "$T/net.conf" \
		--stop-timeout 1 >>"$T/unikd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do
		daemon_alive && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

for bad in 21 /8 30 x 22x ""; do
	: >"$T/unikd.log"
	start_ns "[network]\nmode = bridge\nsubnet = 10.91.0.0/24\nsegment = $bad\n" &&
		stop_daemon
	check "network.segment '$bad' is refused" contains "$(cat "$T/unikd.log")" "network.segment"
done
: >"$T/unikd.log"
start_ns "[network]\nmode = bridge\nbridge = unikverylongbr\nsubnet = 10.91.0.0/16\n" && stop_daemon
check "a bridge name too long for the further bridges is refused" \
	contains "$(cat "$T/unikd.log")" "is too long"

: >"$T/unikd.log"
start_ns "[network]\nmode = bridge\nbridge = ukseg\nsubnet = 10.91.0.0/24\nsegment = /29\n"
check "the daemon runs with segments" contains "$(cat "$T/unikd.log")" "a bridge every /29"
providers=$(api GET /v1/providers)
if ! echo "$providers" | python3 -c 'import json,sys; sys.exit(0 if [p for p in json.loads(sys.stdin.read().split(" ",1)[1]) if p["name"]=="spt" and p["usable"]] else 1)'; then
	skip_case "instances on segments: spt is not usable here"
	finish
fi
mkdir -p "$T/src"
cat >"$T/src/listen.c" <<'C'
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		perror("listen");
		return 1;
	}
	printf("up\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c >= 0)
			close(c);
	}
}
C
out=$(unik build -t listen "$T/src" 2>&1)
check "the listener builds" contains "$out" "Successfully built"
# 12 at once: a /29 segment holds 5 guests, so three bridges
out=$("$ROOT/scripts/unikd-fleet" create "$SOCK" listen spt 12 6 seg 8 "$STATE")
check "12 concurrent creates succeed and print" contains "$out" "ok=12 bad=0"
check "... and all printed" contains "$out" "up=12"
addrs=$(unik ps --json | python3 -c 'import json,sys; print("\n".join(i["address"] or "" for i in json.load(sys.stdin)))')
check "12 addresses" eq "$(echo "$addrs" | grep -c .)" 12
check "no two instances share an address" eq "$(echo "$addrs" | sort -u | grep -c .)" 12
check "no address is a segment's gateway, network or broadcast address" eq \
	"$(echo "$addrs" | awk -F. '{ l = $4 % 8; if (l == 0 || l == 1 || l == 7) print }')" ""
check "the second bridge exists" bash -c "ip -n $NS -br addr show uksegs1 | grep -q 10.91.0.9/29"
check "the third bridge exists" bash -c "ip -n $NS -br addr show uksegs2 | grep -q 10.91.0.17/29"
check "the first bridge has five ports" eq "$(in_ns bridge link show | grep -c 'master ukseg ')" 5
out=$(in_ns "$ROOT/scripts/unikd-fleet" stats "$SOCK" 8080 0.1)
check "every instance answers a TCP connect on its address" contains "$out" "n=12 answering=12"
log=$(cat "$STATE"/instances/*/console.log)
check "no guest reported a network problem" eq "$(echo "$log" | grep -c 'unik: net')" 0

# removed instances give their addresses back: the lowest free one is next
first=$(unik ps --json | python3 -c 'import json,sys; print([i["id"] for i in json.load(sys.stdin) if i["address"]=="10.91.0.10"][0])')
unik rm -f "$first" >/dev/null
id=$(unik run -d --provider spt --memory 8 --name again listen)
check "a new instance takes the freed address" eq \
	"$(unik inspect "$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); print((d[0] if isinstance(d, list) else d)["address"])')" 10.91.0.10
out=$("$ROOT/scripts/unikd-fleet" remove "$SOCK" 6)
check "all 12 are removed" contains "$out" "removed=12"
check "their taps are gone" eq "$(in_ns ip -br link | grep -c '^uk[0-9a-f]')" 0
finish
