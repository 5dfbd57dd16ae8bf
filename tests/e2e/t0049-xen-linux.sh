#!/usr/bin/env bash
# t0049-xen-linux: the linux base's network under Xen, as on EC2's Xen
# types (t2, m4, c4): its initrd's xen-netfront.ko and its init's DHCP
# client (unik.net=dhcp, the word the aws provider adds).  http-c built
# with --compiler linux; the kernel, initrd and command-line words of its
# exported raw disk booted as a PVH domain (xl type="pvh": the same
# netfront and xenstore as an HVM domain, without the firmware that makes
# t0045 slow) with a vif on a bridge in the nested dom0 of scripts/xen-dom0,
# where busybox's udhcpd leases addresses.  Checked on the domain's console
# (hvc0, its kernel log shown): the init leased an address from dom0, the
# lease is the vif's MAC's, and an HTTP request from dom0 answers there.
# Skipped when Debian's packages cannot be downloaded or Xen cannot boot
# under TCG here.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/linux_disk.sh"
. "$ROOT/tests/lib/xen_dom0.sh"
need_tools qemu-system-x86_64 apt-get dpkg-deb cpio gzip mcopy
xen_dom0_prepare
start_daemon
linux_disk_export webx
OV=$T/ov
mkdir -p "$OV/root"
mcopy -n -i "$LINUX_DRIVE" ::/boot/vmlinuz "$OV/root/vmlinuz" &&
	mcopy -n -i "$LINUX_DRIVE" ::/boot/initrd.img "$OV/root/initrd.img"
# the disk's words, unquoted; hvc0 (PVH has no UART) and the kernel log last
words=$(sed -n "s|^linux /boot/vmlinuz ||p" "$T/l.cfg" | tr -d "'")
check "the disk's words: the image's, without network words" \
	bash -c "[ -n '$words' ] && ! echo '$words' | grep -q 'unik\.\(ip\|net\)='"
cat >"$OV/root/lin.cfg" <<EOF
name = "lin"
type = "pvh"
kernel = "/root/vmlinuz"
ramdisk = "/root/initrd.img"
extra = "$words unik.net=dhcp console=hvc0 loglevel=7"
memory = 256
vcpus = 1
vif = [ "bridge=br0, mac=00:16:3e:00:00:49" ]
on_poweroff = "destroy"
on_crash = "destroy"
on_reboot = "destroy"
EOF
xen_dom0_net 10.49.0
cat >"$OV/root/run.sh" <<'EOF'
#!/bin/sh
. /root/dom0.sh
dom0_bridge 10.49.0
C=/var/log/xen/console/guest-lin.log
# Debian's kernel sometimes triple-faults in its first instructions under
# nested TCG (nothing on its console, seen once on a quiet machine): such a
# domain is created again, at most twice, and the log says so
for try in 1 2 3; do
	if xl create /root/lin.cfg >/tmp/xl.log 2>&1; then echo LIN-CREATED; else
		echo LIN-CREATE-FAILED; cat /tmp/xl.log; exit 1
	fi
	i=0
	while ! grep -q "listening on port" $C 2>/dev/null && [ $i -lt 400 ]; do
		xl list lin >/dev/null 2>&1 || break
		sleep 1; i=$((i + 1))
	done
	echo "LIN-WAITED=$i"
	xl list lin >/dev/null 2>&1 || [ -s $C ] || { echo "LIN-CRASHED-EARLY=$try"; sleep 1; continue; }
	break
done
IP=$(sed -n 's/.*unik-init: eth0: \([0-9.]*\)\/.*/\1/p' $C | head -1)
echo "GUEST-IP=$IP"
dom0_http "$IP"
xl destroy lin >/dev/null 2>&1
echo "CONSOLE-BEGIN"; cat $C; echo "CONSOLE-END"
EOF
xen_dom0_boot 1200
xen_dom0_sections CONSOLE HTTP LEASES
ip=$(sed -n 's/^GUEST-IP=//p' "$T/log")
check "xl create of the PVH domain" grep -q "^LIN-CREATED" "$T/log"
check "xen-netfront.ko loaded (no 'cannot load' line)" bash -c "! grep -a 'unik-init: cannot load .*netfront' '$T/CONSOLE'"
check "the init leased an address from dom0 ($ip)" \
	grep -aq "unik-init: eth0: leased from 10.49.0.1 " "$T/CONSOLE"
check "udhcpd leased it to the vif's MAC" grep -q "00:16:3e:00:00:49 *${ip:-none}" "$T/LEASES"
check "an HTTP request from dom0 answers (netfront)" grep -q "Hello from unik" "$T/HTTP"
[ "$FAILED" = 0 ] || sed -n '/XEN-DOM0-UP/,$p' "$T/log" | tail -80
finish
