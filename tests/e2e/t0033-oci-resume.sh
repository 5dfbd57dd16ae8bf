#!/usr/bin/env bash
# t0033-oci-resume: unikd's chunked, resumable blob uploads (docs/oci.md,
# "Engine").  Debian docker-registry instances on 127.0.0.1 with Bearer
# token auth (one with TLS, a CA made here, one plain HTTP), each behind
# tests/e2e/oci_cut_proxy.py, which cuts one connection in the middle of
# a push.  A cut between two chunks of a blob: the push goes on from the
# Range the registry reports, so the bytes forwarded after the cut are the
# rest, not the whole again.  A cut inside a chunk: this registry
# (distribution 2.8) then refuses the upload ("upload resumed at wrong
# offset"), so only that blob is sent again, or (when it kept none of the cut
# chunk) reports a chunk's end; the other blobs are not sent again.  The
# images pulled back are the original.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/oci_registry.sh"

PTOK=$(free_port); PTLS=$(free_port); PPLAIN=$(free_port); XTLS=$(free_port); XPLAIN=$(free_port)
start_token_server "$PTOK"
start_registry tls "$PTLS" "$(token_auth_yaml "$PTOK")" 1
start_registry plain "$PPLAIN" "$(token_auth_yaml "$PTOK")" 0
python3 "$ROOT/tests/e2e/oci_cut_proxy.py" "$XTLS" "$PTLS" 200000 "$R/counts-tls" bytes \
	2>"$R/proxy-tls.log" &
REG_PIDS+=($!)
CUT=150000
python3 "$ROOT/tests/e2e/oci_cut_proxy.py" "$XPLAIN" "$PPLAIN" "$CUT" "$R/counts-plain" patch \
	2>"$R/proxy-plain.log" &
REG_PIDS+=($!)
# a pull's responses cut once, after 100 000 bytes
XDOWN=$(free_port)
python3 "$ROOT/tests/e2e/oci_cut_proxy.py" "$XDOWN" "$PPLAIN" 100000 "$R/counts-down" down \
	2>"$R/proxy-down.log" &
REG_PIDS+=($!)
wait_port "$XTLS"
wait_port "$XPLAIN"
wait_port "$XDOWN"

# bob's credentials for every address (no login through the proxies: it
# would count)
export XDG_CONFIG_HOME=$T/xdg HOME=$T/home
mkdir -p "$HOME" "$XDG_CONFIG_HOME/unik"
a=$(printf bob:t0ken-pw | base64)
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"},"127.0.0.1:%s":{"auth":"%s"},"127.0.0.1:%s":{"auth":"%s"},"127.0.0.1:%s":{"auth":"%s"}}}\n' \
	"$PTLS" "$a" "$PPLAIN" "$a" "$XTLS" "$a" "$XPLAIN" "$a" >"$XDG_CONFIG_HOME/unik/auth.json.in"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["auths"]["127.0.0.1:"+sys.argv[2]]=d["auths"]["127.0.0.1:"+sys.argv[3]]; print(json.dumps(d))' \
	"$XDG_CONFIG_HOME/unik/auth.json.in" "$XDOWN" "$PPLAIN" >"$XDG_CONFIG_HOME/unik/auth.json"
rm -f "$XDG_CONFIG_HOME/unik/auth.json.in"
chmod 600 "$XDG_CONFIG_HOME/unik/auth.json"
printf '[registry]\nchunk_size = 65536\n' >>"$T/unikd.conf"
start_daemon
# hello-c with 256 KiB of random bytes in its tree: the cuts below (150,000 and
# 200,000 bytes) must fall inside its rootfs blob whatever size the runtime
# is (hello alone is ~120 KB)
mkdir -p "$T/hello/files"
cp "$ROOT/examples/hello-c/hello.c" "$T/hello/"
head -c 262144 /dev/urandom >"$T/hello/files/ballast"
out=$(unik build -t hello-c "$T/hello" 2>&1)
check "build hello-c" contains "$out" "Successfully built"
orig=$(unik run --provider spt hello-c a b 2>&1)
check "the original runs" contains "$orig" "hello from unik"
# blob_bytes NAME: the bytes of every blob registry NAME holds
blob_bytes() {
	find "$R/$1-store/docker/registry/v2/blobs" -name data -type f -printf '%s\n' |
		awk '{s+=$1} END {print s+0}'
}
count() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$R/counts-$1"; }

