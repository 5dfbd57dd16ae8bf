#!/usr/bin/env bash
# t0006-http-hostile: issue 9's HTTP findings as a hostile client would send
# them.  Bad bytes in paths and queries (once fatal), NUL truncation, requests
# libmicrohttpd would answer in HTML, 1,100 idle TCP connections next to the
# unix socket, slow and idle clients, and parked waits and streams that cost
# no thread.  The daemon must answer every one with JSON (or, where only the
# library can answer, at all) and keep serving.
. "$(dirname "$0")/../lib/e2e.sh"
RAW="python3 $ROOT/tests/e2e/httpraw.py"
TOKEN=s3cret-token-0123456789
echo "$TOKEN" >"$T/token"
port=$((20000 + RANDOM % 20000))
AUTH="Authorization: Bearer $TOKEN"

# hostile TITLE STATUS CODE METHOD PATH [curl args]: a JSON error, and alive after
hostile() {
	local title=$1 status=$2 code=$3 m=$4 p=$5
	shift 5
	local r
	r=$(api "$m" "$p" "$@")
	check "$title: $status $code" json_error_is "$r" "$status" "$code"
	check "$title: the daemon still answers" daemon_alive
}

# raw TITLE WANT REQUEST: sends REQUEST as bytes; the answer starts with WANT
raw() {
	local r
	r=$($RAW send "$SOCK" "$3")
	check "$1: $2" contains "${r:0:${#2}}" "$2"
	check "$1: the daemon still answers" daemon_alive
}

# valid_json_error "<status> <body>": the body is JSON with a valid UTF-8 message
valid_json_error() {
	echo "${1#* }" | python3 -c 'import json,sys; e=json.loads(sys.stdin.buffer.read().decode("utf-8"))["error"]; assert e["code"] and e["message"]'
}

cat >>"$T/unikd.conf" <<EOF
[daemon]
max_connections = 1050
max_connections_per_client = 1100
http_header_timeout = 60
EOF
start_daemon --listen 127.0.0.1:$port --token-file "$T/token" --insecure

# ---- finding 1: one request killed the daemon ------------------------------
hostile "GET /v1/images/%ff%fe" 400 invalid_argument GET '/v1/images/%ff%fe'
for route in "DELETE /v1/images/%ff" "GET /v1/jobs/%ff%fe" "GET /v1/jobs/%ff/events" \
	"GET /v1/instances/%ff" "DELETE /v1/instances/%ff" "POST /v1/instances/%ff/stop" \
	"POST /v1/instances/%ff/start" "GET /v1/instances/%ff/logs" "POST /v1/instances/%ff/wait"; do
	hostile "$route" 400 invalid_argument ${route% *} "${route#* }"
done
hostile "GET /%ff" 400 invalid_argument GET '/%ff'
hostile "PUT /v1/%ff" 400 invalid_argument PUT '/v1/%ff'
hostile "POST /v1/images?name=%ff" 400 invalid_argument POST '/v1/images?name=%ff' \
	--data-binary 'x'
long=$(python3 -c 'print("%C3%A9" * 600)')
r=$(api GET "/v1/instances/$long")
check "GET /v1/instances/ + %C3%A9 x600: 404" eq "${r%% *}" 404
check "and its message is valid UTF-8, cut on a character" valid_json_error "$r"
check "the daemon still answers" daemon_alive
name=$(python3 -c 'print("\u00e9" * 600)')
r=$(api POST /v1/instances -H 'Content-Type: application/json' \
	--data-binary "{\"image\":\"nope\",\"name\":\"$name\"}")
check "POST /v1/instances with a name of 600 x é: 400" eq "${r%% *}" 400
check "and its message is valid UTF-8" valid_json_error "$r"
check "the daemon still answers" daemon_alive
r=$(curl -s -w '\n%{http_code}' -H "$AUTH" "http://127.0.0.1:$port/v1/images/%ff%fe")
check "over TCP too: 400" eq "${r##*$'\n'}" 400

