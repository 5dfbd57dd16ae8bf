#!/usr/bin/env bash
# t0008-build-sandbox: an uploaded Makefile that writes outside its folder,
# includes a root-only host file, opens a socket, fork-bombs, sleeps or burns
# CPU fails with a clear job error and leaves the host untouched; builds are
# cancelled by DELETE /v1/jobs/{id}, `unik build` Ctrl-C and SIGTERM of unikd
# (within 10 s), and kill -9 of unikd leaves no build process behind.
. "$(dirname "$0")/../lib/e2e.sh"
command -v python3 >/dev/null || skip "python3 is not installed"

tag=t0008-$$
secret=/root/unik-$tag-secret
[ "$(id -u)" -eq 0 ] || secret=$T/secret # a file of ours that no build may read
cat >>"$T/unikd.conf" <<'EOF'
[build]
timeout = 10
cpu_seconds = 2
processes = 64
output = 256K
EOF
cp "$T/unikd.conf" "$T/sandboxed.conf"

on_exit() {
	rm -f "$secret" "/root/unik-$tag-pwned" "/tmp/unik-$tag-outside" "/tmp/unik-$tag-planted"
	cleanup
}
trap on_exit EXIT
echo "SECRET-CONTENT-$$" >"$secret"
chmod 600 "$secret"
echo "PUBLIC-CONTENT-$$" >"$T/public.txt"
chmod 644 "$T/public.txt"

# Processes of this test's builds that are still running (not zombies):
# anything whose command line or working folder is in the state dir, the
# sandboxes' keepers, and the marked sleeps.
leftovers() {
	python3 - "$STATE" "${DAEMON_PID:-0}" <<'PY'
import os, sys
state, daemon = sys.argv[1], sys.argv[2]
for p in os.listdir("/proc"):
    if not p.isdigit() or p == daemon or int(p) == os.getpid():
        continue
    try:
        stat = open(f"/proc/{p}/stat").read()
        if stat[stat.rindex(")") + 2] == "Z":
            continue
        cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        comm = open(f"/proc/{p}/comm").read().strip()
        try:
            cwd = os.readlink(f"/proc/{p}/cwd")
        except OSError:
            cwd = ""
    except OSError:
        continue
    if comm == "unikd-keeper" and state in cmd or "sleep 100007" in cmd or \
            (state in cmd and "bwrap" in cmd) or cwd.startswith(state + "/"):
        print(p, comm, cmd[:80])
PY
}
no_leftovers() { # waits up to 3 s for the build's processes to be gone
	local left
	for _ in $(seq 1 30); do
		left=$(leftovers)
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	echo "    left running: $left"
	return 1
}

