#!/usr/bin/env bash
# t0010-crash-safety: unikd killed with SIGKILL at random moments while clients
# create, run, stop and remove instances (hvt, spt, and qemu when it boots here),
# five rounds.  After each restart: every VM process of this test belongs to an
# instance the API shows running with that pid, every running instance has its
# VM, every instance folder has a record and the other way round, `rm -f` of
# everything leaves no process and no folder, and SQLite's integrity_check is ok.
. "$(dirname "$0")/../lib/e2e.sh"
ROUNDS=${T0010_ROUNDS:-5}
PROVIDERS=spt
[ -c /dev/kvm ] && PROVIDERS="hvt $PROVIDERS"
command -v qemu-system-x86_64 >/dev/null && PROVIDERS="$PROVIDERS qemu"

start_daemon
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 500 * 1000 * 1000};
	for (int i = 1;; i++) {
		printf("tick %d\n", i);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
}
C
unik build -t ticker "$T/ticker" >/dev/null 2>&1 || { echo "building ticker failed"; exit 1; }
unik build -t hello "$ROOT/examples/hello-c" >/dev/null 2>&1 || { echo "building hello failed"; exit 1; }
for p in $PROVIDERS; do
	out=$(timeout 60 "$BIN/unik" run --provider $p -m 16 hello 2>&1)
	[ "$out" = "hello from unik" ] || { echo "# $p does not run here: $out"; PROVIDERS=${PROVIDERS/$p/}; }
done
[ -n "${PROVIDERS// /}" ] || skip "no provider runs images here"
echo "# providers: $PROVIDERS"

# The VM processes of this test, as "PID ID" lines: processes that name an
# instance folder of $STATE on their command line or in their stdout/stderr
# (the monitors, qemu), except the daemon itself.
vm_processes() {
	python3 - "$STATE/instances/" "${DAEMON_PID:-0}" <<'PY'
import os, re, sys
pat = re.compile(re.escape(sys.argv[1]) + r"([0-9a-f]{64})")
daemon = sys.argv[2]
for pid in filter(str.isdigit, os.listdir("/proc")):
    if pid == daemon:
        continue
    texts = []
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            texts.append(f.read().replace(b"\0", b" ").decode(errors="replace"))
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                continue
        for fd in ("1", "2"):
            texts.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    except OSError:
        pass
    ids = {m.group(1) for t in texts for m in pat.finditer(t)}
    for i in ids:
        print(pid, i)
PY
}

# Checks the invariants; prints what is wrong, returns 1 if anything is.
consistent() {
	local procs insts
	procs=$(vm_processes)
	insts=$(curl -sf --unix-socket "$SOCK" 'http://x/v1/instances?all=1') || { echo "    API down"; return 1; }
	python3 - "$STATE/instances" "$procs" "$insts" <<'PY'
import json, os, sys
folder, procs, insts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
by_id = {i["id"]: i for i in insts}
bad = []
seen = {}
for line in procs.splitlines():
    pid, iid = line.split()
    seen.setdefault(iid, set()).add(int(pid))
    i = by_id.get(iid)
    if not i:
        bad.append(f"process {pid} of instance {iid[:12]} has no record")
    elif i["state"] not in ("running", "stopping") or i.get("pid") != int(pid):
        bad.append(f"process {pid} of {i['name']} ({iid[:12]}): the record says {i['state']}, pid {i.get('pid')}")
for i in insts:
    if i["state"] == "starting":
        bad.append(f"{i['name']} is still 'starting' after reconciliation")
    if i["state"] in ("running", "stopping") and i.get("pid") not in seen.get(i["id"], ()):
        bad.append(f"{i['name']} is {i['state']} with pid {i.get('pid')}, which is no VM of it")
    if not os.path.isdir(os.path.join(folder, i["id"])):
        bad.append(f"{i['name']} has no folder")
for d in os.listdir(folder):
    if d not in by_id:
        bad.append(f"folder {d[:12]} has no record")
for b in bad:
    print("    " + b)
sys.exit(1 if bad else 0)
PY
}

integrity() {
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$STATE/unik.db"
}

# Client loops, until $T/stop exists (each ends its request first, so none
# reaches the next daemon): runs on one provider (long and short guests),
# stops of a random running instance, removals of a random one.
cli() { timeout 30 "$BIN/unik" "$@" 2>/dev/null; }
run_loop() {
	while [ ! -e "$T/stop" ]; do
		cli run -d --provider "$1" -m 16 ticker >/dev/null
		cli run -d --provider "$1" -m 16 hello >/dev/null
	done
}
pick() { cli ps ${1:-} -q | shuf -n 1; }
stop_loop() {
	while [ ! -e "$T/stop" ]; do
		id=$(pick) && [ -n "$id" ] && cli stop -t 0 "$id" >/dev/null
		sleep 0.1
	done
}
rm_loop() {
	while [ ! -e "$T/stop" ]; do
		id=$(pick -a) && [ -n "$id" ] && cli rm -f "$id" >/dev/null
		sleep 0.05
	done
}

killed_during=()
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$T/stop"
	loops=()
	for p in $PROVIDERS; do
		run_loop "$p" &
		loops+=($!)
	done
	stop_loop &
	loops+=($!)
	rm_loop &
	loops+=($!)
	# a random moment: 0.4 .. 2.0 s into the load
	sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.4 + (r % 160) / 100 }')"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	touch "$T/stop"
	for l in "${loops[@]}"; do wait "$l" 2>/dev/null; done
	start_daemon
	n=$(unik ps -a -q | wc -l)
	killed_during+=("$n")
	check "round $round: after kill -9 and restart, records and processes agree ($n instances)" consistent
	check "round $round: SQLite integrity_check is ok" eq "$(integrity)" ok
	check "round $round: rm -f of everything" bash -c "ids=\$('$BIN/unik' ps -a -q); [ -z \"\$ids\" ] || '$BIN/unik' rm -f \$ids >/dev/null"
	check "round $round: leaves no VM process" eq "$(vm_processes | wc -l)" 0
	check "round $round: and no instance folder" eq "$(ls "$STATE/instances" | wc -l)" 0
done
echo "# instances at each restart: ${killed_during[*]}"
grep -E "start interrupted|stop was interrupted|has no record|leftover" "$T/unikd.log" | sed 's/^/# /' | head -20
check "the daemon still serves" daemon_alive
finish
