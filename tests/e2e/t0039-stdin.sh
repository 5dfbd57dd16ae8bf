#!/usr/bin/env bash
# t0039-stdin: `unik run -i`: the program's standard input from unik's (a
# pipe here, a terminal with -it).  The guest's read(0) blocks until input
# comes (hvt: HVT_CALL_CONSOLE_READ and POLL's HVT_READY_CONSOLE; spt: the
# monitor's stdin handed to the runtime), poll(2) on fd 0 sees it, the end
# of unik's input is the program's end of file, and a guest waiting for
# input costs no CPU.  The daemon side: "stdin": true at create and POST
# /v1/instances/{ref}/stdin (?close=1).
. "$(dirname "$0")/../lib/e2e.sh"
start_daemon

out=$(unik build -t calc "$ROOT/examples/calc-stdin" 2>&1)
check "build examples/calc-stdin" contains "$out" "Successfully built"

# CPU ticks (utime + stime) of process $1
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

provs="spt"
[ -c /dev/kvm ] && provs="spt hvt" || skip_case "hvt: no /dev/kvm here"
for prov in $provs; do
	out=$(printf '2 + 3\nhello\n7 * 6\n' | unik run -i --provider $prov calc)
	rc=$?
	check "$prov: answers to the piped lines" eq "$out" $'5\necho: hello\n42\nbye after 3 lines'
	check "$prov: the end of the input ends the program with its status" eq "$rc" 3
	out=$(printf '10 / 2\n1 - 4\n' | unik run -i --provider $prov calc poll)
	check "$prov: poll(2) on fd 0 sees the input" eq "$out|$?" $'5\n-3\nbye after 2 lines|2'
	out=$( (sleep 1; printf '3 * 3\n'; sleep 1; printf '4 * 4\n') |
		timeout 60 "$BIN/unik" run -i --provider $prov calc spin)
	check "$prov: input reaches a reader while another thread computes" eq "$out|$?" \
		$'9\n16\nbye after 2 lines|2'
	out=$(printf '1 + 2' | unik run -i --provider $prov calc)
	check "$prov: a last line without its newline" eq "$out" $'3\nbye after 1 lines'
	out=$(printf '1 + 1\n' | unik run --provider $prov calc)
	check "$prov: without -i the input is at its end at once" eq "$out|$?" "bye after 0 lines|0"

	# waiting for input: the guest sleeps (in the monitor / host ppoll)
	id=$(unik run -d -i --provider $prov --name "wait-$prov" calc)
	pid=$(api GET "/v1/instances/wait-$prov" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	sleep 1
	t0=$(ticks "$pid")
	sleep 2
	t1=$(ticks "$pid")
	# a guest that spun would take ~200 ticks in 2 s
	check "$prov: a guest waiting on standard input stays idle ($((t1 - t0)) ticks in 2 s)" \
		test $((t1 - t0)) -le 10
	out=$(api POST "/v1/instances/wait-$prov/stdin" --data-binary $'6 * 7\n')
	check "$prov: POST .../stdin takes the bytes" eq "$out" '200 {"written":6,"closed":false}'
	out=$(api POST "/v1/instances/wait-$prov/stdin?close=1" --data-binary 'x')
	check "$prov: ?close=1 ends the input" eq "$out" '200 {"written":1,"closed":true}'
	out=$(api POST "/v1/instances/wait-$prov/wait")
	check "$prov: ... and the program ends with its status" contains "$out" '"exit_code":2'
	check "$prov: ... having answered" eq "$(unik logs "wait-$prov")" \
		$'42\necho: x\nbye after 2 lines'
	out=$(api POST "/v1/instances/wait-$prov/stdin" --data-binary 'late')
	check "$prov: input to an exited instance: 409" json_error_is "$out" 409 conflict
done

# qemu: console input on COM4 (one case: TCG is slow here)
out=$(printf '2 + 3\nhello\n' | unik run -i --provider qemu calc poll)
check "qemu: answers to the piped lines, the end of the input (0x04 on COM4)" eq "$out|$?" \
	$'5\necho: hello\nbye after 2 lines|2'
out=$(api GET /v1/providers)
check "providers say which take a standard input" eq "$(python3 -c '
import json, sys
print(" ".join(p["name"] for p in json.loads(sys.argv[1].split(" ", 1)[1]) if "stdin" in p["capabilities"]))' "$out")" "qemu hvt spt"

# a lot of input: the pipe fills, the CLI sends the rest again
seq 1 20000 | sed 's/$/ + 1/' >"$T/many"
out=$(unik run -i --provider spt calc <"$T/many")
rc=$?
check "spt: 20000 lines: every answer" eq "$(grep -c . <<<"$out")" 20001
check "spt: ... the last one" eq "$(tail -n 2 <<<"$out")" $'20001\nbye after 20000 lines'
check "spt: ... the status (20000 mod 256)" eq "$rc" $((20000 % 256))

# refusals
unik run -d --provider spt --name noin calc >/dev/null
out=$(api POST "/v1/instances/noin/stdin" --data-binary 'x')
check "POST .../stdin to an instance made without stdin: 409" json_error_is "$out" 409 conflict
check "... saying so" contains "$out" "not created with an open standard input"
head -c $((1024 * 1024 + 1)) /dev/zero >"$T/big"
out=$(api POST "/v1/instances/noin/stdin" --data-binary @"$T/big")
check "POST .../stdin over 1 MiB: 413" json_error_is "$out" 413 too_large
out=$(api POST "/v1/instances/nosuch/stdin" --data-binary 'x')
check "POST .../stdin to no instance: 404" json_error_is "$out" 404 not_found
out=$(api POST /v1/instances -d '{"image": "calc", "provider": "libvirt", "stdin": true}')
check "\"stdin\": true on a provider without console input: 501" json_error_is "$out" 501 \
	not_supported
out=$(unik run -t calc 2>&1 </dev/null)
check "-t without -i: a usage error" eq "$?|$(grep -c 'goes with -i' <<<"$out")" "125|1"
out=$(api GET "/v1/instances/wait-spt")
check "the instance says its input was open" contains "$out" '"stdin":true'

# -it on a terminal: keys as typed, Ctrl-D ends the input, the terminal comes back
if python3 -c 'import pty' 2>/dev/null; then
	out=$(python3 - "$BIN/unik" <<'PY'
import os, pty, select, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "run", "-it", "--provider", "spt", "calc"])
before = termios.tcgetattr(fd)
got = b""
def read_until(want, secs):
    global got
    end = time.time() + secs
    while want not in got and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                got += os.read(fd, 4096)
            except OSError:
                break
