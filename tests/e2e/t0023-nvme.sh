#!/usr/bin/env bash
# t0023-nvme: NVMe disks (runtime/platform/qemu/nvme.c), as on AWS Nitro
# instances, under QEMU TCG: the staged raw disk (unik export) boots from an
# NVMe controller through SeaBIOS and GRUB on -M q35 and pc, and on pc (the
# chipset Nitro presents) an ext2 volume on a second controller (disk 1
# after the boot disk) is written and e2fsck -fn clean; `unik run -v
# VOL:/data` with qemu.disk_bus = nvme (pc, an NVMe controller per volume):
# written by one run, read by the next, a stopped program's volume clean,
# http-c served through its virtio-net-pci NIC (QEMU's user network); a
# namespace of 4096-byte blocks read and written (ext2; raw at offsets the
# host checks, on a controller with namespaces 1 and 3, and 2 with metadata
# left alone); a controller whose MDTS (16 KiB) is below the driver's
# 128 KiB transfers writes a 3 MiB file that a controller without that
# limit reads back.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools mke2fs e2fsck debugfs python3 mtype mcopy
need_qemu
[ -f /usr/share/seabios/bios-256k.bin ] || skip "no SeaBIOS (/usr/share/seabios/bios-256k.bin)"
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
. "$ROOT/tests/lib/guest.sh"
need_built "$TOOLS/cbuild" "$TOOLS/bootword"
printf '[network]\nmode = none\n[qemu]\ndisk_bus = nvme\n' >"$T/unikd.conf"
start_daemon

fsck_clean() { e2fsck -fn "$1" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; return 1; }; }
mkext2() { rm -f "$1"; truncate -s "$2" "$1"; mke2fs -q -F -t ext2 -b "${3:-1024}" "$1"; }
status_is() { [ "$(sed -n 's/^unik-exit-status=//p' "$T/$1.status")" = "$2" ]; }
# The #GP some TCG boots of pc/q35 die of at the program's first instruction
# (t0016): such a boot is retried, counted.
RETRIES=0
died_gp() { grep -q "fatal: general protection fault" "$T/$1.con" 2>/dev/null; }
# boot NAME MACHINE [QEMU OPTIONS...]: QEMU to the end, COM1 to NAME.con,
# COM2 to NAME.status
boot() {
	local name=$1 machine=$2
	shift 2
	for _ in 1 2 3; do
		rm -f "$T/$name.con" "$T/$name.status"
		timeout 120 qemu-system-x86_64 -M "$machine" -accel tcg -cpu max -m 64 -nodefaults \
			-display none -no-reboot -serial "file:$T/$name.con" \
			-chardev "file,id=status,path=$T/$name.status" \
			-device isa-serial,chardev=status,iobase=0x2f8,irq=3 \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" >"$T/$name.qemu" 2>&1
		died_gp "$name" || return 0
		RETRIES=$((RETRIES + 1))
	done
}
# kboot NAME IMAGE WORDS [QEMU OPTIONS...]: IMAGE booted by -kernel on q35
kboot() {
	local name=$1 img=$2 words=$3
	shift 3
	boot "$name" q35 -kernel "$img" -append "console=ttyS0 unik.verbose $words" "$@"
}
nvme() { # nvme ID FILE [DEVICE OPTIONS]: a drive and an NVMe controller on it
	echo -drive "if=none,id=$1,file=$2,format=raw" -device "nvme,serial=$1,drive=$1${3:+,$3}"
}
mount_word() { printf 'unik.mount=%s' "$(enc "$1")"; }

# ---- the staged disk boots from NVMe (SeaBIOS, GRUB) -------------------------
out=$(unik build -t hello-c --arg a "$ROOT/examples/hello-c" 2>&1)
check "build hello-c" contains "$out" "Successfully built"
out=$(unik build -t rvol "$ROOT/tests/runtime/rvol" 2>&1)
check "build rvol" contains "$out" "Successfully built"
check "unik export --format raw hello-c" unik export --format raw -o "$T/hello.raw" hello-c
# shellcheck disable=SC2046
boot q35-hello q35 -drive "if=none,id=boot,file=$T/hello.raw,format=raw,snapshot=on" \
	-device nvme,serial=boot,drive=boot,bootindex=0
check "-M q35, NVMe: SeaBIOS and GRUB boot the disk, the output on COM1" \
	eq "$(tr -d '\r' <"$T/q35-hello.con")" $'hello from unik\narg[1]=a'
check "-M q35, NVMe: exit status 0 on COM2" status_is q35-hello 0