# ---- a cut between two chunks (plain HTTP, token auth): resumed -------------------
out=$(unik push --insecure hello-c "127.0.0.1:$XPLAIN/team/hello:cut" 2>&1)
check "a push cut between chunks completes" eq "$?" 0
check "the push names its index digest" contains "$out" "pushed 127.0.0.1:$XPLAIN/team/hello:cut sha256:"
check "the push uploads its blobs itself" contains "$out" "uploading blob sha256:"
check "the proxy cut a connection" contains "$(cat "$R/counts-plain")" "cut=1 "
check "the push resumed from what the registry had" contains "$out" "bytes; resuming"
check "skopeo found the blobs there" contains "$out" "Copying blob sha256:"
check "not on a terminal: a plain line at each blob's end" eq \
	"$(grep -cE '^sha256:[0-9a-f]{12}: ([0-9.]+ [KM]iB|[0-9]+ B) / \1 \(100%\)$' <<<"$out")" 6
check "... a line a tenth at most" eq "$(grep -c '^sha256:[0-9a-f]*: .* / .* ([0-9]*%)$' <<<"$out" | awk '{print ($1 >= 6 && $1 <= 6 * 11 + 4)}')" 1
total=$(blob_bytes plain) after=$(count plain after) before=$(count plain before)
had=$(sed -n 's/.*: the registry has \([0-9]*\) of [0-9]* bytes; resuming/\1/p' <<<"$out" | head -1)
echo "# blobs $total bytes; request bodies: $before bytes before the cut, $after after it; the registry had $had bytes of the cut blob"
check "the registry had a chunk or more of the cut blob" eq "$((${had:-0} >= 65536))" 1
# a retry of the whole blob (or push) sends all of it again after the cut;
# a resumed one only what the registry lacked (and the manifests, < 8 KB)
check "only the rest was sent after the cut" eq "$((after < total - had + 8192))" 1
check "... and all of it" eq "$((before + after >= total))" 1
out=$(unik pull --insecure --name plain-copy "127.0.0.1:$PPLAIN/team/hello:cut" 2>&1)
check "pull of the resumed push" eq "$?" 0
check "the pulled image prints the same lines" eq "$(unik run --provider spt plain-copy a b 2>&1)" "$orig"

# ---- a pull cut in the middle of its rootfs layer: resumed with a Range ------------
out=$(unik pull --insecure --name down-copy "127.0.0.1:$XDOWN/team/hello:cut" 2>&1)
check "a pull cut in a blob completes" eq "$?" 0
check "the proxy cut the pull's connection" contains "$(cat "$R/counts-down")" "cut=1 "
check "the pull resumed at the byte it reached" contains "$out" "; resuming at byte "
after=$(count down after) before=$(count down before)
layer=$(sed -n 's/^pulling blob \(sha256:[0-9a-f]*\) (\([0-9]*\) bytes)$/\2/p' <<<"$out" | sort -n | tail -1)
at=$(sed -n 's/.*; resuming at byte \([0-9]*\)$/\1/p' <<<"$out" | head -1)
echo "# pull: $before response bytes before the cut, $after after it; resumed at byte $at of the $layer-byte rootfs layer"
check "it had part of the blob" eq "$((${at:-0} > 0))" 1
# a retry of the whole blob would bring all of it again after the cut
check "... and fetched only the rest after the cut" eq "$((after < layer - at + 16384))" 1
check "the pull's bytes: a plain progress line at each blob's end" eq \
	"$(grep -c '^sha256:[0-9a-f]*: .* / .* (100%)$' <<<"$out")" 3
d=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["digest"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["down-copy"])')
check "... the same image" eq "$d" "True"

# ---- references by digest ----------------------------------------------------------
idx=$(unik push --insecure hello-c "127.0.0.1:$PPLAIN/team/hello:cut" 2>&1 | sed -n 's/^pushed .* \(sha256:[0-9a-f]*\)$/\1/p')
check "the push names the index digest" eq "${#idx}" 71
out=$(unik pull --insecure --name by-digest "127.0.0.1:$PPLAIN/team/hello@$idx" 2>&1)
check "pull REPO@DIGEST" eq "$?" 0
out=$(unik pull --insecure --name by-both "127.0.0.1:$PPLAIN/team/hello:no-such-tag@$idx" 2>&1)
check "pull REPO:TAG@DIGEST: the digest wins" eq "$?" 0
d=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["digest"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["by-digest"]==d["by-both"])')
check "... the same image" eq "$d" "True"
other=sha256:$(printf x | sha256sum | cut -c1-64)
out=$(unik pull --insecure --name none "127.0.0.1:$PPLAIN/team/hello:cut@$other" 2>&1)
check "pull of a digest the registry does not have fails" eq "$(( $? != 0 ))" 1
check "... and stores nothing" eq "$(unik images --json | grep -c '"none"')" 0
out=$(unik push --insecure hello-c "127.0.0.1:$PPLAIN/team/hello:pinned@$idx" 2>&1)
check "push to REPO:TAG@DIGEST of that image" eq "$?" 0
out=$(unik push --insecure hello-c "127.0.0.1:$PPLAIN/team/hello@$idx" 2>&1)
check "push to REPO@DIGEST of that image" contains "$out" "pushed 127.0.0.1:$PPLAIN/team/hello $idx"
out=$(unik push --insecure hello-c "127.0.0.1:$PPLAIN/team/hello:pinned@$other" 2>&1)
check "push to another digest is refused" contains "$out" "not the reference's $other: nothing pushed"
for ref in "r.io/a@sha256:00" "r.io/a@md5:0123" "r.io/a@sha256:$(printf %064d 0)@sha256:$(printf %064d 0)" \
	"r.io/a@$(printf %064d 0)" "r.io/a@sha256:$(printf %064d 0 | tr 0 A)" "r.io/a@"; do
	check "pull of '$ref' is a 400" json_error_is \
		"$(api POST /v1/images/pull -d "{\"source\":\"$ref\"}")" 400 invalid_argument
