#!/usr/bin/env bash
# t0001-api: the REST API's answers and errors, straight over the socket.
. "$(dirname "$0")/../lib/e2e.sh"
start_daemon --max-upload 64K

r=$(api GET /v1/version)
check "version answers 200" eq "${r%% *}" 200
check "version names the API" contains "$r" '"api_version":"1"'
r=$(api GET /v1/health)
check "health is ok" contains "$r" '"status":"ok"'
r=$(api GET /v1/providers)
check "providers lists qemu" contains "$r" '"name":"qemu"'
check "providers say whether usable" contains "$r" '"usable":'
check "providers mark the default" contains "$r" '"default":true'
r=$(api GET /v1/compilers)
check "compilers lists linux" contains "$r" '"name":"linux"'

check "unknown endpoint is a JSON 404" json_error_is "$(api GET /v1/nope)" 404 not_found
check "wrong method is 405" eq "$(api PUT /v1/images | cut -d' ' -f1)" 405
check "malformed JSON is a 400" json_error_is \
	"$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":')" 400 invalid_argument
check "missing image field is a 400" json_error_is \
	"$(api POST /v1/instances -d '{"name":"x"}')" 400 invalid_argument
check "unknown image is a 404" json_error_is \
	"$(api POST /v1/instances -d '{"image":"no-such-image"}')" 404 not_found
check "unknown provider is a 400" json_error_is \
	"$(api POST /v1/instances -d '{"image":"x","provider":"nope"}')" 400 invalid_argument
check "bad env is a 400" json_error_is \
	"$(api POST /v1/instances -d '{"image":"x","env":["NOEQ"]}')" 400 invalid_argument
check "unknown instance is a 404" json_error_is "$(api GET /v1/instances/zzz)" 404 not_found
check "unknown job is a 404" json_error_is "$(api GET /v1/jobs/abc)" 404 not_found
check "unknown image delete is a 404" json_error_is "$(api DELETE /v1/images/abc)" 404 not_found
check "empty build upload is a 400" json_error_is "$(api POST /v1/images)" 400 invalid_argument
check "bad image name is a 400" json_error_is \
	"$(api POST '/v1/images?name=../x' --data-binary x)" 400 invalid_argument
check "unknown compiler is a 400" json_error_is \
	"$(api POST '/v1/images?compiler=cobol' --data-binary x)" 400 invalid_argument
check "non-tar upload is a 400" json_error_is \
	"$(api POST /v1/images --data-binary 'not a tarball')" 400 invalid_argument

# hostile tarballs: nothing may land outside the build folder
mkdir -p "$T/evil/in" "$T/evil/victim"
python3 - "$T/evil" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def tar(name, members):
    with tarfile.open(f"{d}/{name}", "w:gz") as t:
        for m, data in members:
            if data is not None:
                m.size = len(data)
            t.addfile(m, io.BytesIO(data) if data is not None else None)
m = tarfile.TarInfo("../../victim/pwned"); tar("dotdot.tgz", [(m, b"x")])
m = tarfile.TarInfo("etc"); m.type = tarfile.SYMTYPE; m.linkname = "/etc"
tar("abslink.tgz", [(m, None)])
m = tarfile.TarInfo(f"{d}/victim/abs"); tar("abspath.tgz", [(m, b"x")])
PY
r=$(api POST /v1/images --data-binary @"$T/evil/dotdot.tgz")
check "tar with ../ is refused" json_error_is "$r" 400 invalid_argument
check "its message names the entry" contains "$r" "victim/pwned"
r=$(api POST /v1/images --data-binary @"$T/evil/abslink.tgz")
check "tar with an absolute symlink is refused" json_error_is "$r" 400 invalid_argument
r=$(api POST /v1/images --data-binary @"$T/evil/abspath.tgz")
check "tar with an absolute path is refused" json_error_is "$r" 400 invalid_argument
check "nothing was written outside" eq "$(ls "$T/evil/victim" | wc -l)" 0

head -c 200000 /dev/urandom >"$T/big.bin"
r=$(api POST /v1/images -H 'Content-Type: application/gzip' --data-binary @"$T/big.bin")
check "an upload over the limit is a 413" json_error_is "$r" 413 too_large
r=$(api POST /v1/images -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.bin")
check "a chunked upload over the limit is a 413" json_error_is "$r" 413 too_large
check "the daemon still serves" daemon_alive
check "no upload spool is left behind" eq "$(ls "$STATE/tmp" | wc -l)" 0

# TCP needs a bearer token
check "--listen without a token is refused" \
	bash -c "! '$BIN/unikd' --socket '$T/x.sock' --state-dir '$T/s2' --config '$T/unikd.conf' \
		--listen 127.0.0.1:1 2>'$T/err'" 
check "and says why" contains "$(cat "$T/err")" "token"
stop_daemon
port=$((20000 + RANDOM % 20000))
echo "s3cret-token-0123456789" >"$T/token"
start_daemon --listen 127.0.0.1:$port --token-file "$T/token" --insecure
check "TCP without token is 401" eq \
	"$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/v1/version)" 401
check "TCP with a wrong token is 401" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer nope' http://127.0.0.1:$port/v1/version)" 401
check "TCP with the token is 200" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer s3cret-token-0123456789' http://127.0.0.1:$port/v1/version)" 200
check "the socket needs no token" eq "$(api GET /v1/version | cut -d' ' -f1)" 200
check "socket mode is 0660" eq "$(stat -c %a "$SOCK")" 660
check "SIGTERM shuts down cleanly" stop_daemon
check "the socket is removed" eq "$(test -e "$SOCK" && echo present || echo gone)" gone
finish
