#!/usr/bin/env bash
# t0032-console: the program's two output streams stay apart on hvt, spt and
# qemu (a second console: abi/hvt_abi.h HVT_CALL_CONSOLE_ERR, the spt boot
# info's console_err_fd, COM3 on qemu): `unik run` and `unik logs` write the guest's standard error
# to their standard error, the API marks each chunk's stream (?framed=1,
# Docker's multiplexed framing) or serves one stream (?stream=).
. "$(dirname "$0")/../lib/e2e.sh"
start_daemon

mkdir -p "$T/streams" "$T/crash"
cat >"$T/streams/main.c" <<'C'
#include <stdio.h>
int main(void)
{
	puts("out 1");
	fflush(stdout);
	fputs("err 1\n", stderr);
	puts("out 2");
	fflush(stdout);
	fprintf(stderr, "err 2\n");
	return 4;
}
C
cat >"$T/crash/main.c" <<'C'
#include <stdio.h>
int main(void)
{
	volatile int *p = 0;
	puts("before");
	fflush(stdout);
	return *p;
}
C
out=$(unik build -t streams "$T/streams" 2>&1)
check "build streams" contains "$out" "Successfully built"
out=$(unik build -t crash "$T/crash" 2>&1)
check "build crash" contains "$out" "Successfully built"

provs="spt"
[ -c /dev/kvm ] && provs="spt hvt"
for prov in $provs; do
	out=$(unik run --name "s-$prov" --provider $prov streams 2>"$T/err")
	rc=$?
	check "$prov: run's stdout has only the program's stdout" eq "$out" $'out 1\nout 2'
	check "$prov: run's stderr has the program's stderr" eq "$(cat "$T/err")" $'err 1\nerr 2'
	check "$prov: the guest's status" eq "$rc" 4
	out=$(unik logs "s-$prov" 2>"$T/err")
	check "$prov: logs: stdout" eq "$out" $'out 1\nout 2'
	check "$prov: logs: stderr" eq "$(cat "$T/err")" $'err 1\nerr 2'
	out=$(unik logs --tail 1 "s-$prov" 2>"$T/err")
	check "$prov: logs --tail 1: the last line of each" eq "$out|$(cat "$T/err")" "out 2|err 2"

	out=$(unik run --provider $prov crash 2>"$T/err")
	check "$prov: a crash: stdout keeps the program's line" eq "$out" "before"
	check "$prov: ... the runtime's fatal lines are on stderr" contains "$(cat "$T/err")" \
		"fatal: page fault"
	check "$prov: ... and not on stdout" eq "$(grep -c fatal <<<"$out")" 0
	check "$prov: the guest's own lines begin 'unikernel:', not the CLI's 'unik:'" \
		eq "$(grep -c '^unik:' "$T/err")|$(grep -c '^unikernel: fatal: page fault' "$T/err")" "0|1"
done

out=$(api GET "/v1/instances/s-spt/logs?stream=stderr")
check "?stream=stderr: only standard error" eq "$out" $'200 err 1\nerr 2'
out=$(api GET "/v1/instances/s-spt/logs?stream=stdout")
check "?stream=stdout: only standard output" eq "$out" $'200 out 1\nout 2'
out=$(api GET "/v1/instances/s-spt/logs?stream=both")
check "?stream=both: 400" json_error_is "$out" 400 invalid_argument
check "... naming the choices" contains "$out" "stream must be stdout, stderr or all"

# ?framed=1: every chunk behind [stream, 0, 0, 0, length (big endian)]
curl -s --unix-socket "$SOCK" -D "$T/headers" -o "$T/framed" "http://unik/v1/instances/s-spt/logs?framed=1"
check "framed: content type" contains "$(cat "$T/headers")" \
	"Content-Type: application/vnd.docker.multiplexed-stream"
out=$(python3 - "$T/framed" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
streams = {1: b"", 2: b""}
while data:
    kind, n = data[0], struct.unpack(">I", data[4:8])[0]
    assert data[1:4] == b"\0\0\0" and kind in streams and 8 + n <= len(data), data[:8]
    streams[kind] += data[8:8 + n]
    data = data[8 + n:]
print(repr(streams[1].decode()), repr(streams[2].decode()))
PY
)
check "framed: the chunks rebuild both streams" eq "$out" "'out 1\\nout 2\\n' 'err 1\\nerr 2\\n'"

# qemu: a second serial port (COM3) is the second console
if command -v qemu-system-x86_64 >/dev/null; then
	out=$(unik run --name s-qemu --provider qemu streams 2>"$T/err")
	check "qemu: run's stdout has only the program's stdout" eq "$out" $'out 1\nout 2'
	check "qemu: run's stderr has the program's stderr" eq "$(cat "$T/err")" $'err 1\nerr 2'
	out=$(unik logs s-qemu 2>"$T/err")
	check "qemu: logs: both streams apart" eq "$out|$(cat "$T/err")" $'out 1\nout 2|err 1\nerr 2'
else
	skip_case "qemu: the second serial port" "no qemu-system-x86_64"
fi

# Docker commands without a counterpart say what a unikernel offers instead
out=$(unik exec s-spt sh 2>&1)
check "exec: usage status" eq "$?" 2
check "exec: says there is none, and why" contains "$out" "there is no 'unik exec': a unikernel runs one program"
check "exec: names logs, env and files instead" bash -c \
	'grep -q "unik logs -f" <<<"$1" && grep -q -- "-e KEY=VALUE" <<<"$1" && grep -q "files/" <<<"$1"' _ "$out"
out=$(unik attach s-spt 2>&1)
check "attach: says the console is a log, names logs -f" bash -c \
	'grep -q "there is no .unik attach." <<<"$1" && grep -q "unik logs -f" <<<"$1"' _ "$out"
out=$(unik frobnicate 2>&1)
check "another unknown command: as before" contains "$out" "'frobnicate' is not a unik command"
finish
