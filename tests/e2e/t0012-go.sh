#!/usr/bin/env bash
# t0012-go: Go programs through the `go` compiler, end to end.  hello-go,
# tests/runtime/gostress and http-go are built once by `unik build` and run on
# each provider: spt, hvt (when /dev/kvm works) and qemu.  The builds have no
# network: a module with dependencies that are not vendored fails clearly, a
# vendored one builds.  http-go serves inside a network namespace this test
# creates (the daemon, its bridge and every client are in it, as in t0005):
# GET /, /env/NAME, 404, 405 on each provider, and 1,000 concurrent
# connections on spt.  gostress: 10,000 goroutines with timers and channels,
# the collector, preemption, signals and pipes on spt; fewer on hvt and qemu,
# whose trapped system calls are slow here (nested KVM, TCG).
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
command -v go >/dev/null || skip "the Go toolchain is not installed (apt-get install golang-go)"
LOADGEN=$TOOLS/../tools/loadgen
need_built "$LOADGEN"
KVM=no
[ -r /dev/kvm ] && [ -w /dev/kvm ] && KVM=yes
PROVIDERS="spt qemu"
[ $KVM = yes ] && PROVIDERS="spt hvt qemu" || skip_case "hvt: /dev/kvm is not usable here"
start_daemon

# --- hello-go ----------------------------------------------------------------
out=$(unik build -t hello-go "$ROOT/examples/hello-go" 2>&1)
check "hello-go builds" contains "$out" "Successfully built"
check "the go compiler is detected from go.mod" contains "$out" "compiler: go (detected)"
check "the build log says the socket parts are always linked" \
	contains "$out" "network stack and local sockets: linked (Go makes its sockets"
size=$(unik images --json | python3 -c 'import json,sys; print([i["size"] for i in json.load(sys.stdin) if i["name"]=="hello-go"][0])')
echo "# hello-go image: $size bytes"
check "hello-go is one small image (under 4 MB: $size bytes)" test "$size" -gt 0 -a "$size" -lt 4194304
want=$'hello from unik\narg[1]=a\narg[2]=b c\nGREETING=hi'
for p in $PROVIDERS; do
	out=$(unik run --provider "$p" -e GREETING=hi -e EXIT_CODE=3 hello-go a 'b c' 2>"$T/err")
	rc=$?
	check "$p: hello-go prints its arguments and environment" eq "$out" "$want"
	check "$p: hello-go's exit status is the run's" eq "$rc" 3
done
out=$(unik run --provider spt hello-go 2>&1)
check "no arguments: one line, exit 0" eq "$?:$out" "0:hello from unik"

# --- building: loose files, vendoring, errors ---------------------------------
mkdir -p "$T/loose"
cat >"$T/loose/main.go" <<'GO'
package main

import "fmt"

func main() { fmt.Println("loose", greeting()) }
GO
cat >"$T/loose/util.go" <<'GO'
package main

func greeting() string { return "files" }
GO
out=$(unik build -t loose "$T/loose" 2>&1)
check "a folder of *.go files without go.mod builds" contains "$out" "Successfully built"
check "and runs" eq "$(unik run --provider spt loose 2>&1)" "loose files"

mkdir -p "$T/needsdep"
printf 'module unik.test/needsdep\n\ngo 1.19\n\nrequire example.com/absent v1.0.0\n' >"$T/needsdep/go.mod"
printf 'package main\n\nimport "example.com/absent"\n\nfunc main() { absent.F() }\n' >"$T/needsdep/main.go"
out=$(unik build -t needsdep "$T/needsdep" 2>&1)
check "a module with a dependency that is not vendored fails" eq "$?" 1
check "saying to vendor it (builds have no network)" contains "$out" "go mod vendor"
check "no image was made" eq "$(unik images | grep -c needsdep)" 0

mkdir -p "$T/vendored/vendor/example.com/greet"
printf 'module unik.test/vendored\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n' >"$T/vendored/go.mod"
printf '# example.com/greet v1.0.0\n## explicit\nexample.com/greet\n' >"$T/vendored/vendor/modules.txt"
printf 'package greet\n\nfunc Hello() string { return "hello from a vendored module" }\n' \
	>"$T/vendored/vendor/example.com/greet/greet.go"
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n' \
	>"$T/vendored/main.go"
out=$(unik build -t vendored "$T/vendored" 2>&1)
check "a module with vendor/ builds with -mod=vendor" contains "$out" "-mod=vendor"
check "and runs" eq "$(unik run --provider spt vendored 2>&1)" "hello from a vendored module"

mkdir -p "$T/broken"
printf 'module unik.test/broken\n\ngo 1.19\n' >"$T/broken/go.mod"
printf 'package main\n\nfunc main() { undefinedThing() }\n' >"$T/broken/main.go"
out=$(unik build -t broken "$T/broken" 2>&1)
check "a compile error fails the build" eq "$?" 1
check "and shows the Go compiler's message" contains "$out" "undefinedThing"

mkdir -p "$T/cgo"
printf 'module unik.test/cgo\n\ngo 1.19\n' >"$T/cgo/go.mod"
printf 'package main\n\n// int two(void) { return 2; }\nimport "C"\n\nfunc main() { println(C.two()) }\n' \
	>"$T/cgo/main.go"
