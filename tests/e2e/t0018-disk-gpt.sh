#!/usr/bin/env bash
# t0018-disk-gpt: the GPT disk `unik export --format raw-gpt` stages
# (providers/common/disk_gpt.c): sgdisk -v finds its tables sound, fdisk
# reads an EFI System Partition at 1 MiB and a BIOS boot partition before
# it, the ESP holds GRUB for UEFI, the image and its grub.cfg; SeaBIOS
# (-M pc, IDE) boots it through GRUB's core.img in the BIOS boot partition
# and OVMF (-M q35, AHCI) through BOOTX64.EFI: the program's output and
# exit status arrive on COM1 and COM2.  It is cached and listed
# with the other stagings.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools grub-mkimage mkfs.fat mmd mcopy mtype mdir python3
need_qemu
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
[ -f /usr/lib/grub/x86_64-efi/multiboot2.mod ] || skip "grub-efi-amd64-bin is not installed (scripts/install-deps)"
start_daemon

out=$(unik build -t hello-c --arg a "$ROOT/examples/hello-c" 2>&1)
check "build hello-c with a default argument" contains "$out" "Successfully built"
want=$'hello from unik\narg[1]=a'
img_field() { unik images --json | python3 -c "import json,sys; i=[x for x in json.load(sys.stdin) if x['name']=='hello-c'][0]; print($1)"; }
kernel=$STATE/blobs/sha256/$(img_field 'i["kernel"].split(":")[1]')

check "unik export --format raw-gpt" unik export --format raw-gpt -o "$T/gpt.raw" hello-c
check "the protective MBR: one 0xee partition from LBA 1" python3 - "$T/gpt.raw" <<'EOF2'
import os, struct, sys
d = open(sys.argv[1], 'rb').read(1024)
assert d[510:512] == b'\x55\xaa' and d[446 + 4] == 0xee, d[446:462]
start, count = struct.unpack_from('<II', d, 446 + 8)
assert start == 1 and count == os.path.getsize(sys.argv[1]) // 512 - 1, (start, count)
assert d[462:510] == bytes(48)
assert d[512:520] == b'EFI PART'
EOF2
if command -v sgdisk >/dev/null; then
	v=$(sgdisk -v "$T/gpt.raw" 2>&1)
	check "sgdisk -v finds no problem" contains "$v" "No problems found"
else
	skip_case "sgdisk -v: gdisk is not installed (scripts/install-deps)"
fi
if command -v fdisk >/dev/null; then
	l=$(fdisk -l "$T/gpt.raw" 2>&1)
	check "fdisk reads a GPT" contains "$l" "Disklabel type: gpt"
	check "an EFI System Partition at 1 MiB, a BIOS boot partition before it" \
		eq "$(printf '%s\n' "$l" | awk '$1 ~ /gpt\.raw[0-9]+$/ {print $2, $3, $(NF-1), $NF}')" \
		$'34 2047 BIOS boot\n2048 34815 EFI System'
	check "fdisk: the entries are in disk order" bash -c "! grep -q \"not in disk order\" <<<\"\$1\"" _ "$l"
	check "fdisk: the disk is 18 MiB (the ESP's 16, 1 before, 1 after)" contains "$l" "18 MiB, 18874368 bytes"
else
	skip_case "fdisk -l: fdisk is not installed (scripts/install-deps)"
fi
esp=$T/gpt.raw@@1048576
check "the ESP holds GRUB for UEFI" contains "$(mdir -b -i "$esp" ::/EFI/BOOT 2>&1)" "BOOTX64.EFI"
check "and the image itself" cmp "$kernel" <(mtype -i "$esp" ::/boot/unik.elf)
check "and grub.cfg with the image's argument" \
	contains "$(mtype -i "$esp" ::/boot/grub/grub.cfg 2>&1)" "multiboot2 /boot/unik.elf 'unik.arg=a'"

# BIOS: SeaBIOS runs GRUB's boot code in the protective MBR, which loads
# core.img from the BIOS boot partition (LBA 34).
timeout 300 qemu-system-x86_64 -M pc -accel tcg -m 128 -display none -no-reboot \
	-nodefaults -serial "file:$T/bios.com1" -serial "file:$T/bios.com2" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-drive "file=$T/gpt.raw,format=raw,if=ide,snapshot=on" >"$T/bios.qemu" 2>&1
check "BIOS (SeaBIOS), IDE: GRUB boots the image, its output on COM1" eq "$(tr -d '\r' <"$T/bios.com1")" "$want"
check "BIOS: exit status 0 on COM2" eq "$(cat "$T/bios.com2")" "unik-exit-status=0"

ovmf=/usr/share/OVMF/OVMF_CODE_4M.fd
if [ -f "$ovmf" ] && [ -f /usr/share/OVMF/OVMF_VARS_4M.fd ]; then
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T/vars.fd"
	timeout 300 qemu-system-x86_64 -M q35 -accel tcg -m 128 -display none -no-reboot \
		-nodefaults -serial "file:$T/efi.com1" -serial "file:$T/efi.com2" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "if=pflash,format=raw,readonly=on,file=$ovmf" \
		-drive "if=pflash,format=raw,file=$T/vars.fd" \
		-drive "file=$T/gpt.raw,format=raw,if=none,id=d0,snapshot=on" \
		-device ahci,id=sata -device ide-hd,drive=d0,bus=sata.0 >"$T/efi.qemu" 2>&1
	check "UEFI (OVMF), AHCI: the program's output ends COM1" \
		eq "$(tr -d '\r' <"$T/efi.com1" | tail -n 2)" "$want"
	check "UEFI: exit status 0 ends COM2" eq "$(tr -d '\r' <"$T/efi.com2" | tail -n 1)" "unik-exit-status=0"
else
	skip_case "UEFI boot: OVMF is not installed (package ovmf)"
fi

check "export raw-gpt again: the cached disk" bash -c "'$BIN/unik' export --format raw-gpt hello-c | cmp - '$T/gpt.raw'"
check "staged once" eq "$(grep -c 'staged its raw-gpt disk' "$T/unikd.log")" 1
check "the image lists the staging" eq "$(img_field '",".join(i["stagings"])')" "raw-gpt"
check "rmi removes the image and its stagings" unik rmi hello-c
check "no staging is left" eq "$(ls "$STATE/stagings" | wc -l)" 0

finish
