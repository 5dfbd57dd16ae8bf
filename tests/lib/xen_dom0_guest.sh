# xen_dom0_guest.sh - sourced by the nested-Xen tests' /root/run.sh inside
# dom0 (busybox sh), as /root/dom0.sh (tests/lib/xen_dom0.sh copies it).
# The results go to the serial line between NAME-BEGIN and NAME-END.

# dom0_bridge PREFIX: bridge br0 at PREFIX.1/24, udhcpd (/root/udhcpd.conf) on it
dom0_bridge() {
	brctl addbr br0 && ip addr add "$1.1/24" dev br0 && ip link set br0 up
	touch /tmp/udhcpd.leases
	udhcpd /root/udhcpd.conf
}

# dom0_http IP: an HTTP request to IP:8080 (HTTP), then udhcpd's leases (LEASES)
dom0_http() {
	printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 20 "$1" 8080 >/tmp/http.out 2>&1
	echo "HTTP-BEGIN"; cat /tmp/http.out; echo "HTTP-END"
	kill -USR1 "$(cat /tmp/udhcpd.pid)"; sleep 1 # udhcpd writes its leases
	echo "LEASES-BEGIN"; dumpleases -f /tmp/udhcpd.leases; echo "LEASES-END"
}

# dom0_create CFG NAME CONSOLE TRIES WAIT: `xl create CFG` (domain NAME), then
# up to WAIT s for the program's "listening on port" in CONSOLE.  A domain
# that never gets there is shown (its console between STALLED-BEGIN and
# STALLED-END, for a look at where it stopped), destroyed and created again,
# TRIES times in all.  0 once it listens.
dom0_create() {
	local cfg=$1 name=$2 con=$3 tries=$4 wait=$5 try=1 i t0
	while :; do
		xl create "$cfg" >/tmp/xl.log 2>&1 || {
			echo "DOM-CREATE-FAILED"; cat /tmp/xl.log; return 1
		}
		echo "DOM-CREATED"
		t0=$(date +%s)
		i=0
		# seconds, not rounds: under nested TCG a round of grep and xl list
		# takes seconds itself
		while ! grep -q "listening on port" "$con" 2>/dev/null && [ $i -lt "$wait" ]; do
			xl list "$name" >/dev/null 2>&1 || break
			sleep 1; i=$(($(date +%s) - t0))
		done
		echo "DOM-WAITED=${i}s"
		grep -q "listening on port" "$con" 2>/dev/null && return 0
		[ $try -ge "$tries" ] && return 1
		echo "STALLED-BEGIN"; cat "$con"; xl list; echo "STALLED-END"
		xl destroy "$name" >/dev/null 2>&1; sleep 2; rm -f "$con"
		try=$((try + 1))
	done
}
