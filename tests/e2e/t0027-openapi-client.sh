#!/usr/bin/env bash
# t0027-openapi-client: the running daemon called through its OpenAPI
# description by a real OpenAPI library (kin-openapi, Debian's
# golang-github-getkin-kin-openapi-dev; tests/tools/openapi-client): the
# description loads and validates, each request is routed by it and checked
# against its operation, and each answer's status, content type and body
# are checked against the operation's responses.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools go
KIN=/usr/share/gocode/src/github.com/getkin/kin-openapi
[ -d "$KIN/openapi3filter" ] || skip "kin-openapi is not installed (scripts/install-deps)"
(cd "$ROOT/tests/tools/openapi-client" && GO111MODULE=off GOPATH=/usr/share/gocode \
	GOCACHE=$T/gocache go build -o "$T/openapi-client" .) >"$T/go.log" 2>&1 ||
	{ cat "$T/go.log"; skip "tests/tools/openapi-client does not build here"; }
printf '[network]\nmode = none\n' >"$T/unikd.conf"
start_daemon
unik build -t oapi-hello "$ROOT/examples/hello-c" >/dev/null 2>&1
"$T/openapi-client" "$ROOT/api/openapi.yaml" "$SOCK" oapi-hello >"$T/client.tap" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) not_ok "${line#not ok * - }" ;;
	*) echo "# $line" ;;
	esac
done <"$T/client.tap"
check "the client went through every call (exit status 0)" test "$rc" = 0
finish
