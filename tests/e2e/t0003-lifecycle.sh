#!/usr/bin/env bash
# t0003-lifecycle: run -d, logs -f, ps, wait, stop, start, rm, rmi, and a daemon
# restart in the middle that keeps every record and adopts the running VM.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
start_daemon
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : -1;
	struct timespec ts = {0, 200 * 1000 * 1000};
	for (int i = 1; n < 0 || i <= n; i++) {
		printf("tick %d\n", i);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
	return 7;
}
C
unik build -t ticker ${T0003_COMPILER:+--compiler $T0003_COMPILER} "$T/ticker" >/dev/null 2>&1
check "ticker image built" eq "$?" 0
unik build -t hello-c "$ROOT/examples/hello-c" >/dev/null 2>&1

id=$(unik run -d --name t1 ticker 5)
check "run -d prints a full id" eq "${#id}" 64
out=$(timeout 60 "$BIN/unik" logs -f t1)
check "logs -f follows until exit" eq "$(echo "$out" | tail -1)" "tick 5"
check "wait returns the exit status" eq "$(unik wait t1)" 7
check "ps hides exited instances" eq "$(unik ps -q | grep -c "${id:0:12}")" 0
check "ps -a shows it exited" contains "$(unik ps -a)" "exited (7)"
check "logs --tail 2" eq "$(unik logs --tail 2 t1)" $'tick 4\ntick 5'
check "an id prefix works as a ref" eq "$(unik wait "${id:0:6}")" 7

unik run -d --name forever ticker >/dev/null
unik run -d --provider spt --name forever-spt ticker >/dev/null
sleep 1
check "ps shows it running" contains "$(unik ps)" "forever"
check "rm of a running instance is refused" bash -c "! '$BIN/unik' rm forever 2>'$T/err'"
check "and says why" contains "$(cat "$T/err")" "running"
check "rmi of an image in use is refused" bash -c "! '$BIN/unik' rmi ticker 2>'$T/err'"
check "and says why" contains "$(cat "$T/err")" "used by"

# daemon restart with a running VM and stored records
before=$(unik ps -a --json | python3 -c 'import json,sys; print(sorted(i["id"] for i in json.load(sys.stdin)))')
check "SIGTERM stops the daemon" stop_daemon
start_daemon
after=$(unik ps -a --json | python3 -c 'import json,sys; print(sorted(i["id"] for i in json.load(sys.stdin)))')
check "every instance survives the restart" eq "$after" "$before"
check "the running VM was adopted" contains "$(unik ps)" "forever"
check "a running spt instance (no command line of its own) was adopted" \
	contains "$(unik ps | grep forever-spt)" "running"
unik rm -f forever-spt >/dev/null
check "images survive the restart" contains "$(unik images)" "ticker"
check "logs of the adopted VM still grow" \
	bash -c "a=\$('$BIN/unik' logs forever | wc -l); sleep 1.5; b=\$('$BIN/unik' logs forever | wc -l); [ \$b -gt \$a ]"

unik stop -t 1 forever >/dev/null
check "stop ends it" contains "$(unik ps -a | grep forever)" "exited"
check "the VM process is gone" eq "$(pgrep -f -- "$STATE/instances/" | wc -l)" 0
unik start forever >/dev/null
sleep 1
check "start runs it again" contains "$(unik ps | grep forever)" "running"
check "rm -f removes a running instance" eq "$(unik rm -f forever)" "forever"
check "it is gone" eq "$(unik ps -a | grep -c forever)" 0
check "no VM is left" eq "$(pgrep -f -- "$STATE/instances/" | wc -l)" 0

