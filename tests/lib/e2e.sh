# e2e.sh - what the end-to-end tests (tests/e2e/tNNNN-*.sh) add to
# tests/lib/harness.sh: a private unikd on a temporary socket and state
# dir, the real `unik` pointed at it, and small asserts.  Source it from a
# test; it cleans up (daemon, VMs, files) on exit.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/lib/harness.sh"
set -uo pipefail
BIN=${UNIK_TEST_BIN:-$ROOT/build/asan/bin}
T=$(mktemp -d /tmp/unik-e2e.XXXXXX)
# builds run as an unprivileged user that must pass through $T to its folder
chmod 711 "$T"
SOCK=$T/unikd.sock
STATE=$T/state
export UNIK_HOST=unix://$SOCK
DAEMON_PID=

cleanup() {
	stop_daemon
	# a daemon started some other way (e.g. through ip netns exec) ends too
	pkill -TERM -f -- "--state-dir $STATE" 2>/dev/null && sleep 0.5
	# VMs of this test's instances carry the state dir in their command line
	pkill -KILL -f -- "$STATE/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Test daemons make no bridge on the host: tests that need a network run unikd
# inside a namespace of their own (see t0005) with a config of their own.
printf '[network]\nmode = none\n' >"$T/unikd.conf"

# start_daemon [extra unikd options...]
start_daemon() {
	"$BIN/unikd" --socket "$SOCK" --state-dir "$STATE" --config "$T/unikd.conf" \
		--stop-timeout 5 "$@" >>"$T/unikd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && curl -sf --unix-socket "$SOCK" http://x/v1/health >/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "unikd did not start:"; cat "$T/unikd.log"; exit 1
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	local rc=$?
	DAEMON_PID=
	return $rc
}

unik() { "$BIN/unik" "$@"; }

# api METHOD PATH [curl args...]: prints "<status> <body>"
api() {
	local m=$1 p=$2; shift 2
	curl -s --unix-socket "$SOCK" -X "$m" -w '\n%{http_code}' "$@" "http://unik$p" |
		{ body=$(cat); code=${body##*$'\n'}; echo "$code ${body%$'\n'*}"; }
}


eq() { # eq GOT WANT
	[ "$1" == "$2" ] && return 0
	printf '    got:  %q\n    want: %q\n' "$1" "$2"
	return 1
}

contains() { # contains HAYSTACK NEEDLE
	[[ $1 == *"$2"* ]] && return 0
	printf '    %q\n    does not contain %q\n' "$1" "$2"
	return 1
}

json_error_is() { # json_error_is "<status> <body>" STATUS CODE
	local status=${1%% *} body=${1#* }
	eq "$status" "$2" || return 1
	echo "$body" | python3 -c 'import json,sys; e=json.load(sys.stdin)["error"]; assert e["code"]==sys.argv[1] and e["message"], e' "$3"
}

daemon_alive() { curl -sf --unix-socket "$SOCK" http://x/v1/health >/dev/null; }

finish() { # the summary; on a failure, the end of the daemon's log
	if [ "$FAILED" -gt 0 ]; then
		echo "# $FAILED of $CASES failed; daemon log:"
		sed 's/^/#   /' "$T/unikd.log" | tail -40
	fi
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
	exit
}

# A QEMU that boots guests: the qemu provider must be usable here.
need_qemu() {
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
}