# SeaBIOS sets NVMe controllers up in parallel: without bootindex the
# first disk (BIOS drive 0x80) is whichever finished first.
check "unik export --format raw rvol" unik export --format raw -o "$T/rvol.raw" rvol
mkext2 "$T/second.img" 16M
printf "set timeout=0\nmultiboot2 /boot/unik.elf unik.verbose '%s' 'unik.arg=write' 'unik.arg=%%2Fdata'\nboot\n" \
	"$(mount_word 1:/data:ext2:rw)" >"$T/grub.cfg"
mcopy -o -i "$T/rvol.raw@@1048576" "$T/grub.cfg" ::/boot/grub/grub.cfg
# shellcheck disable=SC2046
boot pc-rvol pc -drive "if=none,id=boot,file=$T/rvol.raw,format=raw,snapshot=on" \
	-device nvme,serial=boot,drive=boot,bootindex=0 $(nvme data "$T/second.img")
check "-M pc (as Nitro), NVMe: the disk boots; its volume is disk 1, the second controller's" \
	has pc-rvol "volume /data: disk 1 (nvme 00:03.0 ns 1 lba 512, 16 MiB) ext2 rw"
check "pc NVMe volume: rvol writes files, a 3 MiB file, renames, links, truncates" \
	has pc-rvol "write: ok"
check "pc NVMe volume: exit status 0" status_is pc-rvol 0 || cat "$T/pc-rvol.con" "$T/pc-rvol.qemu"
check "pc NVMe volume: e2fsck -fn is clean after the guest's writes" fsck_clean "$T/second.img"
check "pc NVMe volume: the host reads what the guest wrote" \
	eq "$(debugfs -R 'cat /hello.txt' "$T/second.img" 2>/dev/null)" "hello, volume"

# ---- unik run with qemu.disk_bus = nvme --------------------------------------
vol_disk() {
	echo "$STATE/volumes/$(unik volume inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')/disk.raw"
}
rv() { # rv VOLSPEC ARGS...: rvol on qemu with the volume, removed after
	local v=$1
	shift
	timeout 300 "$BIN/unik" run --rm --provider qemu -m 64 -v "$v" rvol "$@" 2>&1
}
unik volume create --size 16M nv >/dev/null
unik run -d --provider qemu --name nvs -m 64 -v nv:/data rvol stress /data >"$T/run-d.log" 2>&1
pid=$(unik ps -a --json | python3 -c 'import json,sys; print([i.get("pid") or "" for i in json.load(sys.stdin) if i["name"] == "nvs"][0])' 2>/dev/null)
cmd=$(tr '\0' '\n' <"/proc/${pid:-0}/cmdline" 2>/dev/null)
check "qemu.disk_bus = nvme: the machine is pc (i440FX, PIIX3: Nitro's)" contains "$cmd" $'-M\npc'
check "and the volume an NVMe controller" contains "$cmd" "nvme,serial=unik-vol0,drive=vol0"
for _ in $(seq 300); do
	unik logs nvs 2>/dev/null | grep -q "stress: waiting" && break
	sleep 0.1
done
check "the program runs with its volume on NVMe" contains "$(unik logs nvs 2>&1)" "stress: waiting"
check "the controller's INTx is routed (PIIX3): waits do not poll" \
	bash -c "! '$BIN/unik' logs nvs 2>&1 | grep -q 'cannot route'"
if [ -n "$pid" ]; then
	check "a program waiting on pc with NVMe uses ~0% CPU" idle "$pid"
else
	not_ok "the instance has a pid"
fi
check "unik stop (NMI on pc) ends it" bash -c "'$BIN/unik' stop nvs >/dev/null"
check "the stopped program's NVMe volume is clean" fsck_clean "$(vol_disk nv)"
check "with what it wrote on SIGTERM" \
	eq "$(debugfs -R 'cat /at-stop' "$(vol_disk nv)" 2>/dev/null)" "written in the SIGTERM path"
unik rm nvs >/dev/null 2>&1
unik volume create --size 16M nd >/dev/null
out=$(rv nd:/data write /data)
check "unik run -v nd:/data on NVMe: the program writes" contains "$out" "write: ok"
wsum=$(echo "$out" | grep -o 'big.bin .*' | head -1)
check "e2fsck -fn finds the volume clean" fsck_clean "$(vol_disk nd)"
out=$(rv nd:/data:ro check /data)
check "a second run reads it (read-only)" contains "$out" "check: ok"
check "the same big file (size and checksum)" contains "$out" "check: ${wsum:-?}"
printf '[network]\nmode = none\n[qemu]\ndisk_bus = scsi\n' >"$T/unikd.conf"
stop_daemon
start_daemon
check "qemu.disk_bus = scsi: the run is refused (400)" \
	json_error_is "$(api POST /v1/instances -H 'Content-Type: application/json' \
		-d '{"image":"hello-c","provider":"qemu"}')" 400 invalid_argument