# --- the monitors and qemu run unprivileged; their refusals reach the instance ---
field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; } # first value
inst() { # inst NAME FIELD: a field of GET /v1/instances/NAME ("None" for null)
	curl -s --unix-socket "$SOCK" "http://x/v1/instances/$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1]))' "$2"
}
restart_with() { # restart_with CONFIG-LINES: the test config plus these
	stop_daemon
	printf '[network]\nmode = none\n%b' "$1" >"$T/unikd.conf"
	start_daemon
}
provs="spt qemu"
[ -c /dev/kvm ] && provs="hvt $provs"
if [ "$(id -u)" = 0 ] && id unik >/dev/null 2>&1; then
	for prov in $provs; do unik run -d --name "u-$prov" --provider $prov ticker >/dev/null; done
	sleep 1
	for prov in $provs; do
		pid=$(inst "u-$prov" pid)
		check "$prov: the VM process runs as user unik" eq "$(field "$pid" Uid)" "$(id -u unik)"
		check "$prov: and its group" eq "$(field "$pid" Gid)" "$(id -g unik)"
		check "$prov: with no effective capability" eq "$(field "$pid" CapEff)" 0000000000000000
		check "$prov: and no permitted one" eq "$(field "$pid" CapPrm)" 0000000000000000
		if [ $prov != qemu ]; then
			check "$prov: an empty bounding set" eq "$(field "$pid" CapBnd)" 0000000000000000
			check "$prov: no_new_privs" eq "$(field "$pid" NoNewPrivs)" 1
		fi
	done
	unik rm -f $(for prov in $provs; do echo "u-$prov"; done) >/dev/null
	restart_with '[hvt]\nuser = root\n[spt]\nuser = root\n[qemu]\nuser = root\n'
	for prov in $provs; do unik run -d --name "r-$prov" --provider $prov ticker >/dev/null; done
	sleep 1
	for prov in $provs; do
		check "$prov.user = root: the VM process runs as root" \
			eq "$(field "$(inst "r-$prov" pid)" Uid)" 0
	done
	unik rm -f $(for prov in $provs; do echo "r-$prov"; done) >/dev/null
	restart_with '[hvt]\nuser = nosuchuser-t0003\n[spt]\nuser = nosuchuser-t0003\n'
	n=$(unik ps -a -q | wc -l)
	out=$(api POST /v1/instances -d '{"image": "hello-c", "provider": "spt"}')
	check "a monitor user that does not exist: 503" json_error_is "$out" 503 unavailable
	check "naming the user and the fix" contains "$out" "'nosuchuser-t0003', which does not exist: create it"
	check "or the setting" contains "$out" "spt.user = root"
	check "and no instance is made" eq "$(unik ps -a -q | wc -l)" "$n"
else
	skip_case "monitor user cases: not root, or no user unik (scripts/install-deps)"
fi
# A monitor that refuses an option (here --mem 99999, put first by a wrapper):
# the reason, not the guest's "exited", is the instance's message.
wrappers=
for prov in $provs; do
	if [ $prov = qemu ]; then
		printf '#!/bin/sh\nexec qemu-system-x86_64 -no-such-option "$@"\n' >"$T/refuse-qemu"
		wrappers+="[qemu]\nbinary = $T/refuse-qemu\n"
	else
		printf '#!/bin/sh\nexec "%s" --mem 99999 "$@"\n' "$BIN/unik-$prov" >"$T/refuse-$prov"
		wrappers+="[$prov]\nmonitor = $T/refuse-$prov\n"
	fi
	chmod +x "$T/refuse-$prov"