# ---- finding 2: NUL truncation ----------------------------------------------
hostile "GET /v1/images/hello%00xyz (not 'hello')" 400 invalid_argument GET \
	'/v1/images/hello%00xyz'
check "it names the NUL" contains "$(api GET '/v1/images/hello%00xyz')" "NUL"
hostile "POST /v1/images?name=a%00b (not 'a')" 400 invalid_argument POST '/v1/images?name=a%00b' \
	--data-binary 'x'
check "no image was made" eq "$(api GET /v1/images)" "200 []"
check "no job was started" eq "$(ls "$STATE/jobs" | wc -l)" 0
hostile "a NUL in a query key" 400 invalid_argument GET '/v1/instances?al%00l=1'
raw "a raw NUL byte in the request line" \
	'400 application/json {"error":{"code":"invalid_argument","message":"the request line contains a NUL' \
	'GET /v1/images/hello\x00xyz HTTP/1.1\r\nHost: x\r\n\r\n'
hostile "a bad %-escape" 400 invalid_argument GET '/v1/images/%zz'
hostile "a cut %-escape" 400 invalid_argument GET '/v1/images/a%4'
hostile "an encoded / in a segment" 400 invalid_argument GET '/v1/images/a%2Fb'
raw "a space in the target" '400 application/json' \
	'GET /v1/images/a b HTTP/1.1\r\nHost: x\r\n\r\n'

# ---- finding 3: errors in HTML ----------------------------------------------
big=$(head -c 65536 /dev/zero | tr '\0' a)
hostile "a 64 KB header field" 431 too_large GET /v1/version -H "X-Big: $big"
url=$(head -c 100000 /dev/zero | tr '\0' b)
hostile "a 100 KB URL" 414 too_large GET "/v1/images/$url"
hostile "a 100 KB query" 414 too_large GET "/v1/images?name=$url"
raw "Content-Length over the JSON limit" '413 application/json' \
	'POST /v1/instances HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n'
raw "Content-Length over the upload limit" '413 application/json' \
	'POST /v1/images HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n'
raw "a body on a route without one" '400 application/json' \
	'GET /v1/version HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc'
raw "a method nobody serves" '405 application/json' \
	'BREW /v1/version HTTP/1.1\r\nHost: x\r\n\r\n'
raw "a method of invalid UTF-8" '405 application/json' \
	'\xff\xfe /v1/version HTTP/1.1\r\nHost: x\r\n\r\n'
raw "HTTP/1.0 without Host" '200 application/json' 'GET /v1/version HTTP/1.0\r\n\r\n'
# what libmicrohttpd answers itself (docs/security.md lists these): an answer,
# and the daemon lives on
raw "bad Content-Length syntax (the library's 400)" 400 \
	'POST /v1/instances HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'
raw "an overflowing Content-Length (the library's 413)" 413 \
	'POST /v1/instances HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n'
raw "a bad chunk size (the library's 400)" 400 \
	'POST /v1/instances HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
raw "HTTP/2.0 (the library's 505)" 505 'GET /v1/version HTTP/2.0\r\nHost: x\r\n\r\n'
raw "HTTP/1.1 without Host (the library lets it pass)" 200 'GET /v1/version HTTP/1.1\r\n\r\n'
raw "a header line without a colon (the library's 400)" 400 \
	'GET /v1/version HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n'
raw "a request line without a target (closed, no answer)" 0 'GET\r\n\r\n'

# ---- finding 4: connection exhaustion ---------------------------------------
[ "$(ulimit -n)" -ge 1300 ] || ulimit -n 4096 2>/dev/null
if [ "$(ulimit -n)" -lt 1300 ]; then
	echo "# SKIP flood: ulimit -n is $(ulimit -n)"
