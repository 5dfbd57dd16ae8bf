#!/usr/bin/env bash
# t0047-linux-disk: the staged disk of a linux-initrd image (the linux base:
# Debian's cloud kernel and unik's initrd), as the aws provider publishes
# it for Nitro types.  http-c built with --compiler linux, exported as the
# raw (MBR) disk: GRUB on it boots /boot/vmlinuz with /boot/initrd.img and
# the image's command-line words.  Booted under QEMU (TCG) from NVMe, as
# Nitro's root volume is, with a virtio-net NIC; the program's port answers
# through QEMU's user network.  The one change to the disk: unik.net=dhcp
# added to its grub.cfg, the word the aws provider adds to the published
# disk (no address words on EC2: the VPC's network), so the init asks QEMU's
# user network's DHCP server for its address (t0048 does the same against
# dnsmasq on a tap).  t0022 publishes the same image with the aws provider
# to the contract endpoint and runs it on a Nitro type (t3.micro), where a
# unik-elf http-c is refused.
. "$(dirname "$0")/../lib/e2e.sh"
. "$ROOT/tests/lib/linux_disk.sh"
need_tools qemu-system-x86_64 python3 curl grub-mkimage mkfs.fat mcopy
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
start_daemon
linux_disk_export webl
check "its grub.cfg: linux /boot/vmlinuz with the image's words, initrd /boot/initrd.img" \
	bash -c "grep -q \"^linux /boot/vmlinuz 'console=ttyS0'\" '$T/l.cfg' && grep -qx 'initrd /boot/initrd.img' '$T/l.cfg'"
check "the kernel and initrd are on the disk's partition" \
	bash -c "mdir -i '$LINUX_DRIVE' ::/boot | grep -q vmlinuz && mdir -i '$LINUX_DRIVE' ::/boot | grep -q initrd"
linux_disk_words "'unik.net=dhcp'"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout 400 qemu-system-x86_64 -M pc -accel tcg -m 512 -display none -no-reboot -nodefaults \
	-serial "file:$T/l.com1" -drive "file=$T/l.raw,format=raw,if=none,id=d0" \
	-device nvme,drive=d0,serial=unikroot,bootindex=0 \
	-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080" -device virtio-net-pci,netdev=n0 \
	>"$T/l.qemu" 2>&1 &
QPID=$!
trap 'kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; cleanup' EXIT
got=
for _ in $(seq 1 300); do
	got=$(curl -s -m 2 "http://127.0.0.1:$port/" 2>/dev/null) && [ -n "$got" ] && break
	kill -0 "$QPID" 2>/dev/null || break
	sleep 1
done
check "booted from NVMe by its GRUB, its address from DHCP, the port answers over virtio-net" test -n "$got"
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
finish
