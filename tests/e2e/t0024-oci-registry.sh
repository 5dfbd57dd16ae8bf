#!/usr/bin/env bash
# t0024-oci-registry: unik images as OCI artifacts (docs/oci.md).  Three
# Debian docker-registry instances on 127.0.0.1, started here: plain HTTP
# without auth; TLS (a CA made here) with htpasswd basic auth; TLS with
# Bearer token auth (tests/e2e/oci_token_server.py issues the JWTs).  Push
# and pull round trips whose pulled image prints what the original does,
# `skopeo inspect` of the runnable manifest, save/load, tampered blobs
# (in a layout tar and in a registry's storage) refused with nothing stored,
# a wrong password refused with a 401, credentials from `unik login`, from
# ~/.docker/config.json and from a docker-credential helper.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/oci_registry.sh"

P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port)
start_registry plain "$P1" "" 0
start_registry basic "$P2" "  htpasswd: {realm: unik-test, path: $R/htpasswd}" 1
start_token_server "$P4"
start_registry token "$P3" "$(token_auth_yaml "$P4")" 1

# credentials of this test only: unik's file and Docker's config in $T
export XDG_CONFIG_HOME=$T/xdg HOME=$T/home
mkdir -p "$HOME"

start_daemon
want=$'hello from unik\narg[1]=a\narg[2]=b'
out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "build hello-c" contains "$out" "Successfully built"
orig=$(unik run --provider spt hello-c a b 2>&1)
check "the original prints its lines" eq "$orig" "$want"
nimages() { unik images --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
nblobs() { ls "$STATE/blobs/sha256" | wc -l; }

# ---- plain HTTP registry, no auth ------------------------------------------
out=$(unik push --insecure hello-c "127.0.0.1:$P1/unik/hello:v1" 2>&1)
check "push to a plain registry" eq "$?" 0
check "push streams skopeo's progress" contains "$out" "Copying blob sha256:"
check "push names the index digest" contains "$out" "pushed 127.0.0.1:$P1/unik/hello:v1 sha256:"
# the image is stored once: the artifact manifest's layer is the rootfs tar itself
reg_bytes=$(find "$R/plain-store" -path '*/blobs/sha256/*/data' -printf '%s\n' | awk '{s+=$1} END {print s}')
kbytes=$(stat -c %s "$STATE/blobs/sha256/$(unik images --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="hello-c"][0]["kernel"][7:])')")
echo "# registry storage after one push: $reg_bytes bytes of blobs for a $kbytes-byte kernel"
check "the registry stores the kernel once (blobs < kernel + 64 KiB)" eq "$((reg_bytes < kbytes + 65536))" 1
check "... and holds it (blobs > kernel)" eq "$((reg_bytes > kbytes))" 1
out=$(unik pull --insecure "127.0.0.1:$P1/unik/hello:v1" 2>&1)
check "pull from a plain registry" eq "$?" 0
check "pull fetches the blobs itself" contains "$out" "pulling blob sha256:"
check "pull: byte progress, a plain line at the end of each blob (config, rootfs, artifact config)" eq \
	"$(grep -c '^sha256:[0-9a-f]*: .* / .* (100%)$' <<<"$out")" 3
check "the pulled image is named like Docker's short name" contains "$(unik images)" "hello-v1"
check "the original keeps its name" contains "$(unik images)" "hello-c "
out=$(unik run --provider spt hello-v1 a b 2>&1)
check "the pulled image prints the same lines" eq "$out" "$orig"
d1=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["digest"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["hello-v1"], d["hello-c"] is not None)')
check "the pulled image has the original's digest" eq "$d1" "True True"
k1=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["kernel"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["hello-v1"])')
check "its kernel is the same blob of the store" eq "$k1" "True"

insp=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$P1/unik/hello:v1" 2>&1)
check "skopeo inspect: linux/amd64" contains "$insp" '"Architecture": "amd64"'
check "skopeo inspect: the unik labels" contains "$insp" '"org.unik.format": "unik-elf"'
check "skopeo inspect: the runnable kind" contains "$insp" '"org.unik.kind": "runnable"'
raw=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P1/unik/hello:v1" 2>&1)
check "the registry holds an OCI image index" contains "$raw" 'application/vnd.oci.image.index.v1+json'
check "the index has the artifact manifest" contains "$raw" '"org.unik.kind":"artifact"'
art=$(python3 -c 'import json,sys; i=json.load(sys.stdin); print([m["digest"] for m in i["manifests"] if m.get("annotations",{}).get("org.unik.kind")=="artifact"][0])' <<<"$raw")
run=$(python3 -c 'import json,sys; i=json.load(sys.stdin); print([m["digest"] for m in i["manifests"] if m.get("platform",{}).get("os")=="linux"][0])' <<<"$raw")
alay=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P1/unik/hello@$art" | python3 -c 'import json,sys; print([l["digest"] for l in json.load(sys.stdin)["layers"]])')
rlay=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$P1/unik/hello@$run" | python3 -c 'import json,sys; print([l["digest"] for l in json.load(sys.stdin)["layers"]])')
check "the artifact and runnable manifests share their one layer" eq "$alay" "$rlay"
# the runnable rootfs layer: /unik/image.json and /unik/kernel
skopeo copy --insecure-policy --src-tls-verify=false "docker://127.0.0.1:$P1/unik/hello:v1" \
	"dir:$T/runnable" >/dev/null 2>&1
layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/manifest.json")); print(m["layers"][0]["digest"].split(":")[1])' "$T/runnable")
check "the rootfs layer holds /unik/image.json and /unik/kernel" eq \
	"$(tar tf "$T/runnable/$layer" | sort | tr '\n' ' ')" "unik/ unik/image.json unik/kernel "
check "image.json names the format" contains "$(tar xOf "$T/runnable/$layer" unik/image.json)" '"format":"unik-elf"'
cmp -s <(tar xOf "$T/runnable/$layer" unik/kernel) \
	"$STATE/blobs/sha256/$(unik images --json | python3 -c 'import json,sys; print([i for i in json.load(sys.stdin) if i["name"]=="hello-c"][0]["kernel"][7:])')"
check "/unik/kernel is the image's kernel" eq "$?" 0

# a copy of the runnable manifest alone (skopeo copy without --all, as an engine's pull and
# push would make): unik reads the image from its /unik/ rootfs, the same image
skopeo copy --insecure-policy --src-tls-verify=false --dest-tls-verify=false \
	"docker://127.0.0.1:$P1/unik/hello:v1" "docker://127.0.0.1:$P1/runonly/hello:v1" >/dev/null 2>&1
check "the copy has no index" bash -c "! skopeo inspect --raw --tls-verify=false docker://127.0.0.1:$P1/runonly/hello:v1 | grep -q image.index"
out=$(unik pull --insecure --name runonly "127.0.0.1:$P1/runonly/hello:v1" 2>&1)
check "pull of the runnable manifest alone" eq "$?" 0
d2=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["digest"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["runonly"])')
check "... gives the same image (digest)" eq "$d2" "True"
check "... which prints the same lines" eq "$(unik run --provider spt runonly a b 2>&1)" "$orig"
# an OCI image that is not unik's is refused clearly
python3 "$ROOT/tests/e2e/oci_layouts.py" plain "$T/plain"
skopeo copy --insecure-policy --dest-tls-verify=false "oci:$T/plain:v1" \
	"docker://127.0.0.1:$P1/plain/hello:v1" >/dev/null 2>&1
n_img=$(nimages)
out=$(unik pull --insecure "127.0.0.1:$P1/plain/hello:v1" 2>&1)
check "a plain OCI image is refused" test $? -ne 0
check "... as not a unik image" contains "$out" "not a unik image: its rootfs has no /unik/image.json"
check "... storing nothing" eq "$(nimages)" "$n_img"

# ---- TLS + htpasswd basic auth ---------------------------------------------
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$P2/hello:tls" 2>&1)
check "push without credentials is refused" test $? -ne 0
check "... with a 401-derived error" contains "$out" "refused the credentials (401)"
out=$(echo wrong | unik login --ca-cert "$R/ca.crt" -u alice --password-stdin "127.0.0.1:$P2" 2>&1)
check "login with a wrong password is refused" test $? -ne 0
check "... saying the registry refused the credentials (401)" contains "$out" "refused the credentials (401)"
check "... and storing nothing" test ! -e "$XDG_CONFIG_HOME/unik/auth.json"
# a wrong password kept elsewhere (Docker's config): the push says the same
mkdir -p "$HOME/.docker"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$P2" "$(printf alice:wrong | base64)" \
	>"$HOME/.docker/config.json"
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$P2/hello:tls" 2>&1)
check "a push with a wrong password is refused" test $? -ne 0
check "... saying the registry refused the credentials (401)" contains "$out" "refused the credentials (401)"
rm -f "$HOME/.docker/config.json"
out=$(echo s3cret-pw | unik login --ca-cert "$R/ca.crt" -u alice --password-stdin "127.0.0.1:$P2" 2>&1)
check "login checks and stores the credentials" contains "$out" "Login Succeeded"
check "the credentials file is 0600" eq "$(stat -c %a "$XDG_CONFIG_HOME/unik/auth.json")" 600
out=$(unik push hello-c "127.0.0.1:$P2/hello:tls" 2>&1)
check "TLS without our CA is refused" test $? -ne 0
check "... for the unknown authority" contains "$out" "certificate"
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$P2/hello:tls" 2>&1)
check "push over TLS with basic auth" eq "$?" 0
out=$(unik pull --ca-cert "$R/ca.crt" --name tls-copy "127.0.0.1:$P2/hello:tls" 2>&1)
check "pull over TLS with basic auth" eq "$?" 0
check "the TLS copy prints the same lines" eq "$(unik run --provider spt tls-copy a b 2>&1)" "$orig"
check "the password is in no daemon log" test "$(grep -c s3cret-pw "$T/unikd.log")" = 0
check "... and in no job event" test "$(cat "$STATE"/jobs/*.events | grep -c s3cret-pw)" = 0
check "... and in no file of the state dir (plain or base64)" \
	test -z "$(grep -rlE "s3cret-pw|$(printf alice:s3cret-pw | base64)" "$STATE" 2>/dev/null)"
out=$(unik logout "127.0.0.1:$P2")
check "logout removes them" contains "$out" "Removing login credentials"
out=$(unik pull --ca-cert "$R/ca.crt" --name nocreds "127.0.0.1:$P2/hello:tls" 2>&1)
check "after logout, pull is refused" test $? -ne 0

# Docker's config: auths, then a credential helper
mkdir -p "$HOME/.docker"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$P2" "$(printf alice:s3cret-pw | base64)" \
	>"$HOME/.docker/config.json"
out=$(unik pull --ca-cert "$R/ca.crt" --name docker-auths "127.0.0.1:$P2/hello:tls" 2>&1)
check "pull with ~/.docker/config.json auths" eq "$?" 0
mkdir -p "$T/bin"
cat >"$T/bin/docker-credential-unik-test" <<HELPER
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r reg
[ "\$reg" = "127.0.0.1:$P2" ] || { echo "credentials not found in native keychain"; exit 1; }
echo '{"ServerURL":"'"\$reg"'","Username":"alice","Secret":"s3cret-pw"}'
HELPER
chmod +x "$T/bin/docker-credential-unik-test"
printf '{"credHelpers":{"127.0.0.1:%s":"unik-test"}}\n' "$P2" >"$HOME/.docker/config.json"
out=$(PATH=$T/bin:$PATH unik pull --ca-cert "$R/ca.crt" --name docker-helper "127.0.0.1:$P2/hello:tls" 2>&1)
check "pull with a docker credential helper" eq "$?" 0
rm -f "$HOME/.docker/config.json"

# ---- TLS + Bearer token auth ------------------------------------------------
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$P3/team/hello:tok" 2>&1)
check "token registry: anonymous push is refused" test $? -ne 0
out=$(echo nope | unik login --ca-cert "$R/ca.crt" -u bob --password-stdin "127.0.0.1:$P3" 2>&1)
check "token registry: login with a wrong password is refused" test $? -ne 0
check "... with a 401-derived error" contains "$out" "refused the credentials (401)"
out=$(echo t0ken-pw | unik login --ca-cert "$R/ca.crt" -u bob --password-stdin "127.0.0.1:$P3" 2>&1)
check "token registry: login (the token server checks the password)" contains "$out" "Login Succeeded"
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$P3/team/hello:tok" 2>&1)
check "push with token auth" eq "$?" 0
check "the token server issued tokens" contains "$(cat "$R/token.log")" '"GET /token?'
out=$(unik pull --ca-cert "$R/ca.crt" --name tok-copy "127.0.0.1:$P3/team/hello:tok" 2>&1)
check "pull with token auth" eq "$?" 0
check "the token copy prints the same lines" eq "$(unik run --provider spt tok-copy a b 2>&1)" "$orig"
unik logout "127.0.0.1:$P3" >/dev/null
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$P3" "$(printf bob:nope | base64)" \
	>"$HOME/.docker/config.json"
out=$(unik pull --ca-cert "$R/ca.crt" --name tok-bad "127.0.0.1:$P3/team/hello:tok" 2>&1)
check "token registry: a pull with a wrong password is refused" test $? -ne 0
check "... with a 401-derived error" contains "$out" "refused the credentials (401)"
rm -f "$HOME/.docker/config.json"

# ---- save / load ------------------------------------------------------------
unik save -o "$T/hello.tar" hello-c
check "save writes an OCI layout tar" contains "$(tar tf "$T/hello.tar" | tr '\n' ' ')" "oci-layout"
check "its index names the image" contains "$(tar xOf "$T/hello.tar" index.json)" '"org.opencontainers.image.ref.name":"hello-c"'
out=$(skopeo inspect --raw "oci-archive:$T/hello.tar:hello-c" 2>&1)
check "skopeo reads the saved tar" contains "$out" 'application/vnd.oci.image.index.v1+json'
out=$(unik load -i "$T/hello.tar" --name reloaded 2>&1)
check "load reads it back" contains "$out" "Loaded image"
check "the loaded image prints the same lines" eq "$(unik run --provider spt reloaded a b 2>&1)" "$orig"

# ---- tampered blobs ---------------------------------------------------------
n_img=$(nimages); n_blob=$(nblobs)
mkdir -p "$T/tamper"
tar xf "$T/hello.tar" -C "$T/tamper"
# the rootfs layer (the kernel's only copy, shared by both manifests)
rootfs=$(python3 -c 'import json,sys
d=sys.argv[1]; blob=lambda x: json.load(open(d+"/blobs/sha256/"+x["digest"][7:]))
idx=blob(json.load(open(d+"/index.json"))["manifests"][0])
run=[m for m in idx["manifests"] if m.get("platform",{}).get("os")=="linux"][0]
print(blob(run)["layers"][0]["digest"][7:])' "$T/tamper")
check "the saved layout holds the rootfs layer" test -f "$T/tamper/blobs/sha256/$rootfs"
chmod u+w "$T/tamper/blobs/sha256/$rootfs"
printf 'X' | dd of="$T/tamper/blobs/sha256/$rootfs" bs=1 seek=1000 conv=notrunc 2>/dev/null
(cd "$T/tamper" && tar cf "$T/tampered.tar" oci-layout index.json blobs)
# a kernel the store has not seen: the changed byte must not come in under its name
unik rmi -f $(unik images -q) >/dev/null 2>&1
n_img=$(nimages); n_blob=$(nblobs)
out=$(unik load -i "$T/tampered.tar" --name evil 2>&1)
check "a layout tar with a changed byte is refused" test $? -ne 0
check "... saying the blob does not match its digest" contains "$out" "does not match its digest"
check "... and no image is stored" eq "$(nimages)" "$n_img"
check "... and no blob is stored" eq "$(nblobs)" "$n_blob"
# a runnable-only layout whose /unik/kernel is not the kernel image.json names
tar xf "$T/hello.tar" -C "$T/tamper" # the untouched blobs again
rm -rf "$T/swap" "$T/runonly"
python3 "$ROOT/tests/e2e/oci_layouts.py" swapkernel "$T/tamper" "$T/swap"
(cd "$T/swap" && tar cf "$T/swap.tar" oci-layout index.json blobs)
out=$(unik load -i "$T/swap.tar" --name evil 2>&1)
check "a rootfs whose kernel is not image.json's is refused" test $? -ne 0
check "... saying the blob does not match its digest" contains "$out" "does not match its digest"
check "... and no image is stored" eq "$(nimages)" "$n_img"
check "... and no blob is stored" eq "$(nblobs)" "$n_blob"
python3 "$ROOT/tests/e2e/oci_layouts.py" runnable "$T/tamper" "$T/runonly"
(cd "$T/runonly" && tar cf "$T/runonly.tar" oci-layout index.json blobs)
out=$(unik load -i "$T/runonly.tar" --name runonly-load 2>&1)
check "the untouched runnable-only layout loads" contains "$out" "Loaded image"
check "... and runs the same" eq "$(unik run --provider spt runonly-load a b 2>&1)" "$orig"
unik rmi -f runonly-load >/dev/null 2>&1
n_img=$(nimages); n_blob=$(nblobs)
# the same in a registry's storage: the rootfs layer both manifests share
data=$(find "$R/plain-store" -path "*/blobs/sha256/${layer:0:2}/$layer/data")
check "the registry stores the rootfs layer blob" test -f "$data"
printf 'X' | dd of="$data" bs=1 seek=1000 conv=notrunc 2>/dev/null
out=$(unik pull --insecure --name evil2 "127.0.0.1:$P1/unik/hello:v1" 2>&1)
check "a tampered registry blob is refused" test $? -ne 0
check "... saying its digest did not match" contains "${out,,}" "digest did not match"
check "... and no image is stored" eq "$(nimages)" "$n_img"
check "... and no blob is stored" eq "$(nblobs)" "$n_blob"

# ---- a push to a registry that never answers, cancelled ---------------------------
P5=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); c=[]
while True: c.append(s.accept()[0])' "$P5" &
REG_PIDS+=($!)
wait_port "$P5"
# the push's connections to it (unikd's own uploads first, then skopeo's)
connected() { [ -n "$(ss -Htn state established "( dport = :$P5 )")" ]; }
unik build -q -t hello-c "$ROOT/examples/hello-c" >/dev/null 2>&1
# stuck_job KIND PATH BODY: a job started against it, connected, then cancelled
stuck_job() {
	r=$(api POST "$2" -d "$3")
	check "$1 to a silent registry starts a job" eq "${r%% *}" 202
	job=$(echo "${r#* }" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	for _ in $(seq 1 50); do connected && break; sleep 0.1; done
	check "the $1 is connected to it" connected
	r=$(api DELETE "/v1/jobs/$job")
	check "the $1's cancel answers with the ended job" contains "$r" '"state":"failed"'
	check "... cancelled" contains "$r" "\"message\":\"the $1 was cancelled\""
	check "... and skopeo is gone" test -z "$(pgrep -f "skopeo.*127.0.0.1:$P5")"
	for _ in $(seq 1 50); do connected || break; sleep 0.1; done
	check "... and its connections" test "$(connected && echo yes)" = ""
}
stuck_job push /v1/images/hello-c/push "{\"target\":\"127.0.0.1:$P5/stuck/hello:v1\",\"insecure\":true}"
# a pull from it (unikd's own client), cancelled the same way
stuck_job pull /v1/images/pull "{\"source\":\"127.0.0.1:$P5/stuck/hello:v1\",\"insecure\":true}"
check "... and the pull stored nothing" eq "$(api GET "/v1/jobs/$job" | grep -c '"image":"')" 0

# ---- tag --------------------------------------------------------------------------
unik tag hello-c hello-c:v2 2>"$T/tag.err"
check "tag NAME:TAG makes NAME-TAG" contains "$(unik images)" "hello-c-v2"
check "... and says so" contains "$(cat "$T/tag.err")" "the new name is hello-c-v2"
check "the tagged image runs the same" eq "$(unik run --provider spt hello-c-v2 a b 2>&1)" "$orig"
check "the original keeps its name too" contains "$(unik images)" "hello-c "

# a daemon killed during a push: skopeo ends with it, the job is failed at the restart,
# and the job's folder (with its auth.json) is gone
r=$(api POST /v1/images/hello-c/push -d "{\"target\":\"127.0.0.1:$P5/stuck/hello:v2\",\"insecure\":true,\"auth\":{\"username\":\"u\",\"password\":\"crash-pw\"}}")
job=$(echo "${r#* }" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 50); do connected && break; sleep 0.1; done
check "kill -9: the push was connected" connected
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
for _ in $(seq 1 50); do pgrep -f "skopeo.*127.0.0.1:$P5" >/dev/null || break; sleep 0.1; done
check "kill -9: skopeo ended with the daemon" test -z "$(pgrep -f "skopeo.*127.0.0.1:$P5")"
check "kill -9: and the push's connections" test "$(connected && echo yes)" = ""
start_daemon
check "kill -9: the push job is failed at the restart" contains "$(api GET "/v1/jobs/$job")" \
	'"message":"the daemon stopped during the push; try again"'
check "kill -9: no file of the state dir holds the password" \
	test -z "$(grep -rlE "crash-pw|$(printf u:crash-pw | base64)" "$STATE" 2>/dev/null)"

# ---- the daemon's [registry] configuration -----------------------------------------
stop_daemon
printf '[registry]\ninsecure = 10.0.0.1:1, 127.0.0.1:%s\nca_cert = %s\ntimeout = 3\n' "$P1" "$R/ca.crt" >>"$T/unikd.conf"
start_daemon
out=$(unik push --insecure hello-c "127.0.0.1:$P5/stuck/hello:v3" 2>&1)
check "registry.timeout: a push to a silent registry fails" test $? -ne 0
check "... saying it took too long" contains "$out" "took more than 3 s (registry.timeout)"
check "... and skopeo is gone" test -z "$(pgrep -f "skopeo.*127.0.0.1:$P5")"
stop_daemon # the rest without that short timeout (a loaded machine may need more)
sed -i '/^timeout = 3$/d' "$T/unikd.conf"
start_daemon
out=$(unik push hello-c "127.0.0.1:$P1/conf/hello:v1" 2>&1)
check "registry.insecure: a plain registry without --insecure" eq "$?" 0
echo s3cret-pw | unik login -u alice --password-stdin "127.0.0.1:$P2" >/dev/null
out=$(unik push hello-c "127.0.0.1:$P2/conf/hello:v1" 2>&1)
check "registry.ca_cert: TLS without --ca-cert" eq "$?" 0
check "registry.ca_cert: login without --ca-cert" contains "$(echo s3cret-pw | unik login -u alice --password-stdin "127.0.0.1:$P2" 2>&1)" "Login Succeeded"
out=$(unik pull --name conf-copy "127.0.0.1:$P2/conf/hello:v1" 2>&1)
check "... and the pull" eq "$?" 0
check "the conf copy prints the same lines" eq "$(unik run --provider spt conf-copy a b 2>&1)" "$orig"

# ---- API errors ---------------------------------------------------------------
check "push to a reference without a registry is a 400" json_error_is \
	"$(api POST /v1/images/zzz/push -d '{"target":"hello:v1"}')" 400 invalid_argument
check "pull of a bad reference is a 400" json_error_is \
	"$(api POST /v1/images/pull -d '{"source":"127.0.0.1:1/UPPER:x"}')" 400 invalid_argument
check "load of a non-tar is a 400" json_error_is \
	"$(api POST /v1/images/load --data-binary 'not a tar')" 400 invalid_argument
check "login to something that is no registry is a 400" json_error_is \
	"$(api POST /v1/registries/login -d '{"registry":"no_registry","auth":{"username":"a","password":"b"}}')" 400 invalid_argument
check "login without credentials is a 400" json_error_is \
	"$(api POST /v1/registries/login -d '{"registry":"127.0.0.1:1"}')" 400 invalid_argument
check "tag with a bad name is a 400" json_error_is \
	"$(api POST /v1/images/zzz/tag -d '{"name":"../x"}')" 400 invalid_argument
finish