# the NIC on pc: virtio-net-pci, here on QEMU's user network
printf '[network]\nmode = user\n[qemu]\ndisk_bus = nvme\n' >"$T/unikd.conf"
stop_daemon
start_daemon
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if unik build -t http-c "$ROOT/examples/http-c" >"$T/build-http.log" 2>&1 &&
	unik run -d --provider qemu --name web -m 64 -p "127.0.0.1:$port:8080" http-c >/dev/null; then
	for _ in $(seq 150); do
		curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/" && break
		sleep 0.2
	done
	check "qemu.disk_bus = nvme: http-c answers through virtio-net-pci on pc" \
		bash -c "curl -sf -m 10 'http://127.0.0.1:$port/' | grep -q 'Hello from unik'"
	unik rm -f web >/dev/null 2>&1
else
	not_ok "http-c runs on qemu with qemu.disk_bus = nvme"
	cat "$T/build-http.log"
fi

# ---- 4096-byte blocks; MDTS below the transfer size --------------------------
RVOL=$(unik images --json | python3 -c "import json,sys; i=[x for x in json.load(sys.stdin) if x['name']=='rvol'][0]; print(i['kernel'].split(':')[1])")
RVOL=$STATE/blobs/sha256/$RVOL
mkext2 "$T/4k.img" 16M 4096
# shellcheck disable=SC2046
kboot 4k-write "$RVOL" "$(mount_word 0:/data:ext2:rw)$(args write /data)" \
	$(nvme d4k "$T/4k.img" logical_block_size=4096,physical_block_size=4096)
check "4096-byte blocks: the namespace's LBA format is used" has 4k-write "lba 4096, 16 MiB) ext2 rw"
check "4096-byte blocks: rvol writes on ext2" has 4k-write "write: ok"
check "4096-byte blocks: e2fsck -fn clean" fsck_clean "$T/4k.img"
truncate -s 8M "$T/raw0.img"
truncate -s 4M "$T/raw1.img"
# shellcheck disable=SC2046
truncate -s 4M "$T/meta.img"
# one controller, namespaces 1 (512-byte blocks), 2 (8 bytes of metadata per
# block: not driven) and 3 (4096): disks 0 and 1
kboot 4k-raw "$RVOL" "$(args raw /dev/vdb)" -device nvme,id=c0,serial=c0 \
	-drive "if=none,id=r0,file=$T/raw0.img,format=raw" -device nvme-ns,drive=r0,bus=c0,nsid=1 \
	-drive "if=none,id=m,file=$T/meta.img,format=raw" -device nvme-ns,drive=m,bus=c0,nsid=2,ms=8 \
	-drive "if=none,id=r1,file=$T/raw1.img,format=raw" \
	-device nvme-ns,drive=r1,bus=c0,nsid=3,logical_block_size=4096,physical_block_size=4096
check "a namespace with metadata is named and left alone" \
	has 4k-raw "nvme 00:01.0 ns 2 lba 512: LBA format 1 (0x90008) of 8065 blocks; not used"
check "two namespaces: /dev/vdb is namespace 3 of 4096-byte blocks (4 MiB)" \
	has 4k-raw "raw: /dev/vdb is 4194304 bytes"
check "4096-byte blocks raw: writes and reads back at any offset, fsync, ENOSPC" has 4k-raw "raw: ok"
check "4096-byte blocks raw: the host sees what the guest wrote, where" python3 -c "
import sys
d = open('$T/raw1.img', 'rb').read()
p = lambda i: ((i * 2654435761 >> 13) ^ 7) & 255
sys.exit(not all(d[(1 << 20) + i] == p(i) for i in range(65536)))"

mkext2 "$T/mdts.img" 16M
# shellcheck disable=SC2046
kboot mdts-write "$RVOL" "$(mount_word 0:/data:ext2:rw)$(args write /data)" \
	$(nvme dm "$T/mdts.img" mdts=2)
check "MDTS 16 KiB: rvol writes a 3 MiB file and more" has mdts-write "write: ok"
check "MDTS 16 KiB: e2fsck -fn clean" fsck_clean "$T/mdts.img"
msum=$(grep -o 'big.bin .*' "$T/mdts-write.con" | head -1)
# shellcheck disable=SC2046
kboot mdts-check "$RVOL" "$(mount_word 0:/data:ext2:ro)$(args check /data)" $(nvme dm "$T/mdts.img")
check "read back through 128 KiB transfers (PRP lists): the same data" has mdts-check "check: ok"
check "the same big file" has mdts-check "check: ${msum:-?}"
echo "# boots retried after the #GP at the program's start: $RETRIES"
finish
