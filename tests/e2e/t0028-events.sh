#!/usr/bin/env bash
# t0028-events: the daemon's event stream (GET /v1/events, unik events):
# what is recorded, the since/until window, filters, formats, following.
. "$(dirname "$0")/../lib/e2e.sh"
start_daemon

# every event from the daemon's start until now, as JSON lines
all_events() { unik events --since 0 --until "$(date +%s.%N)" --format json "$@"; }
# ACTION NAME pairs of instance and image events
actions() { all_events "$@" | python3 -c '
import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print(e["type"], e["action"], e["name"])'; }

# a follower that runs the whole test
unik events --format json >"$T/follow.json" 2>"$T/follow.err" &
FOLLOW=$!
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	for (int i = 1;; i++) {
		printf("tick %d\n", i);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
}
C
# busy a fifth of the time: CPU to measure
mkdir -p "$T/busy"
cat >"$T/busy/busy.c" <<'C'
#include <stdio.h>
#include <time.h>
static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}
int main(void)
{
	struct timespec nap = {0, 800 * 1000 * 1000};
	volatile unsigned long x = 0;
	for (;;) {
		long long until = now_ms() + 200;
		while (now_ms() < until)
			x++;
		nanosleep(&nap, NULL);
	}
}
C

# ---- what is recorded ----------------------------------------------------
unik build -t hello-c "$ROOT/examples/hello-c" >/dev/null 2>&1
check "hello-c built" eq "$?" 0
unik build -t ticker "$T/ticker" >/dev/null 2>&1
check "ticker built" eq "$?" 0
unik run --provider spt --name e1 -e EXIT_CODE=3 hello-c >/dev/null 2>&1
check "the run exits 3" eq "$?" 3
unik rm e1 >/dev/null
unik run -d --provider spt --name e2 ticker >/dev/null
unik stop e2 >/dev/null
unik volume create --size 8M evvol >/dev/null
unik volume attach evvol e2 /data >/dev/null
unik volume detach evvol e2 >/dev/null
unik volume rm evvol >/dev/null
unik rm e2 >/dev/null
unik rmi ticker >/dev/null

got=$(actions)
check "a build and its tag" contains "$got" $'image build hello-c\nimage tag hello-c'
check "create, start, die and destroy of a run" contains "$(echo "$got" | grep ' e1$')" \
	$'instance create e1\ninstance start e1\ninstance die e1\ninstance destroy e1'
check "stop of a running instance: die, then stop" contains "$(echo "$got" | grep ' e2$')" \
	$'instance create e2\ninstance start e2\ninstance die e2\ninstance stop e2\ninstance destroy e2'
check "volume create, mount, unmount, destroy" eq "$(echo "$got" | grep '^volume')" \
	$'volume create evvol\nvolume mount evvol\nvolume unmount evvol\nvolume destroy evvol'
check "image delete" contains "$got" "image delete ticker"

# ---- the shape of an event --------------------------------------------------
die=$(all_events --filter name=e1 --filter event=die)
check "one die event of e1" eq "$(echo "$die" | wc -l)" 1
check "it carries the fields and the exit code" eq "$(echo "$die" | python3 -c '
import json, sys
e = json.loads(sys.stdin.read())
print(sorted(e), isinstance(e["time"], int), len(e["id"]), e["attributes"]["exit_code"],
      e["attributes"]["image"], e["attributes"]["provider"])')" \
	"['action', 'attributes', 'id', 'name', 'time', 'time_nano', 'type'] True 64 3 hello-c spt"
check "the time is now-ish" python3 -c "import sys,time; t=int(sys.argv[1]); assert abs(time.time()-t) < 600, t" \
	"$(echo "$die" | python3 -c 'import json,sys; print(json.load(sys.stdin)["time"])')"

