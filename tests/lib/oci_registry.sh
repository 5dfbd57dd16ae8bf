# oci_registry.sh - Debian docker-registry instances on 127.0.0.1 for the OCI
# tests (t0024, t0033), after tests/lib/e2e.sh: a CA and a certificate for
# 127.0.0.1 made here ($R/ca.crt, server.crt), a key pair for the token
# server, an htpasswd with alice/s3cret-pw; start_registry starts one,
# start_token_server the token server (bob/t0ken-pw); all stop at the exit.
for tool in skopeo docker-registry htpasswd openssl; do
	command -v $tool >/dev/null || skip "$tool is not installed (scripts/install-deps)"
done

R=$T/reg
mkdir -p "$R"
REG_PIDS=()
oci_cleanup() {
	for p in "${REG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${REG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	cleanup
}
trap oci_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # wait_port PORT: until something listens there
	for _ in $(seq 1 100); do
		python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1",int(sys.argv[1])),1)' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1"; return 1
}

# a CA and a certificate for 127.0.0.1 signed by it; a key pair for the tokens
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=unik-test-ca \
	-keyout "$R/ca.key" -out "$R/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout "$R/server.key" -out "$R/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$R/ext.cnf"
openssl x509 -req -in "$R/server.csr" -CA "$R/ca.crt" -CAkey "$R/ca.key" -CAcreateserial \
	-days 2 -extfile "$R/ext.cnf" -out "$R/server.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=unik-test-token \
	-keyout "$R/token.key" -out "$R/token.crt" 2>/dev/null
htpasswd -Bbn alice s3cret-pw >"$R/htpasswd" 2>/dev/null

# start_registry NAME PORT AUTH-YAML TLS(0|1)
start_registry() {
	local name=$1 port=$2 auth=$3 tls=$4
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $R/$name-store}}"
		echo "http:"
		echo "  addr: 127.0.0.1:$port"
		[ "$tls" = 1 ] && echo "  tls: {certificate: $R/server.crt, key: $R/server.key}"
		[ -n "$auth" ] && printf 'auth:\n%s\n' "$auth"
	} >"$R/$name.yml"
	docker-registry serve "$R/$name.yml" >>"$R/$name.log" 2>&1 &
	REG_PIDS+=($!)
	wait_port "$port"
}

# start_token_server PORT: tests/e2e/oci_token_server.py for bob/t0ken-pw
start_token_server() {
	python3 "$ROOT/tests/e2e/oci_token_server.py" "$1" "$R/token.key" "$R/token.crt" \
		bob t0ken-pw unik-test-registry unik-test-issuer 2>>"$R/token.log" &
	REG_PIDS+=($!)
	wait_port "$1"
}
# token_auth_yaml TOKEN-PORT: the auth section of a registry using it
token_auth_yaml() {
	echo "  token: {realm: \"http://127.0.0.1:$1/token\", service: unik-test-registry, issuer: unik-test-issuer, rootcertbundle: $R/token.crt}"
}
