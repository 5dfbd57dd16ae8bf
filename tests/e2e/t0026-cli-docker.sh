#!/usr/bin/env bash
# t0026-cli-docker: the commands a Docker user reaches for (issue 17): inspect,
# kill, restart, ... each on spt, the fast provider.
. "$(dirname "$0")/../lib/e2e.sh"
help=$(unik --help)
for c in kill restart inspect; do
	check "unik --help lists $c" contains "$help" $'\n'"  $c "
done
start_daemon
mkdir -p "$T/sleeper"
cat >"$T/sleeper/sleeper.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	printf("up\n");
	fflush(stdout);
	for (;;)
		nanosleep(&ts, NULL);
}
C
unik build -t sleeper "$T/sleeper" >/dev/null 2>&1
check "sleeper image built" eq "$?" 0
unik build -t hello-c "$ROOT/examples/hello-c" >/dev/null 2>&1
check "hello-c image built" eq "$?" 0

# ---- inspect ----
unik run --provider spt --name done1 -e EXIT_CODE=3 hello-c >/dev/null 2>&1
out=$(unik inspect done1)
check "inspect: a JSON array of one" eq \
	"$(echo "$out" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a), a[0]["name"], a[0]["state"], a[0]["exit_code"])')" \
	"1 done1 exited 3"
out=$(unik inspect done1 hello-c)
check "inspect: an instance and an image" eq \
	"$(echo "$out" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a), a[0]["name"], a[1]["name"], "compiler" in a[1])')" \
	"2 done1 hello-c True"
check "inspect -f {{.Name}} {{.State}}" eq "$(unik inspect -f '{{.Name}} {{.State}}' done1)" "done1 exited"
check "inspect -f {{.ExitCode}} matches exit_code" eq "$(unik inspect -f '{{.ExitCode}}' done1)" 3
check "inspect -f {{json .Args}}" eq "$(unik inspect -f '{{json .args}}' hello-c)" \
	"$(unik inspect hello-c | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["args"],separators=(",",":")))')"
check "inspect -f nested and tab" eq "$(unik inspect -f '{{.name}}\t{{.Missing.X}}' done1)" $'done1\t<no value>'
out=$(unik inspect --type image done1 2>&1)
check "inspect --type image: no such image" contains "$out" "no such image: done1"
out=$(unik inspect done1 nosuch-t0026 2>"$T/err"); rc=$?
check "inspect: a missing ref is exit 1" eq "$rc" 1
check "inspect: says which" contains "$(cat "$T/err")" "no such object: nosuch-t0026"
check "inspect: the found ones still print" eq \
	"$(echo "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
out=$(unik inspect -f '{{range .}}' done1 2>&1); rc=$?
check "inspect -f outside the subset: usage error" eq "$rc" 2
check "inspect -f outside the subset: says so" contains "$out" "not in the subset"
unik volume create --size 1M t0026vol >/dev/null 2>&1 &&
	check "inspect finds a volume" eq "$(unik inspect -f '{{.name}}' t0026vol)" t0026vol

# ---- kill, restart ----
wait_state() { # wait_state REF STATE: up to 10 s
	for _ in $(seq 1 100); do
		[ "$(unik inspect -f '{{.State}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
unik run -d --provider spt --name k1 sleeper >/dev/null
check "kill: prints the ref" eq "$(unik kill k1)" k1
check "kill: the instance exited" eq "$(unik inspect -f '{{.State}}' k1)" exited
check "kill: SIGKILL's status" eq "$(unik inspect -f '{{.ExitCode}}' k1)" 137
out=$(unik kill k1 2>&1); rc=$?
check "kill: an exited instance is refused" eq "$rc" 1
check "kill: says it is not running" contains "$out" "not running"
unik run -d --provider spt --name k2 sleeper >/dev/null
check "kill -s TERM: the graceful stop" eq "$(unik kill -s SIGTERM k2)" k2
check "kill -s TERM: TERM's default action" eq "$(unik inspect -f '{{.ExitCode}}' k2)" 143
unik start k2 >/dev/null
out=$(unik kill -s HUP k2 2>&1); rc=$?
check "kill -s HUP: refused" eq "$rc" 1
check "kill -s HUP: says why" contains "$out" "cannot be delivered to a unikernel"
check "kill -s HUP: the instance still runs" eq "$(unik inspect -f '{{.State}}' k2)" running
check "kill -s BOGUS: an unknown signal" contains "$(unik kill -s BOGUS k2 2>&1)" "unknown signal"
check "POST .../kill?signal=USR1 (API): 400" json_error_is \
	"$(api POST '/v1/instances/k2/kill?signal=USR1')" 400 invalid_argument
check "POST .../kill?signal=9 (API)" contains "$(api POST '/v1/instances/k2/kill?signal=9' | tr -d ' ')" '"state":"exited"'
check "kill: a missing instance" contains "$(unik kill nosuch-t0026 2>&1)" "nosuch-t0026"

unik run -d --provider spt --name r1 sleeper >/dev/null
wait_state r1 running
pid1=$(unik inspect -f '{{.pid}}' r1)
started1=$(unik inspect -f '{{.started}}' r1)
check "restart -t 0: prints the ref" eq "$(unik restart -t 0 r1)" r1
check "restart: running again" eq "$(unik inspect -f '{{.State}}' r1)" running
check "restart: a new VM process" bash -c "[ '$(unik inspect -f '{{.pid}}' r1)' != '$pid1' ]"
unik kill r1 >/dev/null
check "restart: an exited instance starts" eq "$(unik restart r1)" r1
check "restart: running" eq "$(unik inspect -f '{{.State}}' r1)" running
check "restart: the log has the output of each of the 3 starts" eq "$(unik logs r1 | grep -c '^up$')" 3
unik rm -f r1 k2 >/dev/null

finish
