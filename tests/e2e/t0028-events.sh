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

# ---- following ---------------------------------------------------------------
for _ in $(seq 1 100); do
	grep -q '"action":"destroy","id":"[0-9a-f]*","name":"e2"' "$T/follow.json" && break
	sleep 0.2
done
check "the follower saw the run's die as it happened" contains "$(cat "$T/follow.json")" '"action":"die"'
n=$(wc -l <"$T/follow.json")
check "it saw the last events, in order, as the kept ones" eq "$(cat "$T/follow.json")" "$(all_events | tail -n "$n")"
check "the stream is newline-delimited JSON" contains \
	"$(curl -s -D - -o /dev/null --unix-socket "$SOCK" "http://x/v1/events?until=1")" "application/x-ndjson"
check "the follower still runs" kill -0 "$FOLLOW"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null
check "the daemon is fine" daemon_alive
finish
