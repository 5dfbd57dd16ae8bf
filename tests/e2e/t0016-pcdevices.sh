#!/usr/bin/env bash
# t0016-pcdevices: the PC devices VirtualBox offers, under QEMU (TCG) with
# -M pc (SeaBIOS, i440fx/PIIX) and -M q35 (ICH9), -nodefaults, the image
# booted by -kernel (PVH): the 16550 console on COM1 and the exit status on
# COM2; AHCI disks (-device ahci + ide-hd on pc, q35's own controller):
# tests/runtime/rvol writes a volume, a second boot reads it back, e2fsck
# -fn is clean, two disks are /dev/vda and /dev/vdb in port order; the ACPI power button (QMP system_powerdown) stops the
# program gracefully: its SIGTERM handler writes a file on the AHCI volume,
# the exit status arrives, the idle guest uses ~0% CPU; the Intel PRO/1000
# (e1000 82540EM, 82545EM, e1000e 82574L) and legacy virtio-net PCI
# (disable-modern=on, what VirtualBox offers) serving examples/http-c inside
# a network namespace made here (root only).
. "$(dirname "$0")/../lib/e2e.sh"
need_tools qemu-system-x86_64 mke2fs e2fsck debugfs python3 curl
[ -f /usr/share/seabios/bios-256k.bin ] || skip "no SeaBIOS (/usr/share/seabios/bios-256k.bin)"
. "$ROOT/tests/lib/guest.sh"
. "$ROOT/tests/lib/netns.sh"
need_built "$TOOLS/cbuild" "$TOOLS/bootword"
PIDS=()
NS=
cleanup_pc() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	netns_del
	cleanup
}
trap cleanup_pc EXIT