out=$(unik build -t cgo "$T/cgo" 2>&1)
check "cgo is refused (CGO_ENABLED=0)" eq "$?" 1
check "saying cgo is not supported" contains "$out" "uses cgo"

# --- goroutines, channels, timers, GC, preemption, signals -------------------
out=$(unik build -t gostress "$ROOT/tests/runtime/gostress" 2>&1)
check "gostress builds" contains "$out" "Successfully built"
stress() { # stress PROVIDER GOROUTINES
	local p=$1 n=$2 out rc part
	out=$(unik run --provider "$p" gostress "$n" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed -n 's/^\(goroutines\|gc\): \(.*[0-9].*\)/# '"$p"': \1: \2/p'
	check "$p: gostress $n: exit 0" eq "$rc" 0
	check "$p: $n goroutines each with a timer and a send all arrive" \
		contains "$out" "goroutines: $n started, each a timer and a send, all arrived"
	for part in goroutines pipeline selects gc preempt signals pipes files; do
		check "$p: gostress $part" contains "$out" "$part: ok"
	done
	check "$p: gostress: all passed" contains "$out" "gostress: ok"
}
stress spt 10000
[ $KVM = yes ] && stress hvt 200
stress qemu 1000

# --- http-go in a network namespace --------------------------------------------
[ "$(id -u)" -eq 0 ] || { skip_case "http-go: needs root for a network namespace"; finish; }
command -v ip >/dev/null || { skip_case "http-go: needs iproute2"; finish; }
stop_daemon
NS=unik-go-$$
ip netns add "$NS" || { skip_case "http-go: cannot create a network namespace"; finish; }
ip -n "$NS" link set lo up
trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
ip netns exec "$NS" "$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config /dev/null \
	--stop-timeout 5 >>"$T/unikd.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 100); do daemon_alive && break; sleep 0.1; done
check "the daemon runs in the namespace with a bridge" contains "$(cat "$T/unikd.log")" "network: bridge"
out=$(unik build -t http-go "$ROOT/examples/http-go" 2>&1)
check "http-go builds" contains "$out" "Successfully built"

get() { in_ns curl -s -m 10 "$@"; }
serve() { # serve PROVIDER: http-go's answers through the instance's address
	local p=$1 id addr ok n
	id=$(unik run -d --provider "$p" --name "web-$p" -e GREETING="hello-$p" http-go)
	check "$p: http-go runs detached" eq "${#id}" 64
	addr=$(unik ps --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="web-"+sys.argv[1]][0]["address"] or "")' "$p")
	check "$p: the instance has an address" contains "$addr" "10.87.0."
	ok=0
	for _ in $(seq 1 150); do get -o /dev/null "http://$addr:8080/" && { ok=1; break; }; sleep 0.2; done
	check "$p: http-go answers GET /" eq "$ok" 1
	check "$p: GET / is the page" contains "$(get "http://$addr:8080/")" "hello from a Go unikernel"
	check "$p: GET /env/GREETING is the environment variable" \
		eq "$(get "http://$addr:8080/env/GREETING")" "hello-$p"
	check "$p: GET /env/UNSET is 404" eq "$(get -o /dev/null -w '%{http_code}' "http://$addr:8080/env/UNSET")" 404
	check "$p: POST / is 405" eq "$(get -o /dev/null -w '%{http_code}' -X POST "http://$addr:8080/")" 405
	# (a generous timeout: on hvt every system call is slow here, and Go makes many)
	n=$(for _ in $(seq 1 50); do in_ns curl -s -m 120 -o /dev/null -w '%{http_code}\n' \
		"http://$addr:8080/env/GREETING" & done | grep -c '^200$'; wait)
	check "$p: 50 concurrent curls succeed" eq "$n" 50
	if [ "$p" = spt ]; then
		# 1,000 keep-alive connections open at once, then 5,000 requests
		# over them; and 1,000 at once, a new connection for each request
		out=$(ASAN_OPTIONS=detect_leaks=0 in_ns "$LOADGEN" -c 1000 -n 5000 -T 30000 -p / \
			-p /env/GREETING "$addr:8080" 2>&1)
		echo "$out" | sed 's/^/# /'
		check "spt: 1,000 concurrent connections, 5,000 requests, no errors" \
			contains "$out" "RESULT conns=1000 requests=5000 rps="
		check "spt: (no error of any kind)" contains "$out" " errors=0 "
		out=$(ASAN_OPTIONS=detect_leaks=0 in_ns "$LOADGEN" -c 1000 -n 3000 -C -T 30000 -p / \
			"$addr:8080" 2>&1)
		echo "$out" | sed 's/^/# /'
		check "spt: 1,000 concurrent one-request connections, 3,000 requests, no errors" \
			contains "$out" " errors=0 "
		check "spt: http-go still answers after the load" \
			eq "$(get "http://$addr:8080/env/GREETING")" "hello-$p"
	fi
	unik stop "web-$p" >/dev/null
	check "$p: stop ends http-go cleanly (its SIGTERM handler)" \
		contains "$(unik logs "web-$p" 2>&1)" "http-go: shut down"
	unik rm -f "web-$p" >/dev/null
}
for p in $PROVIDERS; do
	serve "$p"
done
check "the daemon still serves" daemon_alive
finish
