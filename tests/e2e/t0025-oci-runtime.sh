#!/usr/bin/env bash
# t0025-oci-runtime: unik-runtime, the OCI runtime (docs/oci-runtime.md).
# hello-c and a program that waits for SIGTERM are built with unik; bundles
# are made by hand and driven through create/start/state/kill/delete (under
# tests/e2e/oci/shim.py, a child subreaper as containerd's shim is); hostile
# bundles are refused; a bundle without a unik image goes to runc with the
# same argv.  Then the same image as an OCI tar run by containerd (ctr run,
# runc shim v2 with BinaryName = unik-runtime) and by Docker (docker run
# --runtime unik, docker stop, docker rm), each engine started by the test.
. "$(dirname "$0")/../lib/e2e.sh"
RT=$BIN/unik-runtime
OCI=$ROOT/tests/e2e/oci
need_built "$RT" "$BIN/unik-spt"
need_tools python3 ip nsenter curl
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, containerd, dockerd)"
. "$ROOT/tests/lib/engines.sh"
NETNS=unik-t0025-$$ DKNS=unik-t0025-docker-$$ POD=unik-t0025-pod-$$ PEER=unik-t0025-peer-$$
engines_cleanup() {
	engines_stop
	ip netns del "$NETNS" 2>/dev/null
	ip netns del "$POD" 2>/dev/null
	ip netns del "$PEER" 2>/dev/null
	# the monitors of this test's containers (their state is under $T)
	# (and QEMU under its supervisor)
	local f p
	for f in "$T"/rtroot/*/unik.json; do
		[ -f "$f" ] || continue
		p=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$f")
		[ "${p:-0}" -gt 1 ] || continue
		pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	cleanup
}
trap engines_cleanup EXIT
start_daemon
RTROOT=$T/rtroot

mkdir -p "$T/waiter"
cat >"$T/waiter/waiter.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
static volatile sig_atomic_t term;
static void on_term(int s) { (void)s; term = 1; }
int main(void)
{
	signal(SIGTERM, on_term);
	printf("ready\n");
	fflush(stdout);
	while (!term)
		pause();
	printf("got SIGTERM\n");
	fflush(stdout);
	return 7;
}
C
unik build -t rt-hello "$ROOT/examples/hello-c" >"$T/build.log" 2>&1
check "hello-c built" eq "$?" 0
unik build -t rt-waiter "$T/waiter" >>"$T/build.log" 2>&1
check "the waiter built" eq "$?" 0
unik build -t rt-http "$ROOT/examples/http-c" >>"$T/build.log" 2>&1
check "http-c built" eq "$?" 0
kernel_of() { # the kernel blob of image $1
	local d
	d=$(unik images --json | python3 -c 'import json,sys; print([i["kernel"] for i in json.load(sys.stdin) if i["name"] == sys.argv[1]][0])' "$1" 2>/dev/null) || return 1
	echo "$STATE/blobs/sha256/${d#sha256:}"
}
HELLO_K=$(kernel_of rt-hello) && WAITER_K=$(kernel_of rt-waiter) && HTTP_K=$(kernel_of rt-http) ||
	{ echo "no kernels: $(cat "$T/build.log")"; finish; }

# bundle DIR KERNEL JSON-OF-OVERRIDES: rootfs/unik/{kernel,image.json} and a
# config.json (runc spec's shape) with the overrides merged in
bundle() {
	mkdir -p "$1/rootfs/unik"
	cp "$2" "$1/rootfs/unik/kernel"
	echo '{"format":"unik-elf","kernel":"kernel","initrd":null,"args":["dflt"]}' \
		>"$1/rootfs/unik/image.json"
	python3 - "$1/config.json" "$3" <<'PY'
import json, sys
c = {"ociVersion": "1.0.2", "root": {"path": "rootfs", "readonly": True},
     "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "cwd": "/",
                 "args": ["/unik/kernel"], "env": ["PATH=/bin"]},
     "hostname": "unik", "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
     "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]}}
def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
merge(c, json.loads(sys.argv[2]))
json.dump(c, open(sys.argv[1], "w"))
PY
}
rt() { "$RT" --root "$RTROOT" "$@"; }
status_of() { rt state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
# run_shim ID BUNDLE: create + start + wait in the background; $T/ID.out, $T/ID.status
run_shim() { python3 "$OCI/shim.py" "$RT" "$RTROOT" "$1" "$2" "$T/$1.out" "$T/$1.status" & }
wait_file() { # wait_file PATH [PATTERN]: up to 20 s
	for _ in $(seq 1 200); do
		[ -f "$1" ] && { [ -z "${2:-}" ] || grep -q "$2" "$1"; } && return 0
		sleep 0.1
	done
	return 1
}

# --- create / state / start / exit status / delete, by hand
bundle "$T/b1" "$HELLO_K" '{"process":{"args":["/unik/kernel","a","b"],"env":["GREETING=hi","EXIT_CODE=3"]}}'
rt create --bundle "$T/b1" --pid-file "$T/b1.pid" c1 >"$T/c1.out" 2>&1
check "create answers 0" eq "$?" 0
check "state says created" eq "$(status_of c1)" created
check "the pid file holds the state's pid" eq "$(cat "$T/b1.pid")" \
	"$(rt state c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')"
st=$(rt state c1)
check "state carries the bundle" contains "$st" "\"bundle\": \"$T/b1\""
check "state carries ociVersion" contains "$st" '"ociVersion"'
rt create --bundle "$T/b1" c1 >/dev/null 2>"$T/err"
check "a taken id is refused" eq "$?" 1
check "  saying it exists" contains "$(cat "$T/err")" "exists"
rt start c1
check "start answers 0" eq "$?" 0
wait_file "$T/c1.out" GREETING
check "the program's output is the container's stdout" eq "$(cat "$T/c1.out")" \
	$'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'
for _ in $(seq 1 50); do [ "$(status_of c1)" = stopped ] && break; sleep 0.1; done
check "state says stopped after the program's end" eq "$(status_of c1)" stopped
check "start of a stopped container is refused" bash -c "! '$RT' --root '$RTROOT' start c1 2>/dev/null"
rt delete c1
check "delete answers 0" eq "$?" 0
check "delete removes the state" test ! -e "$RTROOT/c1"
check "state of a deleted container fails" bash -c "! '$RT' --root '$RTROOT' state c1 2>/dev/null"

# the exit status, seen by a subreaper as containerd's shim sees it
run_shim c2 "$T/b1"
wait_file "$T/c2.status"
check "the monitor's exit status is the program's" eq "$(cat "$T/c2.status" 2>/dev/null)" 3
rt delete c2

# process.terminal: the pty's master goes to --console-socket
bundle "$T/bt" "$HELLO_K" '{"process":{"terminal":true,"args":["/unik/kernel","tty"]}}'
python3 "$OCI/console.py" "$T/console.sock" "$T/tty.out" &
CONSOLE_PID=$!
wait_file "$T/console.sock"
rt create --bundle "$T/bt" --console-socket "$T/console.sock" ct >/dev/null 2>"$T/err"
check "create with a terminal answers 0" eq "$?" 0
rt start ct
wait "$CONSOLE_PID"
check "the output comes through the terminal" eq "$(tr -d '\r' <"$T/tty.out")" $'hello from unik\narg[1]=tty'
check "  whose name was sent with it" contains "$(cat "$T/tty.out.name" 2>/dev/null)" /dev/pts/
rt delete ct
bundle "$T/bt2" "$HELLO_K" '{"process":{"terminal":true}}'
rt create --bundle "$T/bt2" ct2 >/dev/null 2>"$T/err"
check "a terminal without --console-socket is refused" contains "$(cat "$T/err")" "console-socket"

# the same image on hvt (annotation org.unik.provider)
if [ -c /dev/kvm ]; then
	bundle "$T/bh" "$HELLO_K" '{"process":{"args":["/unik/kernel","on-hvt"],"env":["EXIT_CODE=5"]},"annotations":{"org.unik.provider":"hvt"}}'
	run_shim chv "$T/bh"
	wait_file "$T/chv.status"
	check "hvt: the same output" eq "$(cat "$T/chv.out")" $'hello from unik\narg[1]=on-hvt'
	check "hvt: the program's exit status" eq "$(cat "$T/chv.status" 2>/dev/null)" 5
	rt delete chv
else
	skip_case "hvt: no /dev/kvm"
fi

# the same image on qemu: the container's process stays as QEMU's supervisor
if command -v qemu-system-x86_64 >/dev/null; then
	bundle "$T/bq" "$HELLO_K" '{"process":{"args":["/unik/kernel","on-qemu"],"env":["EXIT_CODE=4"]},"annotations":{"org.unik.provider":"qemu"}}'
	run_shim cq "$T/bq"
	wait_file "$T/cq.status"
	check "qemu: the same output" eq "$(cat "$T/cq.out")" $'hello from unik\narg[1]=on-qemu'
	check "qemu: the program's exit status (second serial port)" eq "$(cat "$T/cq.status" 2>/dev/null)" 4
	rt delete cq
	bundle "$T/bqw" "$WAITER_K" '{"annotations":{"org.unik.provider":"qemu"}}'
	run_shim cqw "$T/bqw"
	wait_file "$T/cqw.out" ready
	rt kill cqw TERM
	wait_file "$T/cqw.status"
	check "qemu: kill SIGTERM reaches the program (an NMI over QMP)" contains "$(cat "$T/cqw.out")" "got SIGTERM"
	check "qemu: and its handler's exit status" eq "$(cat "$T/cqw.status" 2>/dev/null)" 7
	rt delete cqw
	run_shim cqk "$T/bqw"
	wait_file "$T/cqk.out" ready
	qpid=$(pgrep -P "$(cat "$T/cqk.pid")" | head -1)
	rt delete --force cqk
	wait_file "$T/cqk.status"
	check "qemu: delete --force ends the supervisor" eq "$(cat "$T/cqk.status" 2>/dev/null)" 137
	for _ in $(seq 1 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
	check "qemu: and QEMU with it" bash -c "[ -n '$qpid' ] && ! kill -0 '$qpid' 2>/dev/null"
else
	skip_case "qemu: qemu-system-x86_64 is not installed"
fi

# process.args with only the program: the image's default arguments
bundle "$T/b3" "$HELLO_K" '{}'
run_shim c3 "$T/b3"
wait_file "$T/c3.status"
check "no arguments given: the image's defaults" eq "$(cat "$T/c3.out")" $'hello from unik\narg[1]=dflt'
check "  and exit 0" eq "$(cat "$T/c3.status" 2>/dev/null)" 0
rt delete c3

# kill SIGTERM is the graceful stop; memory from the limit; the netns joined
ip netns add "$NETNS"
bundle "$T/b4" "$WAITER_K" "{\"linux\":{\"resources\":{\"memory\":{\"limit\":$((48 << 20))}},\"namespaces\":[{\"type\":\"network\",\"path\":\"/var/run/netns/$NETNS\"}]}}"
# a configured monitor (spt.monitor) that notes its argv and execs unik-spt
printf '#!/bin/sh\necho "$@" >%s\nexec %s "$@"\n' "$T/mon.args" "$BIN/unik-spt" >"$T/mon.sh"
chmod +x "$T/mon.sh"
printf '[spt]\nmonitor = %s\n' "$T/mon.sh" >"$T/mon.conf"
UNIK_RUNTIME_CONFIG=$T/mon.conf run_shim c4 "$T/b4"
wait_file "$T/c4.out" ready
check "the waiter runs" eq "$(status_of c4)" running
pid=$(rt state c4 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
check "the pid is the monitor's" eq "$(readlink "/proc/$pid/exe")" "$(readlink -f "$BIN/unik-spt")"
check "the configured monitor ran" test -s "$T/mon.args"
check "guest memory from linux.resources.memory.limit" contains "$(cat "$T/mon.args")" "--mem 48 "
check "the monitor is in the bundle's network namespace" eq \
	"$(readlink "/proc/$pid/ns/net")" "$(ip netns exec "$NETNS" readlink /proc/self/ns/net)"
check "ps --format json lists the pid" eq "$(rt ps --format json c4)" "[$pid]"
rt delete c4 2>"$T/err"
check "delete of a running container is refused" contains "$(cat "$T/err")" "not stopped"
rt kill c4 SIGTERM
check "kill SIGTERM answers 0" eq "$?" 0
wait_file "$T/c4.status"
check "the guest got SIGTERM (its handler ran)" contains "$(cat "$T/c4.out")" "got SIGTERM"
check "  and its exit status is the handler's" eq "$(cat "$T/c4.status" 2>/dev/null)" 7
check "kill of a stopped container fails" bash -c "! '$RT' --root '$RTROOT' kill c4 KILL 2>/dev/null"
rt delete c4

# the pod's network: eth0's address goes to the guest through a tap (tc
# redirects), so a peer reaches the guest at the pod's address
ip netns add "$POD" && ip netns add "$PEER" &&
	ip link add eth0 netns "$POD" type veth peer name veth-peer netns "$PEER" &&
	ip -n "$POD" addr add 10.231.7.2/24 dev eth0 && ip -n "$POD" link set eth0 up &&
	ip -n "$POD" route add default via 10.231.7.1 &&
	ip -n "$PEER" addr add 10.231.7.1/24 dev veth-peer && ip -n "$PEER" link set veth-peer up
check "the pod's namespaces are made" eq "$?" 0
mac=$(ip -n "$POD" -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
echo "nameserver 10.231.7.53" >"$T/resolv.conf"
bundle "$T/bn" "$HTTP_K" "{\"process\":{\"env\":[\"GREETING=over-the-tap\",\"PORT=8080\"]},\"mounts\":[{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\",\"source\":\"$T/resolv.conf\"}],\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/var/run/netns/$POD\"}]}}"
UNIK_RUNTIME_CONFIG=$T/mon.conf run_shim cn "$T/bn"
wait_file "$T/cn.out" listening
out=
for _ in $(seq 1 50); do
	out=$(ip netns exec "$PEER" curl -s -m 2 http://10.231.7.2:8080/env/GREETING) && break
	sleep 0.2
done
check "a peer reaches the guest at the pod's address" eq "$out" over-the-tap
words=$(cat "$T/mon.args")
check "the guest has the pod's address and gateway" contains "$words" "unik.ip=10.231.7.2/24 unik.gw=10.231.7.1"
check "the guest's DNS from the mounted resolv.conf" contains "$words" "unik.dns=10.231.7.53"
check "the guest's MAC is eth0's" contains "$words" "--net-mac $mac"
check "eth0 gave its address away" bash -c "! ip -n '$POD' -4 addr show dev eth0 | grep -q 10.231.7.2"
rt kill cn TERM
wait_file "$T/cn.status"
rt delete cn

# delete --force of a running one; kill by number
run_shim c5 "$T/b4"
wait_file "$T/c5.out" ready
rt delete --force c5
check "delete --force ends a running container" eq "$?" 0
wait_file "$T/c5.status"
check "  by SIGKILL" eq "$(cat "$T/c5.status" 2>/dev/null)" 137
check "  and removes it" test ! -e "$RTROOT/c5"

# a created container deleted before start; hooks get the state on stdin
cat >"$T/hook.sh" <<SH
#!/bin/sh
cat >>"$T/hook.out"
echo " \$1" >>"$T/hook.out"
SH
chmod +x "$T/hook.sh"
bundle "$T/b6" "$HELLO_K" "{\"hooks\":{\"prestart\":[{\"path\":\"$T/hook.sh\",\"args\":[\"hook.sh\",\"pre\"]}],\"poststop\":[{\"path\":\"$T/hook.sh\",\"args\":[\"hook.sh\",\"post\"]}]}}"
rt create --bundle "$T/b6" c6 >/dev/null 2>&1
check "the prestart hook ran with the created state" contains "$(cat "$T/hook.out" 2>/dev/null)" '"status":"created"'
check "  and its arguments" contains "$(cat "$T/hook.out" 2>/dev/null)" " pre"
pid=$(rt state c6 | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
rt delete c6
check "delete of a created container ends its process" bash -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.Z' /proc/$pid/status"
check "the poststop hook ran at delete" contains "$(cat "$T/hook.out" 2>/dev/null)" " post"
bundle "$T/b7" "$HELLO_K" "{\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/false\"}]}}"
rt create --bundle "$T/b7" c7 >/dev/null 2>"$T/err"
check "a failing createRuntime hook fails create" eq "$?" 1
check "  and leaves no state" test ! -e "$RTROOT/c7"

# hostile bundles: clear errors, no state, nothing started
hostile() { # hostile TITLE ID WANT: create of $T/h must fail, saying WANT
	rt create --bundle "$T/h" "$2" >/dev/null 2>"$T/err"
	local rc=$?
	check "$1: refused" eq "$rc" 1
	check "$1: says why" contains "$(cat "$T/err")" "$3"
	check "$1: no state left" test ! -e "$RTROOT/$2"
}
rm -rf "$T/h" && bundle "$T/h" "$HELLO_K" '{}' && echo '{"ociVersion":' >"$T/h/config.json"
hostile "truncated config.json" h1 "config.json"
bundle "$T/h" "$HELLO_K" '{"process":{"args":"notalist"}}'
hostile "process.args not a list" h2 "process.args"
bundle "$T/h" "$HELLO_K" '{"process":{"env":["NOEQUALS"]}}'
hostile "env entry without =" h3 "KEY=VALUE"
bundle "$T/h" "$HELLO_K" '{"linux":{"resources":{"memory":{"limit":1024}}}}'
hostile "memory limit below the guest's least" h4 "at least"
bundle "$T/h" "$HELLO_K" '{}'
echo '{"format":"unik-elf","kernel":"../../etc/passwd"}' >"$T/h/rootfs/unik/image.json"
hostile "kernel naming another folder" h5 "file name"
echo '{"format":"unik-elf","kernel":"kernel"' >"$T/h/rootfs/unik/image.json"
hostile "truncated image.json" h6 "image.json"
echo '{"format":"unik-elf","kernel":"k2"}' >"$T/h/rootfs/unik/image.json"
ln -sf /etc/passwd "$T/h/rootfs/unik/k2"
hostile "kernel linked outside the rootfs" h7 "outside the rootfs"
rm -rf "$T/h/rootfs/unik" && ln -s "$T/b1/rootfs/unik" "$T/h/rootfs/unik"
hostile "the image folder linked outside the rootfs" h8 "outside the rootfs"
bundle "$T/h2" "$HELLO_K" '{"annotations":{"org.unik.provider":"xen"}}'
rt create --bundle "$T/h2" h9 >/dev/null 2>"$T/err"
check "an unknown provider is refused" contains "$(cat "$T/err")" "spt, hvt or qemu"
rt --log "$T/json.log" --log-format json create --bundle "$T/h2" h10 >/dev/null 2>&1
check "--log-format json: the error as a JSON line" python3 -c '
import json, sys
e = json.loads(open(sys.argv[1]).readline())
sys.exit(not (e["level"] == "error" and "spt, hvt or qemu" in e["msg"] and e["time"]))' "$T/json.log"
rt create --bundle "$T/b1" '../x' >/dev/null 2>"$T/err"
check "a bad container id is refused" contains "$(cat "$T/err")" "invalid container id"

# a bundle without a unik image: runc gets the same argv
mkdir -p "$T/plain/rootfs/bin"
python3 -c 'import json; json.dump({"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/bin/sh"]}}, open("'"$T"'/plain/config.json","w"))'
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s\n' "$T/fakerunc.args" >"$T/fakerunc"
chmod +x "$T/fakerunc"
printf '[runtime]\nrunc = %s\n' "$T/fakerunc" >"$T/rt.conf"
UNIK_RUNTIME_CONFIG=$T/rt.conf "$RT" --root "$RTROOT" --log "$T/rt.log" create --bundle "$T/plain" --pid-file "$T/p.pid" plain1
check "a plain bundle goes to runc" eq "$(tr '\n' ' ' <"$T/fakerunc.args" 2>/dev/null)" \
	"--root $RTROOT --log $T/rt.log create --bundle $T/plain --pid-file $T/p.pid plain1 "
rm -f "$T/fakerunc.args"
UNIK_RUNTIME_CONFIG=$T/rt.conf "$RT" --root "$RTROOT" kill plain1 9
check "so do commands on containers that are not unik's" eq \
	"$(tr '\n' ' ' <"$T/fakerunc.args" 2>/dev/null)" "--root $RTROOT kill plain1 9 "
check "features answers JSON" bash -c "'$RT' features | python3 -c 'import json,sys; json.load(sys.stdin)'"
check "--version names the spec" contains "$("$RT" --version)" "spec: "

# --- containerd 1.6: ctr image import + ctr run with BinaryName = unik-runtime
want=$'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'
python3 "$OCI/ociimage.py" "$HELLO_K" unik-hello:latest "$T/hello.tar"
python3 "$OCI/ociimage.py" "$WAITER_K" unik-waiter:latest "$T/waiter.tar"
if ! containerd_start; then
	skip_case "$ENGINE_WHY"
else
	ctr images import "$T/hello.tar" >"$CTD/import.log" 2>&1
	check "ctr images import of the OCI tar" eq "$?" 0
	out=$(ctr run --rm --runtime io.containerd.runc.v2 --runc-binary "$RT" \
		--runc-root "$CTD/runc" --env GREETING=hi --env EXIT_CODE=3 \
		docker.io/library/unik-hello:latest ctr1 /unik/kernel a b 2>"$CTD/run.err")
	rc=$?
	check "ctr run prints the program's output" eq "$out" "$want"
	check "ctr run exits with the program's status" eq "$rc" 3
	out=$(ctr run --rm --runc-binary "$RT" --runc-root "$CTD/runc" \
		docker.io/library/unik-hello:latest ctr2 2>>"$CTD/run.err")
	check "ctr run without a command: the image's Cmd" eq "$out" "hello from unik"
	# -t: the shim's console socket gets the pty (script(1) gives ctr a terminal;
	# the pty adds CRs, and echoes as "^@" a NUL that ctr writes to its input:
	# not the guest's output, as the direct console-socket case above shows)
	if command -v script >/dev/null; then
		out=$(timeout 60 script -qec "ctr -a '$CTD/ctd.sock' -n unik-test run -t --rm \
			--runc-binary '$RT' --runc-root '$CTD/runc' \
			docker.io/library/unik-hello:latest ctr3 /unik/kernel on-a-tty" /dev/null \
			</dev/null 2>>"$CTD/run.err" | tr -d '\r')
		out=${out//^@/}
		check "ctr run -t: the output through the container's terminal" eq "$out" \
			$'hello from unik\narg[1]=on-a-tty'
	else
		skip_case "ctr run -t: script(1) is not installed"
	fi
	check "ctr run leaves no container behind" eq "$(ctr containers ls -q)" ""
	[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$CTD/run.err" | tail -10
fi

# --- Docker: dockerd --add-runtime unik=unik-runtime, docker run/stop/rm
if ! dockerd_start "$DKNS"; then
	skip_case "$ENGINE_WHY"
else
	dk load -i "$T/hello.tar" >/dev/null 2>"$DK/load.err"
	check "docker load of the image tar" eq "$?" 0
	dk load -i "$T/waiter.tar" >/dev/null 2>>"$DK/load.err"
	out=$(timeout 60 "$DOCKER" -H "unix://$DK/docker.sock" run --rm --runtime unik \
		--network none -e GREETING=hi -e EXIT_CODE=3 unik-hello a b 2>"$DK/run.err")
	rc=$?
	check "docker run --runtime unik prints the program's output" eq "$out" "$want"
	check "docker run exits with the program's status" eq "$rc" 3
	dk run -d --runtime unik --network none --name w1 unik-waiter >/dev/null 2>>"$DK/run.err"
	for _ in $(seq 1 100); do dk logs w1 2>/dev/null | grep -q ready && break; sleep 0.1; done
	pid=$(dk inspect -f '{{.State.Pid}}' w1 2>/dev/null)
	check "docker run -d: running" eq "$(dk inspect -f '{{.State.Status}}' w1 2>/dev/null)" running
	dk stop -t 20 w1 >/dev/null 2>>"$DK/run.err"
	check "docker stop: the guest got SIGTERM" contains "$(dk logs w1 2>&1)" "got SIGTERM"
	check "docker stop: a graceful exit (the handler's status)" eq \
		"$(dk inspect -f '{{.State.ExitCode}}' w1 2>/dev/null)" 7
	dk rm w1 >/dev/null 2>>"$DK/run.err"
	check "docker rm leaves nothing running" bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"
	# Docker's bridge network: the guest answers at the container's address
	python3 "$OCI/ociimage.py" "$HTTP_K" unik-http:latest "$T/http.tar"
	dk load -i "$T/http.tar" >/dev/null 2>>"$DK/load.err"
	dk run -d --runtime unik -e GREETING=on-docker0 -e PORT=8080 --name h1 unik-http \
		>/dev/null 2>>"$DK/run.err"
	ip=$(dk inspect -f '{{.NetworkSettings.IPAddress}}' h1 2>/dev/null)
	out=
	for _ in $(seq 1 50); do
		[ -n "$ip" ] && out=$(ip netns exec "$DKNS" curl -s -m 2 "http://$ip:8080/env/GREETING") && break
		sleep 0.2
	done
	check "docker run on the bridge: the guest answers at the container's address" eq "$out" on-docker0
	dk rm -f h1 >/dev/null 2>>"$DK/run.err"
	check "docker rm leaves no container" eq "$(dk ps -aq)" ""
	[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$DK/run.err" | tail -10
fi

# --- Podman: --runtime unik-runtime (conmon calls it), storage under $T
if ! podman_setup; then
	skip_case "$ENGINE_WHY"
else
	if ! pm load -i "$T/hello.tar" >"$PM/load.log" 2>&1; then
		skip_case "podman: cannot load an image here: $(tail -2 "$PM/load.log")"
	else
		out=$(pm run --rm --runtime "$RT" --network none -e GREETING=hi -e EXIT_CODE=3 \
			docker.io/library/unik-hello:latest a b 2>"$PM/run.err")
		rc=$?
		check "podman run --runtime prints the program's output" eq "$out" "$want"
		check "podman run exits with the program's status" eq "$rc" 3
		pm load -i "$T/waiter.tar" >>"$PM/load.log" 2>&1
		pm run -d --runtime "$RT" --network none --name w2 docker.io/library/unik-waiter:latest \
			>/dev/null 2>>"$PM/run.err"
		for _ in $(seq 1 100); do pm logs w2 2>/dev/null | grep -q ready && break; sleep 0.1; done
		pm stop -t 20 w2 >/dev/null 2>>"$PM/run.err"
		check "podman stop: the guest got SIGTERM" contains "$(pm logs w2 2>&1)" "got SIGTERM"
		check "podman stop: the handler's exit status" eq \
			"$(pm inspect -f '{{.State.ExitCode}}' w2 2>/dev/null)" 7
		pm rm w2 >/dev/null 2>>"$PM/run.err"
		check "podman rm leaves no container" eq "$(pm ps -aq)" ""
		[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$PM/run.err" | tail -10
	fi
fi
finish
