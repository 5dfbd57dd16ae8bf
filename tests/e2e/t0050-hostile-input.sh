#!/usr/bin/env bash
# t0050-hostile-input: hostile bodies and names next to t0006's HTTP
# framing: JSON nested 100,000 deep, strings that are not UTF-8 or hold a
# NUL, a JSON body over the limit, path traversal in image, volume, load
# and pull names, and `unik load` archives that escape, lie about their
# digests or inflate past daemon.max_extract.  Each one a 4xx JSON error,
# nothing written outside the state dir, and the daemon alive after it.
. "$(dirname "$0")/../lib/e2e.sh"
RAW="python3 $ROOT/tests/e2e/httpraw.py"

# hostile TITLE STATUS CODE METHOD PATH [curl args]: a JSON error, and alive after
hostile() {
	local title=$1 status=$2 code=$3 m=$4 p=$5
	shift 5
	LAST=$(api "$m" "$p" "$@")
	check "$title: $status $code" json_error_is "$LAST" "$status" "$code"
	[ -z "${SHOW:-}" ] || echo "# $LAST" | cut -c1-200
	check "$title: the daemon still answers" daemon_alive
}
# says TEXT: the last hostile answer's message holds TEXT (refused for its reason)
says() { check "  ... because: $1" contains "$LAST" "$1"; }
JSON=(-H 'Content-Type: application/json')
TAR=(-H 'Content-Type: application/x-tar')

printf '[daemon]\nmax_extract = 1048576\n' >>"$T/unikd.conf"
start_daemon

# ---- JSON bodies -------------------------------------------------------------
python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
open(f"{d}/deep-array.json", "w").write("[" * 100000 + "]" * 100000)
open(f"{d}/deep-object.json", "w").write('{"image":' * 50000 + '1' + "}" * 50000)
open(f"{d}/deep-args.json", "w").write('{"image":"x","args":' + "[" * 3000 + "]" * 3000 + "}")
open(f"{d}/bad-utf8.json", "wb").write(b'{"image":"x","name":"a\xff\xfeb"}')
open(f"{d}/overlong.json", "wb").write(b'{"image":"x","name":"\xc0\xaf"}')
open(f"{d}/surrogate.json", "w").write('{"image":"x","name":"\\ud800"}')
open(f"{d}/nul.json", "w").write('{"image":"x","name":"a\\u0000b"}')
open(f"{d}/huge.json", "w").write('{"image":"x","args":[' + ",".join(['"a"'] * 600000) + "]}")
PY
for f in deep-array:"maximum parsing depth" deep-object:"maximum parsing depth" \
	deep-args:"maximum parsing depth" bad-utf8:"unable to decode byte 0xff" \
	overlong:"unable to decode byte 0xc0" surrogate:"invalid Unicode" nul:"is not allowed"; do
	hostile "POST /v1/instances: ${f%%:*}" 400 invalid_argument POST /v1/instances \
		"${JSON[@]}" --data-binary "@$T/${f%%:*}.json"
	says "${f#*:}"
done
hostile "POST /v1/instances: 2.4 MB of JSON" 413 too_large POST /v1/instances "${JSON[@]}" \
	--data-binary "@$T/huge.json"
hostile "POST /v1/images/pull: nested 100,000 deep" 400 invalid_argument POST /v1/images/pull \
	"${JSON[@]}" --data-binary "@$T/deep-array.json"
hostile "POST /v1/registries/login: not UTF-8" 400 invalid_argument POST /v1/registries/login \
	"${JSON[@]}" --data-binary "@$T/bad-utf8.json"

# ---- chunked bodies (t0006 has the library's own answers to bad framing) ----
# A chunked JSON body over 1 MiB in 4 KiB chunks: the 413 comes once the body
# ends.  (Not here: one chunk that declares more than the limit and never
# ends gets no answer while its bytes come; docs/security.md.)
python3 - "$SOCK" "$T" <<'PY'
import socket, sys
sock, d = sys.argv[1], sys.argv[2]
def send(name, b):
    s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect(sock)
    try:
        s.sendall(b)
    except OSError:
        pass
    out = b""
    try:
        while b"\r\n\r\n" not in out or not out.rstrip().endswith(b"}"):
            c = s.recv(65536)
            if not c:
                break
            out += c
    except OSError:
        pass
    open(f"{d}/{name}.out", "wb").write(out)
head = (b"POST /v1/instances HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\n\r\n")
body = b'{"image":"x","args":[' + b'"a",' * 300000 + b'"a"]}'
send("chunked-over", head + b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 4096]), body[i:i + 4096])
                                     for i in range(0, len(body), 4096)) + b"0\r\n\r\n")
PY
for f in chunked-over; do
	out=$(tr -d '\r' <"$T/$f.out")
	check "$f: 413 in JSON" contains "$out" '{"error":{"code":"too_large"'
	check "$f: the daemon still answers" daemon_alive
done

