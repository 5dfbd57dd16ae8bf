#!/usr/bin/env bash
# t0029-oci-engines: one unik image, pushed by `unik push` to two registries
# (Debian's docker-registry on 127.0.0.1, started here: plain HTTP, and TLS
# with a CA made here and htpasswd basic auth), pulled from each by
# each engine and run by unik-runtime: `unik run` (after `unik pull`),
# containerd (`ctr images pull`, `ctr run`), Docker (`docker pull`,
# `docker run --runtime unik`) and Podman (`podman pull`, `podman run
# --runtime`) print the same output and exit with the same status.
. "$(dirname "$0")/../lib/e2e.sh"
RT=$BIN/unik-runtime
need_built "$RT" "$BIN/unik-spt"
need_tools python3 ip nsenter skopeo docker-registry
[ "$(id -u)" = 0 ] || skip "needs root (containerd, dockerd, network namespaces)"
. "$ROOT/tests/lib/engines.sh"
# a second registry with TLS (a CA made here) and htpasswd basic auth (alice)
. "$ROOT/tests/lib/oci_registry.sh"
REG_PID= DK_CERTS= DK_CERTS_MADE=
t0029_cleanup() {
	engines_stop
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	[ -n "$DK_CERTS" ] && rm -rf "$DK_CERTS"
	[ -n "$DK_CERTS_MADE" ] && rmdir /etc/docker/certs.d 2>/dev/null
	oci_cleanup
}
trap t0029_cleanup EXIT
SPORT=$(free_port)
SREG=127.0.0.1:$SPORT
start_registry secure "$SPORT" "  htpasswd: {realm: unik-test, path: $R/htpasswd}" 1
export XDG_CONFIG_HOME=$T/xdg

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$PORT
printf 'version: 0.1\nlog: {level: warn}\nstorage: {filesystem: {rootdirectory: %s/reg}}\nhttp: {addr: "%s"}\n' \
	"$T" "$REG" >"$T/reg.yml"
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
REG_PID=$!
for _ in $(seq 1 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
check "the registry answers on $REG" curl -sf "http://$REG/v2/"

start_daemon
unik build -t engines-hello "$ROOT/examples/hello-c" >"$T/build.log" 2>&1
want=$(unik run --provider spt -e GREETING=hi -e EXIT_CODE=3 engines-hello a b 2>&1)
check "unik run of the image built here: exit status 3" eq "$?" 3
check "and its output" eq "$want" $'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'
unik push --insecure engines-hello "$REG/unik/hello:1" >"$T/push.log" 2>&1
check "unik push to the registry" eq "$?" 0
unik rmi engines-hello >/dev/null
unik pull --insecure "$REG/unik/hello:1" >"$T/pull.log" 2>&1
check "unik pull from it" eq "$?" 0
name0=$(unik images --json | python3 -c 'import json,sys; print([i["name"] for i in json.load(sys.stdin) if "hello" in (i["name"] or "")][0])')
echo s3cret-pw | unik login --ca-cert "$R/ca.crt" -u alice --password-stdin "$SREG" >"$T/login.log" 2>&1
unik push --ca-cert "$R/ca.crt" "$name0" "$SREG/unik/hello:1" >"$T/push2.log" 2>&1
check "unik push to the TLS registry with basic auth" eq "$?" 0
name=$(unik images --json | python3 -c 'import json,sys; print([i["name"] for i in json.load(sys.stdin) if "hello" in (i["name"] or "")][0])')
out=$(unik run --provider spt -e GREETING=hi -e EXIT_CODE=3 "$name" a b 2>&1)
rc=$?
check "unik run of the pulled image: the same output" eq "$out" "$want"
check "unik run of the pulled image: the same exit status" eq "$rc" 3

# containerd: pulled over plain HTTP from the loopback registry
if ! containerd_start; then
	skip_case "$ENGINE_WHY"
else
	ctr images pull --plain-http "$REG/unik/hello:1" >"$CTD/pull.log" 2>&1
	check "ctr images pull from the registry" eq "$?" 0
	out=$(ctr run --rm --runc-binary "$RT" --runc-root "$CTD/runc" --env GREETING=hi \
		--env EXIT_CODE=3 "$REG/unik/hello:1" e1 /unik/kernel a b 2>"$CTD/run.err")
	rc=$?
	check "ctr run --runc-binary unik-runtime: the same output" eq "$out" "$want"
	check "ctr run: the same exit status" eq "$rc" 3
	# ctr takes 127.0.0.1 for plain HTTP unless a hosts.toml names https and the CA
	mkdir -p "$CTD/hosts/$SREG"
	printf 'server = "https://%s"\n[host."https://%s"]\n  capabilities = ["pull", "resolve"]\n  ca = "%s"\n' \
		"$SREG" "$SREG" "$R/ca.crt" >"$CTD/hosts/$SREG/hosts.toml"
	ctr images pull --user alice:s3cret-pw --hosts-dir "$CTD/hosts" "$SREG/unik/hello:1" \
		>"$CTD/pull2.log" 2>&1
	check "ctr images pull over TLS with basic auth" eq "$?" 0
	out=$(ctr run --rm --runc-binary "$RT" --runc-root "$CTD/runc" --env GREETING=hi \
		--env EXIT_CODE=3 "$SREG/unik/hello:1" e2 /unik/kernel a b 2>>"$CTD/run.err")
	rc=$?
	check "ctr run of the TLS registry's image: the same output and exit status" eq "$out $rc" "$want 3"
	[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$CTD/run.err" "$CTD/pull.log" "$CTD/pull2.log" | tail -10
fi

# Docker (in the host's network namespace, without a bridge, to reach the
# registry): 127.0.0.0/8 registries are plain HTTP to dockerd without configuration
if ! dockerd_start -; then
	skip_case "$ENGINE_WHY"
else
	dk pull "$REG/unik/hello:1" >"$DK/pull.log" 2>&1
	check "docker pull from the registry" eq "$?" 0
	out=$(timeout 60 "$DOCKER" -H "unix://$DK/docker.sock" run --rm --runtime unik --network none \
		-e GREETING=hi -e EXIT_CODE=3 "$REG/unik/hello:1" a b 2>"$DK/run.err")
	rc=$?
	check "docker run --runtime unik: the same output" eq "$out" "$want"
	check "docker run: the same exit status" eq "$rc" 3
	check "docker rm: no container left" eq "$(dk ps -aq)" ""
	# dockerd trusts a registry's CA in /etc/docker/certs.d/HOST:PORT/ (this port's, removed at the end)
	[ -d /etc/docker/certs.d ] || DK_CERTS_MADE=1
	DK_CERTS=/etc/docker/certs.d/$SREG
	mkdir -p "$DK_CERTS" && cp "$R/ca.crt" "$DK_CERTS/ca.crt"
	echo s3cret-pw | DOCKER_CONFIG=$DK/cfg dk login -u alice --password-stdin "$SREG" >"$DK/login.log" 2>&1
	DOCKER_CONFIG=$DK/cfg dk pull "$SREG/unik/hello:1" >"$DK/pull2.log" 2>&1
	check "docker pull over TLS with basic auth" eq "$?" 0
	out=$(DOCKER_CONFIG=$DK/cfg timeout 60 "$DOCKER" -H "unix://$DK/docker.sock" run --rm --runtime unik \
		--network none -e GREETING=hi -e EXIT_CODE=3 "$SREG/unik/hello:1" a b 2>>"$DK/run.err")
	rc=$?
	check "docker run of the TLS registry's image: the same output and exit status" eq "$out $rc" "$want 3"
	[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$DK/run.err" "$DK/pull.log" "$DK/login.log" "$DK/pull2.log" | tail -10
fi

# Podman
if ! podman_setup; then
	skip_case "$ENGINE_WHY"
else
	pm pull --tls-verify=false "$REG/unik/hello:1" >"$PM/pull.log" 2>&1
	check "podman pull from the registry" eq "$?" 0
	out=$(pm run --rm --runtime "$RT" --network none -e GREETING=hi -e EXIT_CODE=3 \
		"$REG/unik/hello:1" a b 2>"$PM/run.err")
	rc=$?
	check "podman run --runtime unik-runtime: the same output" eq "$out" "$want"
	check "podman run: the same exit status" eq "$rc" 3
	mkdir -p "$PM/certs" && cp "$R/ca.crt" "$PM/certs/ca.crt"
	pm pull --cert-dir "$PM/certs" --creds alice:s3cret-pw "$SREG/unik/hello:1" >"$PM/pull2.log" 2>&1
	check "podman pull over TLS with basic auth" eq "$?" 0
	out=$(pm run --rm --runtime "$RT" --network none -e GREETING=hi -e EXIT_CODE=3 \
		"$SREG/unik/hello:1" a b 2>>"$PM/run.err")
	rc=$?
	check "podman run of the TLS registry's image: the same output and exit status" eq "$out $rc" "$want 3"
	[ "$FAILED" -gt 0 ] && sed 's/^/#   /' "$PM/run.err" "$PM/pull.log" "$PM/pull2.log" | tail -10
fi
finish
