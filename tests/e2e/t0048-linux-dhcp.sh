#!/usr/bin/env bash
# t0048-linux-dhcp: the linux base's DHCP client (compilers/linux/
# dhcp_client.c), as the aws provider's unik.net=dhcp asks it on EC2.
# http-c built with --compiler linux, exported as its raw disk, its
# grub.cfg given unik.net=dhcp (the word the aws provider adds to the
# published disk; t0022 checks it does) and the kernel log on the console
# (loglevel=7, for the init's lines).  Booted under QEMU (TCG) from NVMe
# with a virtio-net NIC on a tap in a network namespace of the test's own,
# where dnsmasq is the DHCP server and gives EC2's MTU (option 26), 9001:
# the program's port answers on the leased address, the init's log names
# that lease and shows every module loaded (xen-netfront refusing: no Xen),
# and the TCP MSS the guest advertises is the MTU's.  The lease is dnsmasq's
# shortest, 2 minutes: at T1 (60 s) the init renews it (compilers/linux/
# dhcp_renew.c), dnsmasq ACKs a second REQUEST from the guest's MAC, and the
# port still answers on the same address.  Then dnsmasq is started again with
# another range and --dhcp-authoritative: it refuses (NAK) the next renewal,
# and the init removes the address, asks anew and gets one of the new range,
# where the port answers.  Last, unicast to the server is dropped in the
# namespace (iptables): the renewal at T1 goes unanswered (the rule counts
# it: RENEWING is unicast), and at T2 the init rebinds by broadcast, which
# dnsmasq ACKs.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/linux_disk.sh"
need_tools qemu-system-x86_64 python3 curl grub-mkimage mkfs.fat mcopy ip
command -v dnsmasq >/dev/null || skip "dnsmasq is not installed (dnsmasq-base, scripts/install-deps)"
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
[ "$(id -u)" = 0 ] || skip "a network namespace needs root"
start_daemon
linux_disk_export webd
check "its grub.cfg has no network words of its own" bash -c "! grep -q 'unik\.\(ip\|net\)=' '$T/l.cfg'"
linux_disk_words "'unik.net=dhcp' loglevel=7"

ns=unik-t0048-$$
netns_bridge "$ns" 10.248.0 tp || { netns_del; skip "cannot make a network namespace here"; }
# jumbo frames on the namespace's side, so that the MSS tells the guest's MTU
in_ns ip link set tp mtu 9001 && in_ns ip link set br0 mtu 9001 ||
	{ netns_del; skip "cannot set a tap's MTU to 9001 here"; }
QPID= DPID=
# started with ip netns exec itself (not in_ns, a function: $! would be a
# subshell's), so that $! is the process to stop
stop_ns() {
	kill "$QPID" "$DPID" 2>/dev/null
	[ -s "$T/dnsmasq.pid" ] && kill "$(cat "$T/dnsmasq.pid")" 2>/dev/null
	wait "$QPID" "$DPID" 2>/dev/null
	netns_del
}
trap 'stop_ns; cleanup' EXIT
# dnsmasq_start FIRST LAST LEASES [OPTION...]: a 2-minute lease of FIRST..LAST
dnsmasq_start() {
	local first=$1 last=$2 leases=$3
	shift 3
	ip netns exec "$NS" dnsmasq --keep-in-foreground --no-hosts --no-resolv --conf-file=/dev/null \
		--port=0 --interface=br0 --bind-interfaces \
		--dhcp-range="10.248.0.$first,10.248.0.$last,255.255.255.0,2m" \
		--dhcp-option=option:router,10.248.0.1 --dhcp-option=option:dns-server,10.248.0.1 \
		--dhcp-option=26,9001 --dhcp-leasefile="$leases" --log-dhcp --log-facility="$T/dnsmasq.log" \
		--pid-file="$T/dnsmasq.pid" "$@" >>"$T/dnsmasq.out" 2>&1 &
	DPID=$!
}
dnsmasq_start 50 60 "$T/leases"
ip netns exec "$NS" timeout 600 qemu-system-x86_64 -M pc -accel tcg -m 512 -display none -no-reboot -nodefaults \
	-serial "file:$T/l.com1" -drive "file=$T/l.raw,format=raw,if=none,id=d0" \
	-device nvme,drive=d0,serial=unikroot,bootindex=0 \
	-netdev tap,id=n0,ifname=tp,script=no,downscript=no \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:48:00:01 >"$T/l.qemu" 2>&1 &
QPID=$!
addr= got=
for _ in $(seq 1 400); do
	addr=$(awk '$2 == "52:54:00:48:00:01" { print $3 }' "$T/leases" 2>/dev/null)
	[ -n "$addr" ] && got=$(in_ns curl -s -m 2 "http://$addr:8080/" 2>/dev/null) && [ -n "$got" ] && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