# ---- names that climb out ----------------------------------------------------
for n in '..' '../x' '..%2F..%2Fetc' '%2Fetc%2Fpasswd' '.hidden' 'a%00b'; do
	r=$(api POST "/v1/volumes?name=$n&size=1" --data-binary '')
	check "POST /v1/volumes?name=$n: 400" eq "${r%% *}" 400
	check "POST /v1/volumes?name=$n: a JSON error" json_error_is "$r" 400 invalid_argument
done
for p in /v1/volumes/..%2F..%2Fetc /v1/images/..%2F..%2Fetc%2Fpasswd /v1/images/%2E%2E \
	/v1/instances/..%2Fstate; do
	r=$(api GET "$p")
	check "GET $p: 400 or 404 in JSON" contains "400 404" "${r%% *}"
	check "GET $p: a JSON body" python3 -c 'import json,sys; json.loads(sys.argv[1])["error"]' \
		"${r#* }"
done
check "the daemon still answers" daemon_alive
hostile "pull of a source that climbs" 400 invalid_argument POST /v1/images/pull "${JSON[@]}" \
	--data-binary '{"source":"127.0.0.1:1/../../etc:v1"}'
hostile "pull named ../x" 400 invalid_argument POST /v1/images/pull "${JSON[@]}" \
	--data-binary '{"source":"127.0.0.1:1/a:v1","name":"../x"}'

# ---- unik load: hostile layouts ----------------------------------------------
mkdir -p "$T/tars"
python3 - "$T/tars" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
d = sys.argv[1]
def tar(name, files, gz=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for n, data in files:
            m = tarfile.TarInfo(n); m.size = len(data)
            t.addfile(m, io.BytesIO(data))
    raw = buf.getvalue()
    open(f"{d}/{name}", "wb").write(gzip.compress(raw) if gz else raw)
def dg(b): return "sha256:" + hashlib.sha256(b).hexdigest()
def index(desc): return json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode()
tar("escape.tar", [("../../escaped", b"x"), ("index.json", b"{}")])
tar("abs.tar", [("/tmp/unik-t0050-abs", b"x")])
tar("digest-dotdot.tar", [("index.json", index(
    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
     "digest": "sha256:../../../../etc/passwd", "size": 1}))])
man = json.dumps({"config": {"mediaType": "application/vnd.unik.image.config.v1+json",
                             "digest": dg(b"{}"), "size": 2}, "layers": []}).encode()
tar("digest-lies.tar", [("index.json", index(
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": dg(b"other"),
     "size": len(man)})), ("blobs/sha256/" + dg(b"other")[7:], man)])
# a rootfs layer whose kernel inflates to 64 MiB (past max_extract's 1 MiB)
zeros = io.BytesIO()
with tarfile.open(fileobj=zeros, mode="w") as t:
    doc = json.dumps({"kernel": "kernel", "kernel_digest": "sha256:" + "0" * 64}).encode()
    m = tarfile.TarInfo("unik/image.json"); m.size = len(doc); t.addfile(m, io.BytesIO(doc))
    m = tarfile.TarInfo("unik/kernel"); m.size = 64 << 20; t.addfile(m, io.BytesIO(bytes(64 << 20)))
layer = gzip.compress(zeros.getvalue(), 9)
cfg = b"{}"
rman = json.dumps({"config": {"mediaType": "application/vnd.unik.image.config.v1+json",
                              "digest": dg(cfg), "size": len(cfg)},
                   "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                               "digest": dg(layer), "size": len(layer)}]}).encode()
tar("layer-bomb.tar", [
    ("index.json", index({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "digest": dg(rman), "size": len(rman)})),
    ("blobs/sha256/" + dg(rman)[7:], rman), ("blobs/sha256/" + dg(cfg)[7:], cfg),
    ("blobs/sha256/" + dg(layer)[7:], layer)])
# the archive itself inflating to 64 MiB of one file
tar("archive-bomb.tgz", [("blobs/sha256/" + "0" * 64, bytes(64 << 20))], gz=True)
PY
load() { hostile "unik load: $1" 400 invalid_argument POST /v1/images/load "${TAR[@]}" \
	--data-binary "@$T/tars/$1.tar"; }
load escape
load abs
load digest-dotdot
says "malformed digest"
load digest-lies
says "does not match its digest"
hostile "unik load: a rootfs layer of 64 MiB in $(stat -c %s "$T/tars/layer-bomb.tar") bytes" \
	413 too_large POST /v1/images/load "${TAR[@]}" --data-binary "@$T/tars/layer-bomb.tar"
says "the rootfs layer holds more than 1048576 bytes"
hostile "unik load: an archive of 64 MiB in $(stat -c %s "$T/tars/archive-bomb.tgz") bytes" \
	413 too_large POST /v1/images/load -H 'Content-Type: application/gzip' \
	--data-binary "@$T/tars/archive-bomb.tgz"
hostile "unik load named ../x" 400 invalid_argument POST '/v1/images/load?name=../x' \
	"${TAR[@]}" --data-binary "@$T/tars/digest-dotdot.tar"
says "invalid image name"
check "nothing escaped the state dir" test ! -e "$T/escaped" -a ! -e "$STATE/../escaped" \
	-a ! -e /tmp/unik-t0050-abs
r=$(api GET /v1/images)
check "no image was stored" eq "$r" "200 []"
finish
