#!/usr/bin/env bash
# t0015-disk: the disks `unik export` stages for disk-booted hypervisors
# (providers/common/disk_stage.h, daemon/stagings.h): the raw MBR disk boots
# under QEMU from its own GRUB with SeaBIOS (no -kernel), on IDE (-M pc) and
# on an ICH9 AHCI controller (-M q35, as VirtualBox attaches SATA disks), and
# the program's output and exit status arrive on COM1 and COM2; it boots
# under UEFI (OVMF) from GRUB's EFI image on the same partition; its grub.cfg
# carries the command line; VMDK and VDI pass qemu-img check and convert back
# to the same bytes; the OVA is a tar with the .ovf first whose descriptor has
# the elements of docs/providers/virtualbox.md; the cache is used the second
# time; hostile requests; http-c's disk, booted from AHCI on -M pc, answers
# HTTP through an e1000 and through legacy virtio-net.
. "$(dirname "$0")/../lib/e2e.sh"
. "$(dirname "$0")/../lib/netns.sh"
need_tools grub-mkimage mkfs.fat mmd mcopy mtype mdir qemu-img python3
need_qemu
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
[ -f /usr/lib/grub/x86_64-efi/multiboot2.mod ] || skip "grub-efi-amd64-bin is not installed (scripts/install-deps)"
start_daemon

out=$(unik build -t hello-c --arg a --arg 'b c' "$ROOT/examples/hello-c" 2>&1)
check "build hello-c with default arguments" contains "$out" "Successfully built"
want=$'hello from unik\narg[1]=a\narg[2]=b c'
img_field() { unik images --json | python3 -c "import json,sys; i=[x for x in json.load(sys.stdin) if x['name']=='hello-c'][0]; print($1)"; }
staged_count() { grep -c "staged its $1 disk" "$T/unikd.log"; }

# ---- the image: a Multiboot2 header within its first 32 KiB --------------
kernel=$STATE/blobs/sha256/$(img_field 'i["kernel"].split(":")[1]')
check "the image has a valid Multiboot2 header in its first 32 KiB" python3 - "$kernel" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(32768)
for off in range(0, len(d) - 16, 8):
    magic, arch, length, csum = struct.unpack_from('<IIII', d, off)
    if magic == 0xe85250d6:
        assert arch == 0 and (magic + arch + length + csum) & 0xffffffff == 0, 'bad checksum'
        sys.exit(0)
sys.exit('no header')
EOF

# ---- hostile requests -------------------------------------------------
check "an unknown format is 400" json_error_is "$(api GET '/v1/images/hello-c/export?format=qcow9')" 400 invalid_argument
check "no format is 400" json_error_is "$(api GET '/v1/images/hello-c/export')" 400 invalid_argument
check "a missing image is 404" json_error_is "$(api GET '/v1/images/nope/export?format=raw')" 404 not_found
check "unik export of a missing image fails" bash -c "! '$BIN/unik' export --format raw -o '$T/x.raw' nope 2>/dev/null"
check "and leaves no file behind" test ! -e "$T/x.raw" -a ! -e "$T/x.raw.part"
check "nothing is staged yet" eq "$(img_field 'i["stagings"]')" "[]"
check "unik images shows no staging" eq "$(unik images | awk '$1=="hello-c"{print $NF}')" "-"

# ---- the raw disk ----------------------------------------------------
check "unik export --format raw" unik export --format raw -o "$T/disk.raw" hello-c
check "the MBR ends in 55 aa, with one active FAT16 partition at 1 MiB" python3 - "$T/disk.raw" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(512)
assert d[510:512] == b'\x55\xaa'
status, ptype = d[446], d[446 + 4]
start, count = struct.unpack_from('<II', d, 446 + 8)
assert status == 0x80 and ptype == 0x0e and start == 2048, (status, ptype, start)
import os
assert (start + count) * 512 == os.path.getsize(sys.argv[1])
assert d[462:510] == bytes(48), 'one partition only'
EOF
cfg=$(mtype -i "$T/disk.raw@@1048576" ::/boot/grub/grub.cfg 2>&1)
check "grub.cfg boots /boot/unik.elf through multiboot2" contains "$cfg" "multiboot2 /boot/unik.elf"
check "with the image's arguments" contains "$cfg" "'unik.arg=a' 'unik.arg=b%20c'"
check "the partition holds the image itself" \
	cmp "$kernel" <(mtype -i "$T/disk.raw@@1048576" ::/boot/unik.elf)

# boot_disk NAME MACHINE DRIVE-OPTIONS...: SeaBIOS boots the disk; COM1 and
# COM2 land in $T/NAME.com1 and $T/NAME.com2
boot_disk() {
	local name=$1 machine=$2
	shift 2
	timeout 300 qemu-system-x86_64 -M "$machine" -accel tcg -m 128 -display none -no-reboot \
		-nodefaults -serial "file:$T/$name.com1" -serial "file:$T/$name.com2" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 "$@" >"$T/$name.qemu" 2>&1
}
boot_disk pc pc -drive "file=$T/disk.raw,format=raw,if=ide,snapshot=on"
check "-M pc, IDE: GRUB boots the image, its output on COM1" eq "$(tr -d '\r' <"$T/pc.com1")" "$want"
check "-M pc, IDE: exit status 0 on COM2" eq "$(cat "$T/pc.com2")" "unik-exit-status=0"

