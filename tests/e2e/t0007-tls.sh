#!/usr/bin/env bash
# t0007-tls: TLS on TCP with a CA made here.  The CLI and curl speak TLS to
# unikd; a wrong CA is refused; with --tlsverify a client needs a certificate
# signed by the daemon's CA; plain TCP needs an explicit --insecure; the token
# is required unless client certificates authenticate.
. "$(dirname "$0")/../lib/e2e.sh"
command -v openssl >/dev/null || skip "openssl is not installed"
P=$T/pki
mkdir -p "$P"
TOKEN=s3cret-token-0123456789
echo "$TOKEN" >"$T/token"
port=$((20000 + RANDOM % 20000))
URL=https://127.0.0.1:$port

mkca() { # NAME: a self-signed CA
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$1" -keyout "$P/$1-key.pem" -out "$P/$1.pem" 2>/dev/null
}
mkcert() { # NAME CA EXTENSIONS: a key and a certificate signed by CA
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
		-keyout "$P/$1-key.pem" -out "$P/$1.csr" 2>/dev/null
	printf '%b' "$3" >"$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" -CAkey "$P/$2-key.pem" \
		-CAcreateserial -days 2 -extfile "$P/$1.ext" -out "$P/$1.pem" 2>/dev/null
}
mkca ca
mkca evilca
mkcert server ca 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
mkcert client ca 'extendedKeyUsage=clientAuth\n'
mkcert evilclient evilca 'extendedKeyUsage=clientAuth\n'
mkcert serveronly ca 'extendedKeyUsage=serverAuth\n'
check "the test CA made its certificates" test -s "$P/client.pem" -a -s "$P/server.pem"
# a certificate folder as the CLI expects it
mkdir -p "$T/certs"
cp "$P/ca.pem" "$T/certs/ca.pem"
cp "$P/client.pem" "$T/certs/cert.pem"
cp "$P/client-key.pem" "$T/certs/key.pem"

# refused_start TITLE WANT ARGS...: unikd exits at start-up, saying WANT
refused_start() {
	local title=$1 want=$2
	shift 2
	"$BIN/unikd" --socket "$T/x.sock" --state-dir "$T/s2" --config "$T/unikd.conf" \
		--listen 127.0.0.1:$port "$@" >"$T/err" 2>&1 </dev/null &
	local pid=$! rc
	for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	if kill -0 $pid 2>/dev/null; then
		kill $pid
		wait $pid
		check "$title" false
		return
	fi
	wait $pid
	rc=$?
	check "$title" test "$rc" -ne 0
	check "and says why" contains "$(cat "$T/err")" "$want"
}
refused_start "plain TCP without --insecure is refused at start-up" "--insecure" \
	--token-file "$T/token"
refused_start "TCP without a token or client certificates is refused" "--token-file" \
	--tlscert "$P/server.pem" --tlskey "$P/server-key.pem"
refused_start "--tlscert without --tlskey is refused" "--tlskey" \
	--tlscert "$P/server.pem" --token-file "$T/token"
refused_start "--tlsverify without --tlscacert is refused" "--tlscacert" \
	--tlscert "$P/server.pem" --tlskey "$P/server-key.pem" --tlsverify
refused_start "--insecure with TLS is refused" "--insecure" --insecure \
	--tlscert "$P/server.pem" --tlskey "$P/server-key.pem" --token-file "$T/token"
refused_start "a key that is not the certificate's is refused" "do not load" \
	--tlscert "$P/server.pem" --tlskey "$P/client-key.pem" --token-file "$T/token"
refused_start "a missing certificate file is refused" "cannot read" \
	--tlscert "$P/nope.pem" --tlskey "$P/server-key.pem" --token-file "$T/token"

start_daemon --listen 127.0.0.1:$port --token-file "$T/token" --insecure
check "--insecure says so at start-up" contains "$(cat "$T/unikd.log")" \
	"WARNING: serving plain HTTP on 127.0.0.1:$port (--insecure)"
check "and serves plain HTTP with the token" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $TOKEN" http://127.0.0.1:$port/v1/version)" 200
stop_daemon

# ---- TLS, token --------------------------------------------------------------
start_daemon --listen 127.0.0.1:$port --token-file "$T/token" \
	--tlscert "$P/server.pem" --tlskey "$P/server-key.pem"
check "the log names https" contains "$(cat "$T/unikd.log")" "https://127.0.0.1:$port"
check "curl with the CA and the token: 200" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$P/ca.pem" -H "Authorization: Bearer $TOKEN" $URL/v1/version)" 200
r=$(curl -s --cacert "$P/ca.pem" -w '\n%{http_code}' $URL/v1/version)
check "without the token: 401 JSON" json_error_is "${r##*$'\n'} ${r%$'\n'*}" 401 unauthorized
check "curl trusting another CA refuses the daemon" bash -c \
	"! curl -s --cacert '$P/evilca.pem' -H 'Authorization: Bearer $TOKEN' $URL/v1/version"
