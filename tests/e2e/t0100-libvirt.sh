#!/usr/bin/env bash
# t0100-libvirt: the libvirt provider against the real libvirtd (started with
# scripts/libvirtd-ctl when it is not running, and stopped again at the end):
# run attached (lines, exit status), the domain in virsh, run -d, logs, stop,
# start, rm, daemon restart, drift made with virsh (destroy, undefine), a
# foreign domain left alone, and a bad URI that leaves qemu working.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
[ "$(id -u)" -eq 0 ] || skip "needs root (libvirt's qemu:///system)"
command -v virsh >/dev/null || PATH=$PATH:/usr/sbin
command -v virsh >/dev/null && command -v libvirtd >/dev/null ||
	skip "libvirt is not installed (scripts/install-deps)"
STARTED_LIBVIRTD=
if ! "$ROOT/scripts/libvirtd-ctl" status; then
	"$ROOT/scripts/libvirtd-ctl" start >"$T/libvirtd-ctl.log" 2>&1 ||
		skip "cannot start libvirtd: $(tail -1 "$T/libvirtd-ctl.log")"
	STARTED_LIBVIRTD=1
fi
VIRSH=(virsh -q -c qemu:///system)
P=t0100-$$ # every instance name starts with it, so every domain with unik-$P-

lv_cleanup() {
	local d
	for d in $("${VIRSH[@]}" list --all --name | grep "^unik-$P-"); do
		"${VIRSH[@]}" destroy "$d" >/dev/null 2>&1
		"${VIRSH[@]}" undefine "$d" >/dev/null 2>&1
	done
	cleanup
	[ -z "$STARTED_LIBVIRTD" ] || "$ROOT/scripts/libvirtd-ctl" stop
}
trap lv_cleanup EXIT

domains() { "${VIRSH[@]}" list --all --name | grep "^unik-$P-" | sort | tr '\n' ' '; }
dom_state() { "${VIRSH[@]}" domstate "unik-$P-$1" 2>&1; }
field() { # field NAME KEY: a field of the instance from ps -a --json
	unik ps -a --json | python3 -c 'import json,sys
for i in json.load(sys.stdin):
    if i["name"] == sys.argv[1]: print(i.get(sys.argv[2]))' "$1" "$2"
}
wait_state() { # wait_state NAME STATE: until `unik ps -a` says so (30 s: TCG is slow)
	for _ in $(seq 1 300); do
		[ "$(field "$1" state)" == "$2" ] && return 0
		sleep 0.1
	done
	echo "    $1 is $(field "$1" state), not $2"
	return 1
}

start_daemon
want=$'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : -1;
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	for (long i = 1; n < 0 || i <= n; i++) {
		printf("tick %ld\n", i);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	return 7;
}
C

out=$(unik providers 2>&1)
check "unik providers lists libvirt as usable" bash -c "grep -q '^libvirt  *yes' <<<'$out'"
unik build -t hello-linux --compiler linux "$ROOT/examples/hello-c" >"$T/build.log" 2>&1
check "build hello-c with --compiler linux" eq "$?" 0
unik build -t ticker --compiler linux "$T/ticker" >>"$T/build.log" 2>&1
check "build the ticker with --compiler linux" eq "$?" 0

# attached run
out=$(unik run --provider libvirt --name "$P-a" -e GREETING=hi -e EXIT_CODE=3 hello-linux a b 2>"$T/err")
rc=$?
check "run prints the program's lines" eq "$out" "$want"
check "run exits with the guest's status" eq "$rc" 3
check "virsh lists the persistent domain" contains "$(domains)" "unik-$P-a "
check "shut off once the program ended" contains "$(dom_state a)" "shut off"
id=$(field "$P-a" id)
meta=$("${VIRSH[@]}" metadata "unik-$P-a" https://unik.dev/xmlns/libvirt/instance/1 2>&1)
check "the domain is tagged with the instance id" contains "$meta" "$id"
check "the accel is recorded" bash -c "[ -n \"$(field "$P-a" accel)\" ]"
out=$(unik run --provider kvm --name "$P-k" hello-linux 2>"$T/err-k")
check "the kvm alias runs too" eq "$out" "hello from unik" || cat "$T/err-k"

# detached: run -d, logs, stop, start, rm
unik run -d --provider libvirt --name "$P-d" ticker >/dev/null
check "run -d: running" wait_state "$P-d" running
check "run -d: the domain runs" contains "$(dom_state d)" "running"
pid=$(field "$P-d" pid)
check "its pid is the domain's qemu" \
	bash -c "tr '\\0' ' ' </proc/$pid/cmdline | grep -q 'guest=unik-$P-d'"
for _ in $(seq 1 300); do unik logs "$P-d" | grep -q "tick 2" && break; sleep 0.1; done
check "logs show the console" contains "$(unik logs "$P-d")" "tick 2"
unik stop -t 20 "$P-d" >/dev/null
check "stop ends it gracefully (SIGTERM: 143)" eq "$(field "$P-d" exit_code)" 143
check "the domain is shut off" contains "$(dom_state d)" "shut off"
a=$(unik logs "$P-d" | grep -c tick)
unik start "$P-d" >/dev/null
check "start runs it again" wait_state "$P-d" running
check "the domain runs again" contains "$(dom_state d)" "running"
for _ in $(seq 1 300); do [ "$(unik logs "$P-d" | grep -c tick)" -gt "$a" ] && break; sleep 0.1; done
check "the console log grows (appended)" test "$(unik logs "$P-d" | grep -c tick)" -gt "$a"
check "rm -f removes it" bash -c "'$BIN/unik' rm -f '$P-d' >/dev/null"
check "and its domain is gone from virsh" bash -c "! grep -q 'unik-$P-d ' <<<'$(domains)'"

# a daemon restart finds the running domain again
unik run -d --provider libvirt --name "$P-r" ticker >/dev/null
wait_state "$P-r" running >/dev/null
check "SIGTERM stops the daemon" stop_daemon
check "the domain outlives the daemon" contains "$(dom_state r)" "running"
start_daemon
check "the running domain was adopted" eq "$(field "$P-r" state)" running
check "the adopted instance stops" bash -c "'$BIN/unik' stop -t 5 '$P-r' >/dev/null"
check "stopped" eq "$(field "$P-r" state)" exited

# drift: virsh destroy / undefine
unik start "$P-r" >/dev/null
wait_state "$P-r" running >/dev/null
"${VIRSH[@]}" destroy "unik-$P-r" >/dev/null
check "virsh destroy: the instance exited" wait_state "$P-r" exited
check "with 137" eq "$(field "$P-r" exit_code)" 137
check "and says it was destroyed outside unik" contains "$(field "$P-r" message)" "destroyed outside unik"
"${VIRSH[@]}" undefine "unik-$P-r" >/dev/null
check "virsh undefine of a stopped one: still listed, exited" eq "$(field "$P-r" state)" exited
unik start "$P-r" >/dev/null
check "start defines the domain again" wait_state "$P-r" running
check "virsh lists it again" contains "$(domains)" "unik-$P-r "
unik rm -f "$P-r" >/dev/null
check "rm -f: gone from virsh" bash -c "! grep -q 'unik-$P-r ' <<<'$(domains)'"

# a domain that is not ours is never touched
cat >"$T/foreign.xml" <<X
<domain type='qemu'><name>unik-$P-f</name><memory unit='MiB'>32</memory>
<os><type arch='x86_64'>hvm</type></os></domain>
X
"${VIRSH[@]}" define "$T/foreign.xml" >/dev/null
before=$("${VIRSH[@]}" dumpxml "unik-$P-f")
out=$(unik run --provider libvirt --name "$P-f" hello-linux 2>&1)
check "a foreign domain of the same name: refused" contains "$out" "is not this unik instance's"
unik rm -f "$P-f" >/dev/null 2>&1
check "rm of that instance leaves the domain alone" eq "$("${VIRSH[@]}" dumpxml "unik-$P-f")" "$before"

# the unikernel format, when this tree builds it
if unik build -t hello-c "$ROOT/examples/hello-c" >>"$T/build.log" 2>&1; then
	out=$(unik run --provider libvirt --name "$P-e" -e GREETING=hi -e EXIT_CODE=3 hello-c a b 2>"$T/err")
	rc=$?
	check "unik-elf: run prints the program's lines" eq "$out" "$want"
	check "unik-elf: exits with the guest's status" eq "$rc" 3
	# a unikernel may end before its qemu's pid is looked up: still collected
	codes=
	for i in 1 2 3 4 5; do
		timeout 60 "$BIN/unik" run --rm --provider libvirt -e EXIT_CODE=$i hello-c >/dev/null 2>&1
		codes="$codes$? "
	done
	check "unik-elf: 5 quick runs, each collected with its status" eq "$codes" "1 2 3 4 5 "
	# volumes: a <disk> per volume; data written by one domain is read by the next
	if unik build -t rvol "$ROOT/tests/runtime/rvol" >>"$T/build.log" 2>&1; then
		unik volume create --size 16M "$P-vol" >/dev/null
		vdisk=$STATE/volumes/$(unik volume inspect "$P-vol" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')/disk.raw
		out=$(timeout 300 "$BIN/unik" run --rm --provider libvirt -m 64 -v "$P-vol:/data" rvol write /data 2>&1)
		check "volumes: a program on libvirt writes on a volume" contains "$out" "write: ok"
		check "volumes: e2fsck -fn finds the disk clean after it" e2fsck -fn "$vdisk"
		out=$(timeout 300 "$BIN/unik" run --rm --provider libvirt -m 64 -v "$P-vol:/data:ro" rvol check /data 2>&1)
		check "volumes: the next domain reads it (read-only)" contains "$out" "check: ok"
		unik run -d --provider libvirt --name "$P-v" -m 64 -v "$P-vol:/data:ro" rvol stress /data >/dev/null 2>&1
		xml=$("${VIRSH[@]}" dumpxml "unik-$P-v" 2>/dev/null)
		check "volumes: the domain has the disk" contains "$xml" "file='$vdisk'"
		check "volumes: read-only, on virtio" bash -c "grep -q '<readonly/>' <<<\"\$1\" && grep -q \"dev='vda' bus='virtio'\" <<<\"\$1\"" _ "$xml"
		unik rm -f "$P-v" >/dev/null 2>&1
		unik volume rm "$P-vol" >/dev/null
		unik volume create --size 64M "$P-churn" >/dev/null
		cdisk=$STATE/volumes/$(unik volume inspect "$P-churn" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')/disk.raw
		out=$(timeout 600 "$BIN/unik" run --rm --provider libvirt -m 64 -v "$P-churn:/data" rvol churn /data "${T0100_CHURN:-10000}" 2>&1)
		check "volumes: ${T0100_CHURN:-10000} creates, renames and deletes on libvirt" contains "$out" "churn: ok"
		check "volumes: e2fsck -fn clean after them" e2fsck -fn "$cdisk"
		unik volume rm "$P-churn" >/dev/null
	else
		skip_case "libvirt volumes: rvol does not build here"
	fi
else
	skip_case "libvirt unik-elf part: the c compiler cannot build hello-c here"
fi

# A domain whose qemu unikd cannot see (pid 0) is asked of libvirt every few
# seconds.  libvirt's test driver has no qemu at all, and each connection to
# test:///default starts from its own state: the domain is gone at the next look.
check "SIGTERM stops the daemon" stop_daemon
printf '[network]\nmode = none\n[libvirt]\nuri = test:///default\n' >"$T/test-driver.conf"
start_daemon --config "$T/test-driver.conf"
if unik build -t hello-c "$ROOT/examples/hello-c" >>"$T/build.log" 2>&1; then
	unik run -d --provider libvirt --name "$P-t" hello-c >/dev/null 2>"$T/err-t"
	check "test driver: an instance with no qemu to watch is polled" wait_state "$P-t" exited
	check "and is seen gone from libvirt" contains "$(field "$P-t" message)" "removed outside unik"
fi

# a bad URI: a clear error, and the qemu provider keeps working
check "SIGTERM stops the daemon" stop_daemon
printf '[network]\nmode = none\n[libvirt]\nuri = qemu+unix:///system?socket=%s/nonexistent.sock\n' "$T" >"$T/bad.conf"
start_daemon --config "$T/bad.conf"
out=$(unik providers 2>&1)
check "providers: libvirt not usable, with the reason" \
	bash -c "grep '^libvirt ' <<<'$out' | grep -q 'cannot connect to libvirt'"
out=$(unik run --provider libvirt --name "$P-b" hello-linux 2>&1)
check "run on libvirt fails" test "$?" -ne 0
check "naming the URI" contains "$out" "nonexistent.sock"
out=$(unik run --provider qemu -e GREETING=hi hello-linux a b 2>&1)
check "qemu still runs" eq "$out" "$want"
finish