# ---- filters ---------------------------------------------------------------
check "type=volume gives only volume events" eq "$(actions --filter type=volume | cut -d' ' -f1 | sort -u)" volume
check "two values of one key: either" eq "$(actions --filter type=instance --filter event=start --filter event=destroy | cut -d' ' -f2,3)" \
	$'start e1\ndestroy e1\nstart e2\ndestroy e2'
check "name=e2 and event=stop" eq "$(actions --filter name=e2 --filter event=stop)" "instance stop e2"
e1id=$(echo "$die" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "id=PREFIX" eq "$(actions --filter "id=${e1id:0:10}" | wc -l)" 4
check "a filter that matches nothing prints nothing" eq "$(all_events --filter name=nobody)" ""
check "an unknown filter key is 400" json_error_is "$(api GET '/v1/events?filter=colour=red')" 400 invalid_argument
check "a filter without = is 400" json_error_is "$(api GET '/v1/events?filter=type')" 400 invalid_argument
check "a since that is no time is 400" json_error_is "$(api GET '/v1/events?since=yesterday')" 400 invalid_argument
check "an until that is no time is 400" json_error_is "$(api GET '/v1/events?until=-5')" 400 invalid_argument
check "the CLI says so" contains "$(unik events --since soon 2>&1)" "not a time"

# ---- since and until -------------------------------------------------------
check "a since after everything gives nothing" eq \
	"$(unik events --since "$(date +%s)" --until "$(date +%s.%N)" --filter name=e1)" ""
check "a duration since (1h) takes them all" eq "$(unik events --since 1h --until "$(date +%s.%N)" --filter name=e1 | wc -l)" 4
check "since as RFC 3339" eq "$(unik events --since "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" --until "$(date +%s.%N)" --filter name=e1 | wc -l)" 4
check "until in the future: the stream ends there by itself" \
	timeout 60 "$BIN/unik" events --until "$(($(date +%s) + 2))"

# ---- formats ---------------------------------------------------------------
check "a template" eq "$(unik events --since 0 --until "$(date +%s.%N)" --filter event=die --filter name=e1 \
	--format '{{.Type}}/{{.Action}}/{{.Name}}/{{.Attributes.exit_code}}/{{.Nope}}')" "instance/die/e1/3/<no value>"
check "{{json .Attributes}}" contains "$(unik events --since 0 --until "$(date +%s.%N)" --filter event=die --filter name=e1 \
	--format '{{json .Attributes}}')" '"exit_code":"3"'
check "a bad template is a usage error" bash -c "'$BIN/unik' events --format '{{range .}}' 2>/dev/null; [ \$? -eq 2 ]"
plain=$(unik events --since 0 --until "$(date +%s.%N)" --filter event=die --filter name=e1)
check "the default line: time type action id (attributes, name)" python3 -c '
import re, sys
l = sys.argv[1]
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z instance die [0-9a-f]{64} \(.*exit_code=3, .*name=e1\)$", l), l' "$plain"

# ---- stats ---------------------------------------------------------------
unik build -t busy "$T/busy" >/dev/null 2>&1
unik run -d --provider spt --name st1 busy >/dev/null
pid=$(unik ps --json | python3 -c 'import json,sys; print([i["pid"] for i in json.load(sys.stdin) if i["name"]=="st1"][0])')
out=$(api GET /v1/instances/st1/stats)
check "stats of a running spt instance: 200" eq "${out%% *}" 200
check "its figures are the VM process's" python3 -c '
import json, sys
s = json.loads(sys.argv[1].split(" ", 1)[1]); pid = int(sys.argv[2])
st = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
tck = 100
cpu_now = (int(st[11]) + int(st[12])) * (10**9 // tck)
rss = [int(l.split()[1]) * 1024 for l in open("/proc/%d/status" % pid) if l.startswith("VmRSS:")][0]
assert s["pid"] == pid and s["name"] == "st1" and s["provider"] == "spt", s
assert 0 <= s["cpu_ns"] <= cpu_now, (s, cpu_now)
assert s["memory_bytes"] > 0 and s["memory_bytes"] < 100 * rss, (s, rss)
assert s["memory_limit_bytes"] > 0 and s["threads"] >= 1 and s["cpu_percent"] >= 0, s
assert s["interval_ms"] == 500, s' "$out" "$pid"
for _ in $(seq 1 30); do
	out=$(api GET /v1/instances/st1/stats)
	echo "${out#* }" | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["cpu_ns"] > 0 and s["cpu_percent"] > 0' 2>/dev/null && break
done
check "a busy guest's CPU time and percentage grow" python3 -c '
import json, sys
s = json.loads(sys.argv[1].split(" ", 1)[1])
assert s["cpu_ns"] > 0 and 0 < s["cpu_percent"] <= 100 * 64, s' "$out"
check "interval_ms=0 is taken" eq "$(api GET '/v1/instances/st1/stats?interval_ms=0' | cut -d' ' -f1)" 200
check "an interval over 10 s is 400" json_error_is "$(api GET '/v1/instances/st1/stats?interval_ms=99999')" 400 invalid_argument
check "an unknown instance is 404" json_error_is "$(api GET /v1/instances/nobody/stats)" 404 not_found
out=$(unik stats --no-stream st1)
check "unik stats --no-stream: a table" contains "$(echo "$out" | head -1)" "CPU%"
check "with the instance's row" contains "$(echo "$out" | sed -n 2p)" "st1"
check "all running ones without a ref" contains "$(unik stats --no-stream)" "st1"
check "--json" eq "$(unik stats --no-stream --json st1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["name"])')" st1
check "streaming refreshes until interrupted" bash -c "timeout 3 '$BIN/unik' stats st1 >'$T/stream'; [ \$? -eq 124 ] && [ \$(grep -c st1 '$T/stream') -ge 2 ]"
unik stop st1 >/dev/null
check "an exited instance: 409" json_error_is "$(api GET /v1/instances/st1/stats)" 409 conflict
check "and the CLI says it is not running" contains "$(unik stats --no-stream st1 2>&1)" "not running"
unik rm st1 >/dev/null

# ---- following ---------------------------------------------------------------
for _ in $(seq 1 100); do
	grep -q '"action":"destroy","id":"[0-9a-f]*","name":"st1"' "$T/follow.json" && break
	sleep 0.2
done
check "the follower saw the run's die as it happened" contains "$(cat "$T/follow.json")" '"action":"die"'
n=$(wc -l <"$T/follow.json")
check "it saw the last events, in order, as the kept ones" eq "$(cat "$T/follow.json")" "$(all_events | tail -n "$n")"
check "the stream is newline-delimited JSON" contains \
	"$(curl -s -D - -o /dev/null --unix-socket "$SOCK" "http://x/v1/events?until=1")" "application/x-ndjson"
check "the follower still runs" kill -0 "$FOLLOW"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null
# ---- restart policies --------------------------------------------------------
# inst NAME EXPR: EXPR over instance NAME's JSON (i)
inst() { unik ps -a --json | python3 -c "import json,sys; i=[i for i in json.load(sys.stdin) if i['name']==sys.argv[1]][0]; print($2)" "$1"; }
# wait_for NAME EXPR: until EXPR over NAME's JSON is True (60 s at most)
wait_for() { for _ in $(seq 1 300); do [ "$(inst "$1" "$2")" = True ] && return 0; sleep 0.2; done; return 1; }
check "a bad policy is 400" json_error_is "$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d '{"image":"hello-c","provider":"spt","restart":"sometimes"}')" 400 invalid_argument
check "on-failure:0 is 400" json_error_is "$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d '{"image":"hello-c","provider":"spt","restart":"on-failure:0"}')" 400 invalid_argument
check "the CLI refuses a bad policy (run's usage status, 125)" bash -c "'$BIN/unik' run --restart maybe hello-c 2>'$T/err'; [ \$? -eq 125 ]"
check "and says what it takes" contains "$(cat "$T/err")" "on-failure:N"
check "--rm with --restart always is refused" bash -c "'$BIN/unik' run --rm --restart always hello-c 2>/dev/null; [ \$? -eq 125 ]"

unik run -d --provider spt --name r1 --restart on-failure:3 -e EXIT_CODE=5 hello-c >/dev/null
check "on-failure:3 restarts a failing program three times, then leaves it" \
	wait_for r1 'i["restart_count"] == 3 and i["state"] == "exited"'
check "the instance shows its policy" eq "$(inst r1 'i["restart"], i["exit_code"], i["stopped_by_user"]')" "on-failure:3 5 False"
check "the backoff doubled from 100 ms" eq "$(inst r1 'i["restart_delay_ms"]')" 400
check "a restart event for each" eq "$(actions --filter name=r1 --filter event=restart | wc -l)" 3
check "with the count and the delay" eq "$(all_events --filter name=r1 --filter event=restart | python3 -c '
import json, sys
print([(e["attributes"]["restart_count"], e["attributes"]["delay_ms"]) for e in map(json.loads, sys.stdin)])')" \
	"[('1', '100'), ('2', '200'), ('3', '400')]"
check "four runs: four starts and four deaths" eq "$(actions --filter name=r1 --filter event=die --filter event=start | wc -l)" 8

unik run -d --provider spt --name r2 --restart on-failure -e EXIT_CODE=0 hello-c >/dev/null
wait_for r2 'i["state"] == "exited"'
sleep 1 # ten times the first backoff
check "on-failure does not restart a success" eq "$(inst r2 'i["restart_count"], i["state"]')" "0 exited"
check "nor does no policy" eq "$(inst e1 'i' 2>/dev/null; inst st1 'i' 2>/dev/null; echo none)" none

unik run -d --provider spt --name r3 --restart always -e EXIT_CODE=0 hello-c >/dev/null
check "always restarts a success too" wait_for r3 'i["restart_count"] >= 2'
unik stop r3 >/dev/null
check "a stop marks it stopped by the user" eq "$(inst r3 'i["stopped_by_user"], i["state"]')" "True exited"
n=$(inst r3 'i["restart_count"]')
sleep "$(inst r3 'min(i["restart_delay_ms"] * 2, 10000) / 1000 + 1')" # past the next backoff
check "and it is not restarted" eq "$(inst r3 'i["restart_count"], i["state"]')" "$n exited"
unik start r3 >/dev/null
check "a start clears the mark: the policy applies again" wait_for r3 "i['restart_count'] > $n and not i['stopped_by_user']"
unik stop r3 >/dev/null
unik run -d --provider spt --name r5 --restart always busy >/dev/null
unik kill r5 >/dev/null
check "a kill marks it too" eq "$(inst r5 'i["stopped_by_user"], i["state"]')" "True exited"
check "a kill event with the signal" eq "$(all_events --filter name=r5 --filter event=kill --format '{{.Action}} {{.Attributes.signal}}')" "kill KILL"
sleep 1 # ten times the first backoff
check "and no restart" eq "$(inst r5 'i["restart_count"], i["state"]')" "0 exited"
unik tag hello-c hello-again >/dev/null
check "unik tag: an image tag event" contains "$(actions --filter type=image --filter event=tag)" "image tag hello-again"

# a VM that ends while no daemon runs: the next one applies the policy
unik run -d --provider spt --name r4 --restart always busy >/dev/null
pid=$(inst r4 'i["pid"]')
check "SIGTERM stops the daemon" stop_daemon
kill -KILL "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
start_daemon
check "after a daemon restart, an instance that ended meanwhile is restarted" \
	wait_for r4 "i['state'] == 'running' and i['restart_count'] == 1 and i['pid'] != $pid"
check "with a restart event" eq "$(actions --filter name=r4 --filter event=restart)" "instance restart r4"
check "the policy survived the restart" eq "$(inst r4 'i["restart"]')" always
unik rm -f r1 r2 r3 r4 r5 >/dev/null

check "the daemon is fine" daemon_alive
finish