done

# ---- a cut inside a chunk (TLS, token auth): that blob again -----------------------
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$XTLS/team/hello:cut" 2>&1)
check "a push cut inside a chunk completes" eq "$?" 0
check "the proxy cut the TLS connection" contains "$(cat "$R/counts-tls")" "cut=1 "
# what the registry answers depends on what it kept of the cut chunk (whole
# TLS records of it, or none): it refuses the upload (that blob again), or
# reports a chunk's end, from which the push resumes; CI saw both
check "the cut upload: the registry refused it (that blob again) or the push resumed from its offset" \
	bash -c 'grep -q "lost the upload; starting again" <<<"$1" || grep -q "bytes; resuming" <<<"$1"' _ "$out"
check "no other blob is sent twice" eq \
	"$(grep -o 'uploading blob sha256:[0-9a-f]*' <<<"$out" | sort | uniq -d | wc -l)" 0
total=$(blob_bytes tls) after=$(count tls after) before=$(count tls before)
echo "# blobs $total bytes; $before bytes before the cut, $after after it"
out=$(unik pull --ca-cert "$R/ca.crt" --name tls-copy "127.0.0.1:$PTLS/team/hello:cut" 2>&1)
check "pull of that push" eq "$?" 0
d=$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["digest"] for i in json.load(sys.stdin)}; print(d["hello-c"]==d["tls-copy"]==d["plain-copy"])')
check "the pulled images have the original's digest" eq "$d" "True"

# a second push finds every blob there and sends none
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$PTLS/team/hello:again" 2>&1)
check "a second push" eq "$?" 0
check "a second push uploads nothing" contains "$out" "(0 bytes uploaded, 6 already there)"
# on a terminal: a bar per blob, redrawn in place
if command -v script >/dev/null; then
	out=$(script -qec "$BIN/unik push --ca-cert $R/ca.crt hello-c 127.0.0.1:$PTLS/team/tty:v1" /dev/null 2>&1)
	check "on a terminal: the push" contains "$out" "pushed 127.0.0.1:$PTLS/team/tty:v1"
	grep -qE 'sha256:[0-9a-f]{12} \[=+>? *\] ' <<<"$out"
	check "... draws bars" eq "$?" 0
	grep -q $'\r\033\\[Ksha256:[0-9a-f]\\{12\\} \\[==============================\\]' <<<"$out"
	check "... redrawn in place, to a full bar" eq "$?" 0
	check "... no plain progress lines" eq "$(grep -c '(100%)' <<<"$out")" 0
	out=$(script -qec "$BIN/unik pull --ca-cert $R/ca.crt --name tty-copy 127.0.0.1:$PTLS/team/tty:v1" /dev/null 2>&1)
	check "on a terminal: the pull" contains "$out" "pulling blob sha256:"
	grep -q $'sha256:[0-9a-f]\\{12\\} \\[==============================\\]' <<<"$out"
	check "... draws bars, to a full bar" eq "$?" 0
	check "... no plain progress lines" eq "$(grep -c '(100%)' <<<"$out")" 0
else
	skip_case "a progress bar on a terminal: no script(1)"
fi

# refused credentials are the registry's 401, from unikd's own client
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$PTLS" "$(printf bob:nope | base64)" \
	>"$XDG_CONFIG_HOME/unik/auth.json"
out=$(unik push --ca-cert "$R/ca.crt" hello-c "127.0.0.1:$PTLS/team/hello:bad" 2>&1)
check "a wrong password fails the push" eq "$(( $? != 0 ))" 1
check "... with the registry's 401" contains "$out" "refused the credentials (401)"
check "... before skopeo runs" eq "$(grep -c skopeo <<<"$out")" 0
finish
