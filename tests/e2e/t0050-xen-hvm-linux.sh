#!/usr/bin/env bash
# t0050-xen-hvm-linux: the linux base's network in a Xen HVM domain, as on
# EC2's Xen types (t2, m4, c4), where t0049 tests a PVH one: Debian's cloud
# kernel finds Xen HVM (hvmloader, SeaBIOS, the platform PCI device) and the
# init's xen-netfront.ko drives the only NIC, a vif of type=vif (no emulated
# NIC, as on EC2), with its DHCP client (unik.net=dhcp, the word the aws
# provider adds).  The kernel, initrd and words of http-c's exported raw disk
# (built with --compiler linux) are given to the device model (xl kernel=,
# ramdisk=, extra=): GRUB reading 20 MB of kernel and initrd through
# SeaBIOS and the device model did not end in 15 minutes under nested TCG,
# and the disk's GRUB is tested by t0047/t0048.  In the nested dom0 of
# scripts/xen-dom0 with Debian's device model, busybox's udhcpd on dom0's
# bridge.  Checked on COM1 (a file, the kernel log on it): the kernel found
# Xen HVM, xen-netfront loaded, the init leased an address from dom0
# (udhcpd leased it to the vif's MAC), an HTTP request from dom0 answers.
# Skipped when Debian's packages cannot be downloaded or Xen cannot boot
# under TCG here.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/linux_disk.sh"
. "$ROOT/tests/lib/xen_dom0.sh"
need_tools qemu-system-x86_64 apt-get dpkg-deb cpio gzip ldd mcopy
xen_dom0_prepare
OV=$T/ov
xen_dom0_hvm
start_daemon
linux_disk_export webh
mcopy -n -i "$LINUX_DRIVE" ::/boot/vmlinuz "$OV/root/vmlinuz" &&
	mcopy -n -i "$LINUX_DRIVE" ::/boot/initrd.img "$OV/root/initrd.img"
# the disk's words, unquoted (console=ttyS0 among them: HVM has a UART)
words=$(sed -n "s|^linux /boot/vmlinuz ||p" "$T/l.cfg" | tr -d "'")
check "the disk's words: the image's, with the console on ttyS0 and no network words" \
	bash -c "echo '$words' | grep -q 'console=ttyS0' && ! echo '$words' | grep -q 'unik\.\(ip\|net\)='"
xen_dom0_net 10.50.0
xen_dom0_hvm_cfg lin 256 00:16:3e:00:00:50 'kernel = "/root/vmlinuz"' \
	'ramdisk = "/root/initrd.img"' "extra = \"$words unik.net=dhcp loglevel=7\""
cat >"$OV/root/run.sh" <<'EOF'
#!/bin/sh
. /root/dom0.sh
dom0_bridge 10.50.0
dom0_create /root/lin.cfg lin /tmp/com1.log 2 900
IP=$(sed -n 's/.*unik-init: eth0: \([0-9.]*\)\/.*/\1/p' /tmp/com1.log | head -1)
echo "GUEST-IP=$IP"
dom0_http "$IP"
xl destroy lin >/dev/null 2>&1
echo "COM1-BEGIN"; cat /tmp/com1.log; echo "COM1-END"
tail -20 /var/log/xen/qemu-dm-lin.log 2>/dev/null | sed 's/^/qemu-dm: /'
EOF
xen_dom0_boot 1800
xen_dom0_sections COM1 HTTP LEASES STALLED
ip=$(sed -n 's/^GUEST-IP=//p' "$T/log")
check "xl create of the HVM domain" grep -q "^DOM-CREATED" "$T/log"
check "the kernel runs as a Xen HVM guest" grep -aq "Hypervisor detected: Xen HVM" "$T/COM1"
check "xen-netfront.ko loaded (no 'cannot load' or 'not for this machine' line)" \
	bash -c "grep -aq 'unik-init: ' '$T/COM1' && ! grep -a 'unik-init: .*netfront.*\(cannot load\|not for this machine\)' '$T/COM1'"
check "the init leased an address from dom0 ($ip)" \
	grep -aq "unik-init: eth0: leased from 10.50.0.1 " "$T/COM1"
check "udhcpd leased it to the vif's MAC" grep -q "00:16:3e:00:00:50 *${ip:-none}" "$T/LEASES"
check "an HTTP request from dom0 answers (netfront)" grep -q "Hello from unik" "$T/HTTP"
[ -s "$T/STALLED" ] && { echo "# a first boot stalled; its console:"; sed 's/^/#   /' "$T/STALLED" | tail -40; }
[ "$FAILED" = 0 ] || sed -n '/XEN-DOM0-UP/,$p' "$T/log" | grep -av "save: " | tail -60
finish
