# dnsmasq: the DNS server on UDP port 53 (compat/dnsmasq/files/dnsmasq.conf:
# no DHCP, no upstream, a pid file, bind-interfaces); tests/compat/tools/dnsq in the
# namespace asks for A records from its hosts file and a wildcard, a TXT and
# an MX record, and a name it does not have; then `unik stop`.
# It lists the interfaces through NETLINK_ROUTE and the SIOCGIF* ioctls,
# and binds each address (bind-interfaces).  Then the same in its default
# mode (/dnsmasq-wildcard.conf): one wildcard socket, where IP_PKTINFO on
# recvmsg names the interface and address each query reached (dnsmasq
# answers only on interfaces it knows) and on sendmsg sets the answer's
# source address (dnsq checks the answer's source and id).
SPEED=fast
smoke() { # smoke PROVIDER IMAGE
	mode_case "$1" "$2" bind-interfaces /dnsmasq.conf
	mode_case "$1" "$2" "default mode" /dnsmasq-wildcard.conf
}
mode_case() { # mode_case PROVIDER IMAGE MODE CONFIG
	local P="$1 ($3)" name=compat-dnsmasq-$1 a out rc
	start -- "$name" "$1" "$2" -C "$4" >/dev/null
	a=$(addr "$name")
	out=
	for _ in $(seq 1 30); do
		[ -n "$a" ] && out=$(in_ns "$ROOT/tests/compat/tools/dnsq" "$a" 53 www.unik.test A 2>&1) &&
			break
		running "$name" || break
		sleep 1
		a=$(addr "$name")
	done
	check "dnsmasq on $P: an A record from its hosts file" eq "$out" $'NOERROR\nA 10.1.2.3'
	if [ "$out" != $'NOERROR\nA 10.1.2.3' ]; then
		logs "$name" | tail -20 | sed 's/^/#   /'
		stopped "$name"
		return
	fi
	local q=(in_ns "$ROOT/tests/compat/tools/dnsq" "$a" 53)
	check "dnsmasq on $P: another A record" eq "$("${q[@]}" db.unik.test A)" $'NOERROR\nA 10.1.2.4'
	check "dnsmasq on $P: a wildcard address" eq "$("${q[@]}" x.wild.unik.test A)" \
		$'NOERROR\nA 10.9.8.7'
	check "dnsmasq on $P: a TXT record" eq "$("${q[@]}" hello.unik.test TXT)" \
		$'NOERROR\nTXT hello from dnsmasq on unik'
	check "dnsmasq on $P: an MX record" eq "$("${q[@]}" unik.test MX)" $'NOERROR\nMX 10 mail.unik.test'
	check "dnsmasq on $P: a name it does not have: NXDOMAIN" eq "$("${q[@]}" nope.unik.test A)" \
		NXDOMAIN
	unik stop "$name" >/dev/null 2>&1
	rc=$(exit_code "$name")
	out=$(logs "$name")
	stopped "$name"
	check "dnsmasq on $P: SIGTERM: exit status 0" eq "$rc" 0
	check "dnsmasq on $P: it logged the queries" contains "$out" "query[MX] unik.test"
}