# character mode: the line discipline no longer waits for the line
end = time.time() + 20
while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
    time.sleep(0.05)
print("canonical while running:", bool(termios.tcgetattr(fd)[3] & termios.ICANON))
os.write(fd, b"4 * 5\r")
read_until(b"20", 20)
os.write(fd, b"\x04")
read_until(b"bye after 1 lines", 20)
_, status = os.waitpid(pid, 0)
print("answer:", b"20\r\n" in got, "bye:", b"bye after 1 lines" in got)
print("status:", os.waitstatus_to_exitcode(status))
print("canonical after:", bool(termios.tcgetattr(fd)[3] & termios.ICANON))
# the detach keys: unik returns, the instance runs on
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "run", "-it", "--provider", "spt", "--name", "det", "calc"])
got = b""
end = time.time() + 20
while time.time() < end and termios.tcgetattr(fd)[3] & termios.ICANON:
    time.sleep(0.05)
os.write(fd, b"\x10\x11")
read_until(b"detached", 20)
_, status = os.waitpid(pid, 0)
print("detach:", b"detached from" in got, os.waitstatus_to_exitcode(status))
PY
)
	check "-it: the terminal in character mode while it runs" contains "$out" \
		"canonical while running: False"
	check "-it: the keys reach the program, Ctrl-D ends its input" contains "$out" \
		"answer: True bye: True"
	check "-it: the program's status" contains "$out" "status: 1"
	check "-it: the terminal is given back as it was" contains "$out" "canonical after: True"
	check "-it: Ctrl-P Ctrl-Q detaches (status 130)" contains "$out" "detach: True 130"
	out=$(api GET /v1/instances/det)
	check "... leaving the instance running" contains "$out" '"state":"running"'
	out=$(api POST "/v1/instances/det/stdin?close=1" --data-binary $'8 - 1\n')
	check "... its input still open for the API" eq "$out" '200 {"written":6,"closed":true}'
	out=$(api POST /v1/instances/det/wait)
	check "... which ends it" contains "$out" '"exit_code":1'
	check "... with the answer in its log" eq "$(unik logs det)" $'7\nbye after 1 lines'
else
	skip_case "-it: no python3 pty module"
fi

finish