check "plain HTTP on the TLS port gets no answer" bash -c \
	"! curl -sf -m 3 -H 'Authorization: Bearer $TOKEN' http://127.0.0.1:$port/v1/version"
check "the CLI: https:// host, --tlscacert, --token" contains "$(unik --host $URL \
	--tlscacert "$P/ca.pem" --token $TOKEN version 2>&1)" "API version: 1"
check "the CLI: tcp:// host with --tlsverify" contains "$(unik --host tcp://127.0.0.1:$port \
	--tlsverify --tlscacert "$P/ca.pem" --token $TOKEN version 2>&1)" "API version: 1"
check "the CLI: UNIK_TLS_VERIFY and UNIK_CERT_PATH" contains "$(UNIK_TLS_VERIFY=1 \
	UNIK_CERT_PATH=$T/certs UNIK_TOKEN=$TOKEN "$BIN/unik" --host tcp://127.0.0.1:$port images 2>&1)" \
	"COMPILER"
out=$(unik --host $URL --tlscacert "$P/evilca.pem" --token $TOKEN images 2>&1)
check "the CLI trusting another CA refuses the daemon" contains "$out" "TLS with the unik daemon"
check "the CLI refuses --tlsverify with an http:// host" contains "$(unik --host \
	http://127.0.0.1:$port --tlsverify --tlscacert "$P/ca.pem" images 2>&1)" "need an https://"
check "the CLI refuses --tlsverify without a CA" contains "$(HOME=$T/nohome unik --host \
	tcp://127.0.0.1:$port --tlsverify images 2>&1)" "--tlscacert"
check "the unix socket needs neither" eq "$(api GET /v1/version | cut -d' ' -f1)" 200
stop_daemon

# ---- TLS, client certificates (from the config file) -------------------------
cat >>"$T/unikd.conf" <<EOF
[daemon]
listen = 127.0.0.1:$port
tlscert = $P/server.pem
tlskey = $P/server-key.pem
tlscacert = $P/ca.pem
tlsverify = true
EOF
start_daemon
check "a client certificate signed by the CA: 200, no token needed" eq "$(curl -s -o /dev/null \
	-w '%{http_code}' --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" \
	$URL/v1/version)" 200
r=$(curl -s --cacert "$P/ca.pem" -w '\n%{http_code}' $URL/v1/version)
check "no client certificate: 401 JSON" json_error_is "${r##*$'\n'} ${r%$'\n'*}" 401 unauthorized
check "saying a certificate is required" contains "$r" "client certificate"
r=$(curl -s --cacert "$P/ca.pem" --cert "$P/evilclient.pem" --key "$P/evilclient-key.pem" \
	-w '\n%{http_code}' $URL/v1/version)
check "a certificate of another CA: 401 JSON" json_error_is "${r##*$'\n'} ${r%$'\n'*}" 401 unauthorized
check "saying it is not trusted" contains "$r" "NOT trusted"
r=$(curl -s --cacert "$P/ca.pem" --cert "$P/serveronly.pem" --key "$P/serveronly-key.pem" \
	-w '\n%{http_code}' $URL/v1/version)
check "a CA-signed certificate not meant for clients: 401" json_error_is \
	"${r##*$'\n'} ${r%$'\n'*}" 401 unauthorized
check "the CLI with UNIK_CERT_PATH (ca.pem, cert.pem, key.pem)" contains "$(UNIK_TLS_VERIFY=1 \
	UNIK_CERT_PATH=$T/certs "$BIN/unik" --host tcp://127.0.0.1:$port version 2>&1)" \
	"API version: 1"
check "the CLI with the flags" contains "$(unik --host $URL --tlsverify --tlscacert \
	"$P/ca.pem" --tlscert "$P/client.pem" --tlskey "$P/client-key.pem" version 2>&1)" \
	"API version: 1"
out=$(unik --host $URL --tlscacert "$P/ca.pem" images 2>&1)
check "the CLI without a client certificate is told how to give one" contains "$out" "--tlscert"
r=$(curl -s --cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" \
	"$URL/v1/images/%ff%fe" -w '\n%{http_code}')
check "hostile paths over TLS get JSON too" json_error_is "${r##*$'\n'} ${r%$'\n'*}" 400 \
	invalid_argument
stop_daemon

# ---- client certificates and a token: both are needed ------------------------
start_daemon --token-file "$T/token"
check "certificate without the token: 401" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" $URL/v1/version)" 401
check "token without a certificate: 401" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$P/ca.pem" -H "Authorization: Bearer $TOKEN" $URL/v1/version)" 401
check "certificate and token: 200" eq "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$P/ca.pem" --cert "$P/client.pem" --key "$P/client-key.pem" \
	-H "Authorization: Bearer $TOKEN" $URL/v1/version)" 200
check "SIGTERM shuts down cleanly" stop_daemon
finish