boot_disk q35 q35 -drive "file=$T/disk.raw,format=raw,if=none,id=d0,snapshot=on" \
	-device ahci,id=sata -device ide-hd,drive=d0,bus=sata.0
check "-M q35, ICH9 AHCI: its output on COM1" eq "$(tr -d '\r' <"$T/q35.com1")" "$want"
check "-M q35, ICH9 AHCI: exit status 0 on COM2" eq "$(cat "$T/q35.com2")" "unik-exit-status=0"

# UEFI: OVMF boots GRUB's BOOTX64.EFI from the same partition (firmware and
# GRUB print on the serial ports too: the program's lines come last).
check "the partition holds GRUB for UEFI" \
	contains "$(mdir -b -i "$T/disk.raw@@1048576" ::/EFI/BOOT 2>&1)" "BOOTX64.EFI"
ovmf=/usr/share/OVMF/OVMF_CODE_4M.fd
if [ -f "$ovmf" ] && [ -f /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
	boot_disk efi q35 -drive "if=pflash,format=raw,readonly=on,file=$ovmf" \
		-drive "if=pflash,format=raw,file=$T/vars.fd" \
		-drive "file=$T/disk.raw,format=raw,if=none,id=d0,snapshot=on" \
		-device ahci,id=sata -device ide-hd,drive=d0,bus=sata.0
	check "UEFI (OVMF), ICH9 AHCI: the program's output ends COM1" \
		eq "$(tr -d '\r' <"$T/efi.com1" | tail -n 3)" "$want"
	check "UEFI: exit status 0 ends COM2" eq "$(tr -d '\r' <"$T/efi.com2" | tail -n 1)" "unik-exit-status=0"
else
	skip_case "UEFI boot: OVMF is not installed (package ovmf)"
fi

# An instance's own command line: a copy with another grub.cfg, as a
# disk-booted provider makes one (disk_stage_set_cmdline).
cp "$T/disk.raw" "$T/inst.raw"
printf "set timeout=0\nmultiboot2 /boot/unik.elf 'unik.arg=x' 'unik.env=EXIT_CODE%%3D7'\nboot\n" >"$T/grub.cfg"
mcopy -o -i "$T/inst.raw@@1048576" "$T/grub.cfg" ::/boot/grub/grub.cfg
boot_disk inst pc -drive "file=$T/inst.raw,format=raw,if=ide"
check "another grub.cfg: the program gets its arguments" eq "$(tr -d '\r' <"$T/inst.com1")" $'hello from unik\narg[1]=x'
check "and its exit status 7 arrives on COM2" eq "$(cat "$T/inst.com2")" "unik-exit-status=7"

# ---- VMDK, VDI --------------------------------------------------------
for f in vmdk vdi; do
	check "unik export --format $f" unik export --format $f -o "$T/disk.$f" hello-c
	check "$f: qemu-img check passes" qemu-img check -q "$T/disk.$f"
	check "$f: qemu-img info says $f" contains "$(qemu-img info "$T/disk.$f")" "file format: $f"
	qemu-img convert -f $f -O raw "$T/disk.$f" "$T/back.$f.raw"
	check "$f: converts back to the same raw bytes" cmp "$T/disk.raw" "$T/back.$f.raw"
done
check "the VMDK is streamOptimized" contains "$(qemu-img info "$T/disk.vmdk")" "create type: streamOptimized"

# ---- OVA ---------------------------------------------------------------
check "unik export --format ova" unik export --format ova -o "$T/hello.ova" hello-c
mem=$(img_field 'i["memory"]')
check "the OVA is a tar, the .ovf first; the OVF has what VirtualBox reads" \
	python3 - "$T/hello.ova" "$(stat -c %s "$T/disk.raw")" "$mem" "$T/ova.vmdk" <<'EOF'
import sys, tarfile, xml.etree.ElementTree as ET
ova, capacity, mem, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = tarfile.open(ova)
members = t.getmembers()
assert [m.name for m in members] == ['hello-c.ovf', 'hello-c-disk1.vmdk'], [m.name for m in members]
O = '{http://schemas.dmtf.org/ovf/envelope/1}'
R = '{http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData}'
env = ET.fromstring(t.extractfile(members[0]).read())
assert env.tag == O + 'Envelope' and env.get(O + 'version') == '1.0'
f = env.find(O + 'References/' + O + 'File')
assert f.get(O + 'href') == members[1].name and int(f.get(O + 'size')) == members[1].size
disk = env.find(O + 'DiskSection/' + O + 'Disk')
assert disk.get(O + 'fileRef') == f.get(O + 'id')
assert int(disk.get(O + 'capacity')) == capacity, (disk.get(O + 'capacity'), capacity)
assert 'streamOptimized' in disk.get(O + 'format')
assert env.find(O + 'NetworkSection/' + O + 'Network').get(O + 'name') == 'NAT'
vs = env.find(O + 'VirtualSystem')
assert vs.get(O + 'id') == 'hello-c'
assert vs.find(O + 'OperatingSystemSection').get(O + 'id') == '102'
hw = vs.find(O + 'VirtualHardwareSection')
assert hw.find(O + 'System') is not None
items = {}
for it in hw.findall(O + 'Item'):
    items[it.find(R + 'ResourceType').text] = {c.tag[len(R):]: c.text for c in it}
assert set(items) == {'3', '4', '20', '17', '10'}, items.keys()
assert items['3']['VirtualQuantity'] == '1'
assert items['4']['VirtualQuantity'] == str(mem) and items['4']['AllocationUnits'] == 'MegaBytes'
assert items['20']['ResourceSubType'] == 'AHCI'
assert items['17']['HostResource'] == '/disk/' + disk.get(O + 'diskId')
assert items['17']['Parent'] == items['20']['InstanceID']
assert items['10']['ResourceSubType'] == 'E1000' and items['10']['Connection'] == 'NAT'
open(out, 'wb').write(t.extractfile(members[1]).read())
EOF
check "the OVA's VMDK is the exported one" cmp "$T/ova.vmdk" "$T/disk.vmdk"

# ---- the cache ---------------------------------------------------------
ino=$(stat -c %i "$STATE"/stagings/*/disk.raw)
check "export raw again" unik export --format raw -o "$T/again.raw" hello-c
check "the same bytes" cmp "$T/disk.raw" "$T/again.raw"
check "staged once: the raw disk" eq "$(staged_count raw)" 1
check "staged once: the vmdk (the OVA reused it)" eq "$(staged_count vmdk)" 1
check "the cached file was not made again" eq "$(stat -c %i "$STATE"/stagings/*/disk.raw)" "$ino"
check "unik images shows the stagings" eq "$(unik images | awk '$1=="hello-c"{print $NF}')" "raw,vmdk,vdi,ova"
check "the image JSON lists them" eq "$(img_field '",".join(i["stagings"])')" "raw,vmdk,vdi,ova"
check "export to standard output" bash -c "'$BIN/unik' export --format vdi hello-c | cmp - '$T/disk.vdi'"
check "rmi removes the image" unik rmi hello-c
check "and its stagings" eq "$(ls "$STATE/stagings" | wc -l)" 0


# ---- the disk serves HTTP on VirtualBox's NICs -------------------------------------
# http-c's disk with the network words in its grub.cfg (as a provider writes
# them), booted by SeaBIOS from ICH9 AHCI on -M pc with an Intel PRO/1000
# (VirtualBox's default NIC) and with legacy virtio-net (its "paravirtualized
# network"), on a tap in a namespace of our own.
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	skip_case "the disk on VirtualBox's NICs: needs root, ip and /dev/net/tun (namespace, tap)"
elif ! unik build -t http-c "$ROOT/examples/http-c" >"$T/build-http.log" 2>&1; then
	not_ok "build http-c"
	cat "$T/build-http.log"
elif ! netns_bridge "unik-disk-$$" 10.253.0; then
	netns_del
	skip_case "the disk on VirtualBox's NICs: cannot create a network namespace"
else
	trap 'netns_del; cleanup' EXIT
	unik export --format raw -o "$T/http.raw" http-c >/dev/null 2>&1
	printf "set timeout=0\nmultiboot2 /boot/unik.elf 'unik.ip=10.253.0.5/24' 'unik.gw=10.253.0.1'\nboot\n" >"$T/grub-http.cfg"
	mcopy -o -i "$T/http.raw@@1048576" "$T/grub-http.cfg" ::/boot/grub/grub.cfg
	for nic in e1000 virtio-net-pci,disable-modern=on; do
		name=${nic%%,*}
		rm -f "$T/$name.com1"
		in_ns timeout 300 qemu-system-x86_64 -M pc -accel tcg -m 128 -display none -no-reboot \
			-nodefaults -serial "file:$T/$name.com1" -serial "file:$T/$name.com2" \
			-drive "file=$T/http.raw,format=raw,if=none,id=d0,snapshot=on" \
			-device ahci,id=sata -device ide-hd,drive=d0,bus=sata.0 \
			-netdev tap,id=n0,ifname=tp,script=no,downscript=no -device "$nic,netdev=n0" \
			>"$T/$name.qemu" 2>&1 &
		qpid=$!
		up=
		for _ in $(seq 300); do
			in_ns curl -s -m 1 -o /dev/null "http://10.253.0.5:8080/" && { up=1; break; }
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		what=$name
		[ "$name" = e1000 ] || what="legacy virtio-net"
		check "the disk on -M pc + AHCI + $what: http-c answers GET /" \
			bash -c "[ -n '$up' ] && ip netns exec '$NS' curl -sf -m 10 http://10.253.0.5:8080/ | grep -q 'Hello from unik'"
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		[ -n "$up" ] || { tail -5 "$T/$name.com1"; tail -5 "$T/$name.qemu"; }
	done
	netns_del
fi

finish