make -s -C "$ROOT" guest >"$T/make.log" 2>&1 || { cat "$T/make.log"; exit 1; }
build() { # build NAME SRC: the image's path
	mkdir -p "$T/$1.out" "$T/$1.work"
	"$TOOLS/cbuild" "$2" "$T/$1.out" "$T/$1.work" "$1" 2>"$T/$1.build.log" | awk '{ print $2 }'
}
cp -r "$ROOT/tests/runtime/rvol" "$T/rvolsrc"
HELLO=$(build hello "$ROOT/examples/hello-c")
HTTP=$(build http "$ROOT/examples/http-c")
RVOL=$(build rvol "$T/rvolsrc")
[ -s "$HELLO" ] && [ -s "$HTTP" ] && [ -s "$RVOL" ] || { cat "$T"/*.build.log; exit 1; }

mount_word() { printf 'unik.mount=%s' "$(enc "$1")"; }
fsck_clean() { e2fsck -fn "$1" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; return 1; }; }
status_is() { [ "$(sed -n 's/^unik-exit-status=//p' "$T/$1.status")" = "$2" ]; }
RETRIES=0

# vm NAME MACHINE IMAGE WORDS [QEMU OPTIONS...]: starts QEMU in the
# background ($VM_PID; in $NS when set), COM1 to NAME.con, COM2 to
# NAME.status, QMP on NAME.qmp.
vm() {
	local name=$1 machine=$2 img=$3 words=$4 pre=()
	shift 4
	[ -n "$NS" ] && pre=(ip netns exec "$NS")
	rm -f "$T/$name.con" "$T/$name.status"
	"${pre[@]}" timeout 300 qemu-system-x86_64 -M "$machine" -accel tcg -cpu max -m 64 \
		-nodefaults -nographic -no-reboot -kernel "$img" -append "console=ttyS0 $words" \
		-serial "file:$T/$name.con" -chardev "file,id=status,path=$T/$name.status" \
		-device isa-serial,chardev=status,iobase=0x2f8,irq=3 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-qmp "unix:$T/$name.qmp,server=on,wait=off" "$@" >"$T/$name.qemu" 2>&1 &
	VM_PID=$!
	PIDS+=("$VM_PID")
}
# Machine pc/q35 under TCG: some boots die at the program's first
# instruction with a #GP (a bug outside these devices, seen with every image
# and every device, also in tests/volumes): such a boot is retried, counted.
died_gp() { grep -q "fatal: general protection fault" "$T/$1.con" 2>/dev/null; }
# run NAME MACHINE IMAGE WORDS [QEMU OPTIONS...]: boots to the end.
run() {
	for try in 1 2 3 4; do
		vm "$@"
		wait "$VM_PID"
		died_gp "$1" || return 0
		RETRIES=$((RETRIES + 1))
	done
}
# until_line NAME TEXT: NAME's console has TEXT (60 s at most), false
# at once when the boot died with the #GP above.
until_line() {
	for _ in $(seq 600); do
		grep -qF -- "$2" "$T/$1.con" 2>/dev/null && return 0
		died_gp "$1" && return 1
		sleep 0.1
	done
	return 1
}
# start NAME MACHINE IMAGE WORDS TEXT [QEMU OPTIONS...]: boots until the
# console shows TEXT, retrying boots that died with the #GP.
start() {
	local name=$1 machine=$2 img=$3 words=$4 text=$5
	shift 5
	for try in 1 2 3 4; do
		vm "$name" "$machine" "$img" "$words" "$@"
		until_line "$name" "$text" && return 0
		died_gp "$name" || return 1
		wait "$VM_PID"
		RETRIES=$((RETRIES + 1))
	done
	return 1
}
qmp() { # qmp NAME COMMAND...: runs QMP commands on NAME's socket
	python3 - "$T/$1.qmp" "${@:2}" <<'PY'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.1)
f = s.makefile('rw')
json.loads(f.readline())
for cmd in ['qmp_capabilities'] + sys.argv[2:]:
    f.write(json.dumps({'execute': cmd}) + '\n')
    f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r or 'error' in r:
            break
    if 'error' in r:
        sys.exit(r['error']['desc'])
PY
}
# ends NAME: QEMU exits within 60 s (killed after)
ends() {
	local pid=$VM_PID
	for _ in $(seq 600); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid"
	wait "$pid"
	return 1
}

# --- the console and the exit status ------------------------------------------
for m in pc q35; do
	run "$m-hello" "$m" "$HELLO" "unik.env=$(enc EXIT_CODE=7) unik.arg=one"
	check "$m: the program's output on COM1" has "$m-hello" "arg[1]=one"
	check "$m: its exit status (7) on COM2" status_is "$m-hello" 7
done

# --- AHCI volumes --------------------------------------------------------------
mkdir -p "$T/seed"
echo "seeded by mke2fs -d" >"$T/seed/seed.txt"
mkext2() { rm -f "$1"; truncate -s "$2" "$1"; mke2fs -q -F -t ext2 -b 1024 -d "$T/seed" "$1"; }
ahci_pc() { echo -device ahci,id=ahci -drive "if=none,id=d0,file=$1,format=raw" \
	-device ide-hd,drive=d0,bus=ahci.0; }
ahci_q35() { echo -drive "if=none,id=d0,file=$1,format=raw" -device ide-hd,drive=d0,bus=ide.0; }

mkext2 "$T/pc.img" 16M
# shellcheck disable=SC2046
run pc-write pc "$RVOL" "$(mount_word 0:/data:ext2:rw)$(args write /data)" $(ahci_pc "$T/pc.img")
check "pc ahci: rvol writes files, a 3 MiB file, renames, links, truncates" has pc-write "write: ok"
check "pc ahci: the program exits 0" status_is pc-write 0
check "pc ahci: e2fsck -fn is clean after the guest's writes" fsck_clean "$T/pc.img"
# shellcheck disable=SC2046
run pc-check pc "$RVOL" "$(mount_word 0:/data:ext2:ro)$(args check /data)" $(ahci_pc "$T/pc.img")
check "pc ahci: a second boot reads the first one's data back" has pc-check "check: ok"
# two disks on two ports: /dev/vdb is the second port's, written at any offset
truncate -s 8M "$T/raw0.img"
truncate -s 4M "$T/raw1.img"
run pc-raw pc "$RVOL" "$(args raw /dev/vdb)" -device ahci,id=ahci \
	-drive "if=none,id=d0,file=$T/raw0.img,format=raw" -device ide-hd,drive=d0,bus=ahci.0 \
	-drive "if=none,id=d1,file=$T/raw1.img,format=raw" -device ide-hd,drive=d1,bus=ahci.1
check "pc ahci: /dev/vdb is the second port's disk (4 MiB)" has pc-raw "raw: /dev/vdb is 4194304 bytes"
check "pc ahci raw: writes and reads back at any offset, fsync, ENOSPC past the end" \
	has pc-raw "raw: ok"
check "pc ahci raw: the host sees what the guest wrote" python3 -c "
import sys
d = open('$T/raw1.img', 'rb').read()
p = lambda i: ((i * 2654435761 >> 13) ^ 7) & 255
sys.exit(not all(d[(1 << 20) + i] == p(i) for i in range(65536)))"

# --- the power button (system_powerdown) on an AHCI volume ----------------------
for m in pc q35; do
	mkext2 "$T/$m-stop.img" 8M
	# shellcheck disable=SC2046
	if start "$m-stop" "$m" "$RVOL" "$(mount_word 0:/s:ext2:rw)$(args stress /s)" \
		"stress: waiting" $("ahci_$m" "$T/$m-stop.img"); then
		check "$m: the AHCI controller's interrupt is routed (the waits do not poll)" \
			bash -c "! grep -q 'cannot route' '$T/$m-stop.con'"
		check "$m: a program waiting for SIGTERM uses ~0% CPU" idle "$VM_PID"
		check "$m: QMP system_powerdown is accepted" qmp "$m-stop" system_powerdown
		check "$m: the guest ends after the power button" ends "$m-stop"
		check "$m power button: the SIGTERM handler ran" has "$m-stop" "stress: stopped"
		check "$m power button: the exit status (0) arrives on COM2" status_is "$m-stop" 0
		check "$m power button: the handler's file is on the AHCI volume" \
			bash -c "debugfs -R 'cat /at-stop' '$T/$m-stop.img' 2>/dev/null | grep -q 'SIGTERM path'"
		check "$m power button: e2fsck -fn is clean" fsck_clean "$T/$m-stop.img"
	else
		not_ok "$m: rvol stress came up on AHCI"
		cat "$T/$m-stop.con" "$T/$m-stop.qemu"
	fi
done

# --- network adapters (a namespace of our own) --------------------------------
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	skip_case "network adapters: needs root, ip and /dev/net/tun (namespace, tap)"
elif ! netns_bridge "unik-pc-$$" 10.252.0; then
	netns_del
	skip_case "network adapters: cannot create a network namespace"
else
	get_ok() { in_ns curl -sf -m 10 "http://10.252.0.5:8080/" | grep -q "Hello from unik"; }
	sequential() {
		local n=0
		for _ in $(seq 50); do
			[ "$(in_ns curl -s -m 10 -o /dev/null -w '%{http_code}' http://10.252.0.5:8080/)" = 200 ] &&
				n=$((n + 1))
		done
		[ "$n" = 50 ] || { echo "  $n of 50 succeeded"; return 1; }
	}
	wait_up() {
		for _ in $(seq 150); do
			in_ns curl -s -m 1 -o /dev/null "http://10.252.0.5:8080/" && return 0
			sleep 0.2
		done
		return 1
	}
	for mnic in pc:e1000 pc:e1000-82545em pc:e1000e pc:virtio-net-pci,disable-modern=on \
		q35:e1000; do
		m=${mnic%%:*} nic=${mnic#*:}
		name=net-$m-${nic%%,*}
		[ "$nic" != "${nic#virtio}" ] && name=net-$m-virtio-legacy
		[ "$m" = pc ] || nic="$nic ($m)"
		if start "$name" "$m" "$HTTP" "unik.ip=10.252.0.5/24 unik.gw=10.252.0.1" \
			"listening on port 8080" -netdev tap,id=n0,ifname=tp,script=no,downscript=no \
			-device "${mnic#*:},netdev=n0" && wait_up; then
			check "$nic: http-c answers GET /" get_ok
			check "$nic: 50 sequential connections" sequential
			check "$nic: an idle instance uses ~0% CPU" idle "$VM_PID"
			check "$nic: its interrupt is routed" bash -c "! grep -q 'cannot route' '$T/$name.con'"
			qmp "$name" system_powerdown
			check "$nic: system_powerdown ends it" ends "$name"
			check "$nic: by SIGTERM (exit status 143 on COM2)" status_is "$name" 143
		else
			not_ok "$nic: http-c came up"
			cat "$T/$name.con" "$T/$name.qemu"
			kill -KILL "$VM_PID" 2>/dev/null
			wait "$VM_PID" 2>/dev/null
		fi
	done
fi
echo "# boots retried after the #GP at the program's start: $RETRIES"
finish
