#!/usr/bin/env bash
# t0035-summon-libvirt: summoning (docs/summon.md) on the libvirt provider.
# libvirt's qemu opens the instance's tap from libvirtd's network namespace,
# so this test runs a libvirtd of its own inside the network namespace it
# creates (scripts/libvirtd-ctl private-start: its own mount namespace, so
# neither the machine's libvirtd nor its domains are touched), and unikd
# next to it: no traffic leaves the namespace.  The first connection boots
# the domain and gets http-c's answer, later ones go straight through,
# `unik stop` leaves it idle (the domain shut off) and the next connection
# summons it again; the idle timeout stops it; rm removes the domain.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
[ "$(id -u)" -eq 0 ] || skip "needs root (a network namespace, a libvirtd of its own)"
command -v ip >/dev/null || skip "needs iproute2"
command -v virsh >/dev/null || PATH=$PATH:/usr/sbin
command -v virsh >/dev/null && command -v libvirtd >/dev/null ||
	skip "libvirt is not installed (scripts/install-deps)"
[ -d "$ROOT/examples/http-c" ] || skip "examples/http-c is missing"
NS=unik-e2e-lv-$$
LV=$T/libvirt
URI="qemu:///system?socket=$LV/libvirt-sock"
VIRSH=(virsh -q -c "$URI")
ip netns add "$NS" || skip "cannot create a network namespace"
ip -n "$NS" link set lo up
lv_cleanup() { # every domain is the test's: its libvirtd sees no other
	"${VIRSH[@]}" list --name 2>/dev/null | xargs -r -n1 "${VIRSH[@]}" destroy >/dev/null 2>&1
	"$ROOT/scripts/libvirtd-ctl" private-stop "$LV"
	cleanup
	ip netns del "$NS" 2>/dev/null
}
trap lv_cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns "$ROOT/scripts/libvirtd-ctl" private-start "$LV" >"$T/libvirtd-ctl.log" 2>&1 ||
	skip "cannot start a libvirtd of the test's own: $(tail -1 "$T/libvirtd-ctl.log")"
get() { in_ns curl -s -m 120 "$@"; }
state_of() { # the summon state of instance $1
	unik ps -a --json | python3 -c 'import json,sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]:
        print((i.get("summon") or {}).get("state") or i["state"])' "$1"
}
dom_state() { "${VIRSH[@]}" domstate "unik-$1" 2>&1; }
wait_summon_state() { # NAME STATE: until it says so (60 s: libvirt's qemu may be TCG)
	for _ in $(seq 1 600); do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "    $1 is $(state_of "$1"), not $2"
	return 1
}
printf '[libvirt]\nuri = %s\n' "$URI" >"$T/unikd.conf"
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config "$T/unikd.conf" \
	--stop-timeout 2 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
check "daemon runs with a bridge" contains "$(cat "$T/unikd.log")" "network: bridge"
unik providers 2>/dev/null | grep -q '^libvirt  *yes' ||
	skip "the libvirt provider is not usable with the test's libvirtd"
out=$(unik build -t http "$ROOT/examples/http-c" 2>&1)
check "http-c builds" contains "$out" "Successfully built"

unik run --summon --provider libvirt --name lvs -p 8080:8080 -e GREETING=libvirt http >/dev/null
check "a summoned libvirt instance is summonable" eq "$(state_of lvs)" summonable
check "no domain runs yet" bash -c "! grep -q running <<<'$(dom_state lvs)'"
check "the first connection boots the domain and gets the answer" \
	eq "$(get http://127.0.0.1:8080/env/GREETING)" libvirt
check "the instance runs" eq "$(state_of lvs)" running
check "its domain runs" contains "$(dom_state lvs)" running
check "the next connection is answered too" eq "$(get http://127.0.0.1:8080/env/GREETING)" libvirt
ev=$(curl -s -m 2 --unix-socket "$SOCK" "http://x/v1/events?since=0&until=$(($(date +%s) + 1))&filter=name=lvs")
check "a summon event" contains "$ev" '"action":"summon"'

unik stop lvs >/dev/null
check "unik stop leaves it idle" wait_summon_state lvs idle
check "and its domain shut off" contains "$(dom_state lvs)" "shut off"
check "the next connection summons it again" eq "$(get http://127.0.0.1:8080/env/GREETING)" libvirt
check "running again" eq "$(state_of lvs)" running
unik rm -f lvs >/dev/null
check "rm removes the domain" bash -c "! '${VIRSH[0]}' -q -c '$URI' list --all --name | grep -q '^unik-lvs$'"

# the idle timeout stops the domain, the next connection boots it again
unik run --summon --idle-timeout 2s --provider libvirt --name lvi -p 8081:8080 -e GREETING=idle \
	http >/dev/null
check "idle: the first connection is answered" eq "$(get http://127.0.0.1:8081/env/GREETING)" idle
check "idle: stopped after the timeout" wait_summon_state lvi idle
check "idle: its domain shut off" contains "$(dom_state lvi)" "shut off"
check "idle: summoned again" eq "$(get http://127.0.0.1:8081/env/GREETING)" idle
unik rm -f lvi >/dev/null
finish