check "dnsmasq leased an address to the guest's MAC ($addr)" test -n "$addr"
check "the program's port answers on the leased address" test -n "$got"
check "the init's log: eth0 leased from 10.248.0.1, $addr/24, MTU 9001" \
	bash -c "grep -a 'unik-init: eth0: leased from 10.248.0.1 for 120 s' '$T/l.com1' && grep -a 'unik-init: eth0: $addr/24 mtu 9001' '$T/l.com1'"
check "every network module loaded but xen-netfront, which is not for this machine (no Xen)" \
	bash -c "grep -aq 'unik-init: xen-netfront.ko: not for this machine' '$T/l.com1' && ! grep -a 'unik-init: cannot load' '$T/l.com1'"
mss=$(in_ns python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=5)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))' "$addr" 2>/dev/null)
check "the guest's MSS is the leased MTU's (9001 - 40, less TCP options; 1500's is 1460): $mss" \
	bash -c "[ '${mss:-0}' -gt 8900 ] && [ '${mss:-0}' -le 8961 ]"
# (dnsmasq's T1 and T2 are half and 7/8 of the lease less up to 1/16 of it)
check "the init renews at T1, 52-60 s, and rebinds at T2, 97-105 s" \
	grep -aEq 'unik-init: eth0: renewing at (5[2-9]|60) s, rebinding at (9[7-9]|10[0-5]) s' "$T/l.com1"
acks() { grep -ac "DHCPACK(br0) $addr 52:54:00:48:00:01" "$T/dnsmasq.log" 2>/dev/null; }
for _ in $(seq 1 150); do
	grep -aq 'unik-init: dhcp: lease renewed' "$T/l.com1" && [ "$(acks)" -ge 2 ] && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
check "dnsmasq ACKed a second REQUEST from the guest's MAC for $addr (the renewal): $(acks) ACKs" \
	bash -c "[ '$(acks)' -ge 2 ] && [ \$(grep -ac 'DHCPREQUEST(br0) $addr 52:54:00:48:00:01' '$T/dnsmasq.log') -ge 2 ]"
check "the init's log: the lease renewed by 10.248.0.1 for 120 s" \
	grep -aq 'unik-init: dhcp: lease renewed by 10.248.0.1 for 120 s (renewal 1, renewing)' "$T/l.com1"
check "the port still answers on $addr after the renewal" in_ns curl -sf -m 5 -o /dev/null "http://$addr:8080/"

kill "$DPID" 2>/dev/null
wait "$DPID" 2>/dev/null
dnsmasq_start 70 80 "$T/leases2" --dhcp-authoritative
addr2= got=
for _ in $(seq 1 200); do
	addr2=$(awk '$2 == "52:54:00:48:00:01" { print $3 }' "$T/leases2" 2>/dev/null)
	# the console lags: the init's line for the new address may come after the port
	[ -n "$addr2" ] && got=$(in_ns curl -s -m 2 "http://$addr2:8080/" 2>/dev/null) && [ -n "$got" ] &&
		grep -aq "unik-init: eth0: $addr2/24 mtu 9001" "$T/l.com1" && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
check "dnsmasq, restarted authoritative for .70-.80, refused the renewal of $addr (NAK)" \
	grep -aq "DHCPNAK(br0) $addr 52:54:00:48:00:01" "$T/dnsmasq.log"
check "the init: the renewal refused, the lease lost, its address removed" \
	bash -c "grep -aq 'unik-init: dhcp: the server refused to renew the lease' '$T/l.com1' && grep -aq 'unik-init: eth0: lease lost: its address is removed' '$T/l.com1'"
check "a new lease of the new range ($addr2), where the port answers" \
	bash -c "[ -n '$got' ] && grep -aq 'unik-init: eth0: $addr2/24 mtu 9001' '$T/l.com1'"
old=$(in_ns curl -s -m 3 "http://$addr:8080/" 2>/dev/null)
check "the old address no longer answers" test -z "$old"

# (the new lease's first renewal may come before the rule: a later one rebinds)
check "unicast to the DHCP server dropped in the namespace" \
	in_ns iptables -I INPUT -p udp --dport 67 -d 10.248.0.1 -j DROP
for _ in $(seq 1 200); do
	grep -aEq 'unik-init: dhcp: lease renewed by 10.248.0.1 for 120 s \(renewal [0-9]+, rebinding\)' "$T/l.com1" && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
dropped=$(in_ns iptables -L INPUT -v -n -x | awk '/dpt:67/ { print $1 }')
check "the renewing REQUEST went to the server by unicast (dropped: ${dropped:-0})" test "${dropped:-0}" -ge 1
check "the init rebound at T2 by broadcast, dnsmasq ACKed: the lease renewed (rebinding)" \
	grep -aEq 'unik-init: dhcp: lease renewed by 10.248.0.1 for 120 s \(renewal [0-9]+, rebinding\)' "$T/l.com1"
check "the port answers on $addr2 after rebinding" in_ns curl -sf -m 5 -o /dev/null "http://$addr2:8080/"
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
finish
