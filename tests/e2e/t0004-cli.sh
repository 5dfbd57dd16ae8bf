#!/usr/bin/env bash
# t0004-cli: help, aliases, --json, and an unreachable daemon.
. "$(dirname "$0")/../lib/e2e.sh"

out=$(UNIK_HOST=unix://$T/none.sock unik ps 2>&1)
check "unreachable daemon: exit 1" eq "$?" 1
check "unreachable daemon: one line" eq "$(echo "$out" | wc -l)" 1
check "unreachable daemon: says so" contains "$out" "cannot reach the unik daemon"
for c in build images rmi run ps logs stop start rm wait kill restart inspect compilers providers version daemon; do
	out=$(unik "$c" --help 2>&1)
	check "help for $c" contains "$out" "unik $c"
done
check "unik --help lists commands" contains "$(unik --help)" "build"

start_daemon
check "version shows client and server" contains "$(unik version)" "0."
check "version --json is JSON" bash -c "'$BIN/unik' version --json | python3 -m json.tool >/dev/null"
check "providers --json is JSON" bash -c "'$BIN/unik' providers --json | python3 -m json.tool >/dev/null"
check "compilers --json is JSON" bash -c "'$BIN/unik' compilers --json | python3 -m json.tool >/dev/null"
check "images --json is JSON" bash -c "'$BIN/unik' images --json | python3 -m json.tool >/dev/null"
check "ps --json is JSON" bash -c "'$BIN/unik' ps -a --json | python3 -m json.tool >/dev/null"
check "providers marks the default" contains "$(unik providers)" "default"

if command -v qemu-system-x86_64 >/dev/null; then
	unik build --imageName hello "$ROOT/examples/hello-c" >/dev/null 2>&1
	check "build --imageName (UniK alias)" contains "$(unik images)" "hello"
	unik run -d --instanceName old-style hello >/dev/null
	check "run --instanceName (UniK alias)" contains "$(unik instances -a)" "old-style"
	unik wait old-style >/dev/null
	check "delete-instance (UniK alias)" bash -c "'$BIN/unik' delete-instance old-style >/dev/null"
	check "delete-image (UniK alias)" bash -c "'$BIN/unik' delete-image hello >/dev/null"
	check "both are gone" eq "$(unik ps -a -q | wc -l)$(unik images -q | wc -l)" 00
fi
finish
