#!/usr/bin/env bash
# t0003-lifecycle: run -d, logs -f, ps, wait, stop, start, rm, rmi, and a daemon
# restart in the middle that keeps every record and adopts the running VM.
. "$(dirname "$0")/lib.sh"
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