done
restart_with "$wrappers"
for prov in $provs; do
	out=$(timeout 60 "$BIN/unik" run --name "x-$prov" --provider $prov hello-c 2>&1)
	check "$prov refusing: unik run fails" test $? -ne 0
	msg=$(inst "x-$prov" message)
	if [ $prov = qemu ]; then
		# refused before its start returned: unik run says why, and no record is kept
		check "qemu refusing: unik run gives its words" contains "$out" "no-such-option"
		check "qemu refusing: the refused run left no instance" eq "$(unik ps -a | grep -c x-qemu)" 0
		continue
	else
		check "$prov refusing: the monitor's reason is the instance's message" \
			contains "$msg" "failed: unik-$prov: bad memory size '99999' (MiB, 2..3072)"
		check "$prov refusing: and no exit code is made up" eq "$(inst "x-$prov" exit_code)" None
		check "$prov refusing: unik run says why" contains "$out" "bad memory size '99999'"
		check "$prov refusing: unik wait says why" \
			contains "$("$BIN/unik" wait "x-$prov" 2>&1)" "failed: unik-$prov: bad memory size"
	fi
	check "$prov refusing: unik ps --json has it" contains "$(unik ps -a --json)" "$msg"
done
unik rm $(for prov in $provs; do [ $prov = qemu ] || echo "x-$prov"; done) >/dev/null
restart_with ''
# unik stop on every provider: SIGTERM reaches the program (its default
# action: 143); one that ignores it is killed after -t (137)
mkdir -p "$T/sleeper" "$T/stubborn"
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { puts("up"); fflush(stdout); sleep(300); return 0; }\n' >"$T/sleeper/main.c"
printf '#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(void) { signal(SIGTERM, SIG_IGN); puts("up"); fflush(stdout); for (;;) sleep(300); }\n' >"$T/stubborn/main.c"
unik build -t sleeper "$T/sleeper" >/dev/null 2>&1
unik build -t stubborn "$T/stubborn" >/dev/null 2>&1
up() { for _ in $(seq 1 300); do unik logs "$1" 2>/dev/null | grep -q '^up' && return 0; sleep 0.2; done; return 1; }
for prov in $provs; do
	unik run -d --name "g-$prov" --provider $prov sleeper >/dev/null && up "g-$prov"
	unik stop "g-$prov" >/dev/null
	check "$prov: unik stop is graceful: SIGTERM's default action, exit 143" eq "$(inst "g-$prov" exit_code)" 143
	unik run -d --name "k-$prov" --provider $prov stubborn >/dev/null && up "k-$prov"
	unik stop -t 1 "k-$prov" >/dev/null
	check "$prov: a program ignoring SIGTERM is killed after -t: exit 137" eq "$(inst "k-$prov" exit_code)" 137
	unik rm "g-$prov" "k-$prov" >/dev/null
done
unik rmi sleeper stubborn >/dev/null
out=$(unik run --provider spt -e EXIT_CODE=255 hello-c 2>&1)
check "a guest's own status 255 is its exit code" eq "$?" 255
check "with the message exited" eq "$(unik ps -a --json | python3 -c 'import json,sys; print([i["message"] for i in json.load(sys.stdin) if i["exit_code"] == 255])')" "['exited']"
unik rm $(unik ps -a -q) >/dev/null
for code in 1 0 3; do
	unik run --rm --name "rm-$code" --provider spt -e EXIT_CODE=$code hello-c >/dev/null 2>&1
	check "--rm: exit status $code is the program's" eq "$?" "$code"
	check "--rm: and the instance is removed after exit status $code" eq "$(unik ps -a | grep -c "rm-$code")" 0
done

unik run -d --name a1 hello-c >/dev/null
unik run -d --name a2 hello-c >/dev/null
unik wait a1 a2 >/dev/null
check "rm takes several refs" eq "$(unik rm a1 a2 | wc -l)" 2
check "rmi -f removes an image used by stopped instances" bash -c "'$BIN/unik' rmi -f ticker >/dev/null"
check "the image is gone" eq "$(unik images | grep -c ticker)" 0
check "rmi of an unknown image fails" bash -c "! '$BIN/unik' rmi ticker 2>/dev/null"
unik rm t1 >/dev/null
unik rmi hello-c >/dev/null
check "blobs are removed with their last image" eq "$(ls "$STATE/blobs/sha256" | wc -l)" 0
check "instance folders are removed" eq "$(ls "$STATE/instances" | wc -l)" 0
finish