else
	mkfifo "$T/hold"
	$RAW flood "127.0.0.1:$port" 1100 <"$T/hold" >"$T/flood.out" 2>&1 &
	flood=$!
	exec 7>"$T/hold"
	for _ in $(seq 1 100); do grep -q open "$T/flood.out" && break; sleep 0.1; done
	sleep 1
	slowest=0
	for _ in $(seq 1 10); do
		t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$SOCK" http://x/v1/health)
		slowest=$(python3 -c "print(max($slowest, $t))")
	done
	check "1,100 idle TCP connections: the unix socket answers in < 100 ms (slowest ${slowest}s)" \
		python3 -c "assert $slowest < 0.1"
	fds=$(ls /proc/$DAEMON_PID/fd | wc -l)
	check "the daemon holds them past fd 1024 (epoll, not select): $fds fds" test "$fds" -gt 1030
	check "and stops at the global limit (1050)" test "$fds" -lt 1150
	check "a TCP client past the global limit gets no answer" bash -c \
		"! curl -sf -m 3 -H '$AUTH' http://127.0.0.1:$port/v1/version >/dev/null"
	exec 7>&-
	wait "$flood"
	check "the flood's connections were held open until it let go" contains \
		"$(cat "$T/flood.out")" "open 1100"
	ok=0
	for _ in $(seq 1 50); do
		curl -sf -m 2 -H "$AUTH" http://127.0.0.1:$port/v1/version >/dev/null && { ok=1; break; }
		sleep 0.1
	done
	check "TCP answers again once they are gone" eq "$ok" 1
fi
check "SIGTERM shuts down cleanly" stop_daemon

# slow and idle clients, and the per-client limit
cat >"$T/unikd.conf" <<EOF
[network]
mode = none
[daemon]
http_header_timeout = 2
http_idle_timeout = 3
max_connections_per_client = 20
EOF
start_daemon --listen 127.0.0.1:$port --token-file "$T/token" --insecure
t=$($RAW slow "127.0.0.1:$port" 10)
check "a slowloris (one header byte every 0.5 s) is cut off after the header timeout ($t s)" \
	python3 -c "assert '$t' != 'open' and 1.5 <= float('$t') < 5"