# submit DIR: starts a build through the API, prints the job id
submit() {
	tar -C "$1" -cf - . | curl -s --unix-socket "$SOCK" -X POST --data-binary @- \
		-H 'Content-Type: application/x-tar' "http://unik/v1/images?name=${2:-x}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
job_field() { # job_field ID FIELD (error.message for the message)
	curl -s --unix-socket "$SOCK" "http://unik/v1/jobs/$1" |
		python3 -c 'import json,sys; j=json.load(sys.stdin); [j:=(j.get(k) or {}) for k in sys.argv[1].split(".")]; print(j if j != {} else "")' "$2"
}
wait_make() { # until the build's make runs (its sandbox is up)
	for _ in $(seq 1 100); do
		pgrep -f "sleep 100007" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# a build that would run for ever without the sandbox's limits fails instead
ubuild() { timeout 60 "$BIN/unik" build "$@"; }
mkdir_make() { # mkdir_make NAME RECIPE-LINES...: a folder whose Makefile runs them
	local d=$T/$1
	shift
	mkdir -p "$d"
	{
		echo "SHELL := /bin/bash"
		echo "app:"
		for l in "$@"; do printf '\t%s\n' "$l"; done
	} >"$d/Makefile"
}

start_daemon
check "the daemon says how builds run" grep -q "builds run sandboxed (bubblewrap" "$T/unikd.log"
if grep -q "WARNING: builds will fail" "$T/unikd.log"; then
	grep WARNING "$T/unikd.log"
	skip "the build sandbox cannot start here"
fi

# --- normal builds still work ----------------------------------------------
for ex in hello-c http-c; do
	out=$(unik build -t "$ex" "$ROOT/examples/$ex" 2>&1)
	check "$ex builds in the sandbox" contains "$out" "Successfully built"
done
mkdir -p "$T/who"
printf 'int main(void) { return 0; }\n' >"$T/who/main.c"
printf 'app: main.c\n\t@echo "uid=$$(id -u)"\n\t$(CC) $(LDFLAGS) -o app main.c\n' >"$T/who/Makefile"
out=$(unik build -t who "$T/who" 2>&1)
check "a Makefile build works" contains "$out" "Successfully built"
if [ "$(id -u)" -eq 0 ]; then
	want=$(id -u unik-build 2>/dev/null || echo 65534)
	check "its tools ran as the build user, not root" contains "$out" "uid=$want"
fi

# --- (a) writing outside the build folder -------------------------------------
mkdir_make write "echo pwned > /tmp/unik-$tag-outside" "echo pwned > $STATE/pwned" \
	"echo pwned > $T/pwned" "echo pwned > /root/unik-$tag-pwned"
out=$(ubuild -t write "$T/write" 2>&1)
rc=$?
check "(a) a build writing outside its folder fails" eq "$rc" 1
check "(a) with the tool's error" contains "$out" "unik-$tag-pwned: No such file or directory"
check "(a) the host is untouched" bash -c "! ls /tmp/unik-$tag-outside '$STATE/pwned' '$T/pwned' /root/unik-$tag-pwned 2>/dev/null"

# the Makefile may write its own folder only, not where unikd then writes the
# image as root (a link planted there would lead unikd's writes to the host)
mkdir_make plant "ln -s /tmp/unik-$tag-planted ../out/vmlinuz || echo could not plant" \
	'printf "int main(void) { return 0; }\n" > main.c' '$(CC) $(LDFLAGS) -o app main.c'
out=$(ubuild -t plant --compiler linux "$T/plant" 2>&1)
check "(a) the Makefile cannot reach the image's folder" contains "$out" "could not plant"
check "(a) the build still works" contains "$out" "Successfully built"
check "(a) and unikd wrote nothing outside" test ! -e "/tmp/unik-$tag-planted"

# --- (b) reading host files ---------------------------------------------------
for f in "$secret" "$T/public.txt"; do
	mkdir -p "$T/incl"
	printf '#include "%s"\nint main(void) { return 0; }\n' "$f" >"$T/incl/main.c"
	out=$(ubuild -t incl "$T/incl" 2>&1)
	check "(b) #include \"$f\" fails" contains "$out" "$f: No such file or directory"
	check "(b) and none of it reaches the log" bash -c "! grep -rq 'CONTENT-$$' '$STATE/jobs'"
done

# --- (c) the network ----------------------------------------------------------
python3 - "$T/port" "$T/conns" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(0.2)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n, end = 0, time.time() + 60
while time.time() < end:
    try:
        s.accept()[0].close(); n += 1
        open(sys.argv[2], "w").write(str(n))
    except socket.timeout:
        pass
PY
LISTENER=$!
for _ in $(seq 1 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(cat "$T/port")
mkdir_make net "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $port), timeout=3); print(\"CONN\" + \"ECTED\")'"
out=$(ubuild -t net "$T/net" 2>&1)
rc=$?
check "(c) a build opening a socket to the host fails" eq "$rc" 1
check "(c) it could not connect" bash -c '[[ $1 != *CONNECTED* ]]' _ "$out"
check "(c) the host listener saw no connection" test ! -s "$T/conns"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

# --- (d)-(f) the limits -------------------------------------------------------
mkdir_make bomb 'bomb() { bomb | bomb & }; bomb; sleep 100007'
s=$(date +%s)
out=$(ubuild -t bomb "$T/bomb" 2>&1)
check "(d) a fork bomb fails with the process limit" contains "$out" \
	"the build reached its limit of 64 processes and threads at once (build.processes)"
check "(d) in a few seconds" test $(($(date +%s) - s)) -lt 9
check "(d) nothing of it is left" no_leftovers
mkdir_make sleep 'sleep 100007'
s=$(date +%s)
out=$(ubuild -t sleep "$T/sleep" 2>&1)
check "(e) a build that sleeps forever ends at build.timeout" contains "$out" \
	"the build ran longer than 10 s (build.timeout)"
check "(e) after 10 s" test $(($(date +%s) - s)) -lt 15
check "(e) nothing of it is left" no_leftovers
mkdir_make cpu 'while :; do :; done & while :; do :; done'
out=$(ubuild -t cpu "$T/cpu" 2>&1)
check "(f) burning CPU fails with the CPU limit" contains "$out" \
	"the build used more than 2 s of CPU time (build.cpu_seconds)"
mkdir_make flood 'yes flood'
out=$(ubuild -t flood "$T/flood" 2>&1)
check "(f) flooding the log fails with the output limit" contains "$out" \
	"the build printed more than 256 KB of output (build.output)"
size=$(stat -c %s "$(grep -l '"flood"' "$STATE"/jobs/*.events | head -1)")
check "(f) and the log stopped there ($size bytes)" test "$size" -lt $((400 * 1024))
check "the daemon is still answering" daemon_alive

# --- cancel: DELETE and Ctrl-C ------------------------------------------------
id=$(submit "$T/sleep")
wait_make
s=$(date +%s%N)
r=$(api DELETE "/v1/jobs/$id")
check "DELETE /v1/jobs/{id} of a running build: 200" eq "${r%% *}" 200
check "the job ended failed, cancelled" contains "$r" '"message":"the build was cancelled"'
check "at once" test $((($(date +%s%N) - s) / 1000000)) -lt 5000
check "nothing of it is left" no_leftovers
check "DELETE of a finished job: 409" json_error_is "$(api DELETE "/v1/jobs/$id")" 409 conflict
check "DELETE of an unknown job: 404" json_error_is "$(api DELETE /v1/jobs/nosuchjob)" 404 not_found
"$BIN/unik" build -t sleep "$T/sleep" >"$T/ctrlc.out" 2>&1 &
cli=$!
wait_make
kill -INT "$cli"
wait "$cli"
check "unik build Ctrl-C exits 130" eq "$?" 130
check "and says the build was cancelled" grep -q "the build was cancelled" "$T/ctrlc.out"
check "nothing of it is left" no_leftovers

# --- SIGTERM during a sleeping build ------------------------------------------
id=$(submit "$T/sleep")
wait_make
s=$(date +%s%N)
stop_daemon
check "SIGTERM: unikd stops within 10 s of a sleeping build" \
	test $((($(date +%s%N) - s) / 1000000)) -lt 10000
check "SIGTERM: nothing of the build is left" no_leftovers
start_daemon
check "SIGTERM: the job failed, saying why" eq "$(job_field "$id" error.message)" \
	"the build was stopped: the daemon is shutting down; build again"

# --- kill -9 during builds ----------------------------------------------------
for round in 1 2 3 4 5; do
	id=$(submit "$T/sleep")
	wait_make
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	check "kill -9 round $round: no build process is left" no_leftovers
	start_daemon
	check "kill -9 round $round: the job is failed after the restart" \
		eq "$(job_field "$id" state)" failed
done
check "the store is intact" eq "$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$STATE/unik.db")" ok
out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "and builds work again" contains "$out" "Successfully built"
stop_daemon

# --- without the sandbox ------------------------------------------------------
printf '[build]\nbwrap = /nonexistent/bwrap\n' >>"$T/unikd.conf"
start_daemon
out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "no bubblewrap: the build fails naming the cause" contains "$out" \
	"builds run sandboxed by bubblewrap, which is not installed"
stop_daemon
cp "$T/sandboxed.conf" "$T/unikd.conf"
printf 'sandbox = none\n' >>"$T/unikd.conf"
start_daemon
check "build.sandbox = none: a loud warning at start-up" \
	grep -q "WARNING: build.sandbox = none: builds are NOT sandboxed" "$T/unikd.log"
out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "build.sandbox = none: builds run" contains "$out" "Successfully built"
finish