t=$($RAW slow "$SOCK" 10)
check "on the unix socket too ($t s)" python3 -c "assert '$t' != 'open' and float('$t') < 5"
t=$(python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $port)); s.settimeout(10); t = time.monotonic()
print('%.1f' % (time.monotonic() - t) if s.recv(1) == b'' else 'data')")
check "a connection that sends nothing is closed ($t s)" python3 -c "assert float('$t') < 5"
t=$(python3 -c "
import socket, time
s = socket.create_connection(('127.0.0.1', $port)); s.settimeout(15)
s.sendall(b'GET /v1/version HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $TOKEN\r\n\r\n')
s.recv(65536); t = time.monotonic()
print('%.1f' % (time.monotonic() - t) if s.recv(1) == b'' else 'data')")
check "an idle keep-alive connection is closed after the idle timeout ($t s)" \
	python3 -c "assert 2 <= float('$t') < 7"
mkfifo "$T/hold2"
$RAW flood "127.0.0.1:$port" 20 <"$T/hold2" >"$T/flood2.out" 2>&1 &
flood=$!
exec 8>"$T/hold2"
# until the 20 are up; then ask well within the 2 s header timeout that ends them
for _ in $(seq 100); do grep -q '^open' "$T/flood2.out" && break; sleep 0.1; done
check "a 21st connection from the same address gets no answer ($(cat "$T/flood2.out"))" bash -c \
	"! curl -sf -m 1 -H '$AUTH' http://127.0.0.1:$port/v1/version >/dev/null"
check "another client (127.0.0.2) is served meanwhile" eq "$(curl -s -m 3 --interface 127.0.0.2 \
	-o /dev/null -w '%{http_code}' -H "$AUTH" http://127.0.0.1:$port/v1/version)" 200
exec 8>&-
wait "$flood"
check "the daemon still answers" daemon_alive

# ---- parked requests: waits and follows cost no thread ----------------------
if ! curl -s --unix-socket "$SOCK" http://x/v1/providers | python3 -c '
import json, sys
sys.exit(0 if any(p["name"] == "spt" and p["usable"] for p in json.load(sys.stdin)) else 1)'; then
	echo "# SKIP parked requests: the spt provider is not usable here"
	finish
fi
stop_daemon
cat >"$T/unikd.conf" <<EOF
[network]
mode = none
[daemon]
http_workers = 4
EOF
start_daemon
mkdir -p "$T/ticker"
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts = {0, 300 * 1000 * 1000};
	for (int i = 1;; i++) {
		printf("tick %d\n", i);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
}
C
unik build -t ticker "$T/ticker" >/dev/null 2>&1
check "ticker built" eq "$?" 0
mkdir -p "$T/latin1"
printf '#include <stdio.h>\n#warning "caf\xe9"\nint main(void) { return 0; }\n' >"$T/latin1/main.c"
check "a build log line that is not UTF-8 reaches the client, escaped" \
	contains "$(unik build "$T/latin1" 2>&1)" 'warning "caf\xe9"'
unik run -d --provider spt --name forever ticker >/dev/null
check "it runs" contains "$(unik ps)" "forever"
pids=()
for i in $(seq 1 150); do
	curl -s -m 60 --unix-socket "$SOCK" -X POST http://x/v1/instances/forever/wait \
		-w '\n' >"$T/wait.$i" 2>/dev/null &
	pids+=($!)
done
for i in $(seq 1 100); do
	curl -sN -m 60 --unix-socket "$SOCK" "http://x/v1/instances/forever/logs?follow=1&tail=1" \
		>"$T/follow.$i" 2>/dev/null &
	pids+=($!)
done
sleep 3
threads=$(ls /proc/$DAEMON_PID/task | wc -l)
check "150 waits and 100 follows park: $threads threads (workers cap at 4)" test "$threads" -lt 20
t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$SOCK" http://x/v1/health)
check "and the API still answers at once ($t s)" python3 -c "assert $t < 0.5"
sleep 1
check "a follower receives the log as it grows" test "$(grep -c tick "$T/follow.1")" -ge 3
before=$(ls /proc/$DAEMON_PID/fd | wc -l)
for p in "${pids[@]:0:50}" "${pids[@]:150:50}"; do kill "$p" 2>/dev/null; done
sleep 1.5
after=$(ls /proc/$DAEMON_PID/fd | wc -l)
check "100 clients that hang up free their connections ($before -> $after fds)" \
	test "$after" -le $((before - 90))
unik stop -t 1 forever >/dev/null
bad=0
for p in "${pids[@]:50:100}" "${pids[@]:200:50}"; do wait "$p" || bad=$((bad + 1)); done
check "every remaining wait and follow ends with the instance" eq "$bad" 0
check "each wait answers its exit" eq "$(cat "$T"/wait.{51..150} | grep -c '"state":"exited"')" 100

# shutdown with parked requests: they end, the daemon stops promptly
unik start forever >/dev/null
for i in 1 2 3; do
	curl -s -m 60 --unix-socket "$SOCK" -X POST http://x/v1/instances/forever/wait \
		-w '\n%{http_code}' >"$T/swait.$i" 2>/dev/null &
	pids+=($!)
	curl -s -m 60 --unix-socket "$SOCK" "http://x/v1/instances/forever/logs?follow=1" \
		>"$T/sfollow.$i" 2>/dev/null &
	pids+=($!)
done
sleep 1
start=$(date +%s%N)
check "SIGTERM with parked requests shuts down cleanly" stop_daemon
ms=$((($(date +%s%N) - start) / 1000000))
check "within 10 s ($ms ms)" test "$ms" -lt 10000
bad=0
for p in "${pids[@]:250}"; do wait "$p" || bad=$((bad + 1)); done
check "every parked request ended" eq "$bad" 0
check "parked waits got a 503" eq "$(for i in 1 2 3; do tail -n1 "$T/swait.$i"; echo; done | sort -u)" 503
start_daemon
unik rm -f forever >/dev/null
finish
