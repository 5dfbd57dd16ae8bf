#!/usr/bin/env bash
# t0014-volume-data: data on volumes through the daemon, end to end: a program
# (tests/runtime/rvol, built by the c compiler) writes on a volume, stops; a
# second instance reads it (read-only: EROFS for changes); the host's e2fsck
# finds the disk clean after the guests' writes; a full disk gives the program
# ENOSPC; a volume made from a nested folder is read by the guest; 10,000
# creates/renames/deletes leave a clean file system.  On spt, qemu (raw and a
# qcow2 read-only copy) and hvt (kept small: its guest code runs emulated);
# libvirt's are in t0100-libvirt (the shared libvirtd).
. "$(dirname "$0")/../lib/e2e.sh"
need_tools mke2fs e2fsck debugfs
start_daemon
unik build -t rvol "$ROOT/tests/runtime/rvol" >"$T/build.log" 2>&1
check "the volume test program builds" eq "$?" 0

vol_disk() {
	echo "$STATE/volumes/$(unik volume inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')/disk.raw"
}
# rv PROVIDER VOLSPEC ARGS...: runs rvol attached, removed after; its output
rv() {
	local p=$1 v=$2
	shift 2
	timeout 300 "$BIN/unik" run --rm --provider "$p" -m 64 -v "$v" rvol "$@" 2>&1
}

# usable PROVIDER: whether the daemon says it can run here
usable() {
	unik providers --json | python3 -c 'import json,sys; p=[x for x in json.load(sys.stdin) if x["name"]==sys.argv[1]]; sys.exit(0 if p and p[0]["usable"] else 1)' "$1"
}

data_round() { # data_round PROVIDER
	local p=$1 out d
	unik volume create --size 16M "d-$p" >/dev/null
	d=$(vol_disk "d-$p")
	out=$(rv "$p" "d-$p:/data" write /data)
	check "$p: the program writes files, folders, links on a volume" contains "$out" "write: ok"
	wsum=$(echo "$out" | grep -o 'big.bin .*' | head -1)
	check "$p: e2fsck -fn finds the disk clean after the guest's writes" e2fsck -fn "$d"
	check "$p: the host reads what the guest wrote" \
		eq "$(debugfs -R 'cat /hello.txt' "$d" 2>/dev/null)" "hello, volume"
	out=$(rv "$p" "d-$p:/data:ro" check /data)
	check "$p: a second instance sees the data" contains "$out" "check: ok"
	check "$p: the same big file (size and checksum)" contains "$out" "check: ${wsum:-?}"
	out=$(rv "$p" "d-$p:/data:ro" ro /data hello.txt)
	check "$p: read-only: creating a file gives EROFS" contains "$out" "ro: create: EROFS"
	check "$p: and the file reads" contains "$out" "ro: hello.txt reads: hello, volume"
	check "$p: the read-only run changed nothing" e2fsck -fn "$d"
}

full_disk() { # full_disk PROVIDER
	local p=$1 out
	unik volume create --size 4M "f-$p" >/dev/null
	out=$(rv "$p" "f-$p:/data" fill /data)
	check "$p: a full disk gives the program ENOSPC" contains "$out" "fill: ENOSPC after"
	check "$p: then space is back after unlink" contains "$out" "fill: ok"
	check "$p: e2fsck -fn: clean after filling it" e2fsck -fn "$(vol_disk "f-$p")"
}

# ---- spt ----------------------------------------------------------------
if usable spt; then
	data_round spt
	full_disk spt
	mkdir -p "$T/tree/a/b/c"
	echo "from the host" >"$T/tree/a/b/c/note.txt"
	head -c 200000 /dev/urandom >"$T/tree/a/blob"
	unik volume create --from "$T/tree" tree >/dev/null
	out=$(rv spt "tree:/t:ro" sum /t)
	check "spt: a volume from a nested folder lists its files" contains "$out" "sum: a/b/c/note.txt 14 "
	check "spt: with their sizes" contains "$out" "sum: a/blob 200000 "
	unik volume create --from "$T/tree" --type fat treefat >/dev/null
	out=$(rv spt "treefat:/t:ro" sum /t)
	check "spt: a FAT volume from the folder reads the same" contains "$out" "sum: a/b/c/note.txt 14 "
	unik volume create --from "$T/tree" --type ext4 tree4 >/dev/null
	out=$(rv spt "tree4:/t:ro" sum /t)
	check "spt: an ext4 volume from the folder reads the same" contains "$out" "sum: a/b/c/note.txt 14 "
	# unik stop while the program runs: what it wrote and synced is there, clean
	unik volume create --size 8M stopme >/dev/null
	unik run -d --provider spt --name stopper -m 64 -v stopme:/data rvol stress /data >/dev/null
	for _ in $(seq 1 100); do
		unik logs stopper 2>/dev/null | grep -q "stress: waiting" && break
		sleep 0.1
	done
	unik stop stopper >/dev/null
	check "spt: a stopped program's volume is clean" e2fsck -fn "$(vol_disk stopme)"
	check "spt: with the data written before the stop" \
		eq "$(debugfs -R 'cat /before-stop' "$(vol_disk stopme)" 2>/dev/null)" "written before the stop"
	check "spt: and what it wrote on SIGTERM" \
		eq "$(debugfs -R 'cat /at-stop' "$(vol_disk stopme)" 2>/dev/null)" "written in the SIGTERM path"
	unik rm stopper >/dev/null
	unik volume create --size 64M churn >/dev/null
	out=$(rv spt "churn:/data" churn /data 10000)
	check "spt: 10,000 creates, renames and deletes" contains "$out" "churn: ok"
	check "spt: e2fsck -fn clean after them" e2fsck -fn "$(vol_disk churn)"
else
	skip_case "spt: the provider is not usable here"
fi

# ---- qemu ---------------------------------------------------------------
if usable qemu; then
	data_round qemu
	full_disk qemu
	# read-only volumes as qcow2 copies
	printf '[network]\nmode = none\n[qemu]\nvolume_format = qcow2\n' >"$T/unikd.conf"
	stop_daemon
	start_daemon
	out=$(rv qemu "d-qemu:/data:ro" check /data)
	check "qemu: a read-only qcow2 copy reads the same data" contains "$out" "check: ok"
	check "qemu: the copy is cached beside the master" \
		bash -c "ls '$(dirname "$(vol_disk d-qemu)")' | grep -q 'qcow2\$'"
	unik volume create --size 16M d2-qemu >/dev/null
	out=$(rv qemu "d2-qemu:/data" write /data)
	check "qemu: with qcow2 configured, a read-write run still writes" contains "$out" "write: ok"
	check "qemu: into the raw master" \
		eq "$(debugfs -R 'cat /hello.txt' "$(vol_disk d2-qemu)" 2>/dev/null)" "hello, volume"
	check "qemu: e2fsck -fn clean after" e2fsck -fn "$(vol_disk d2-qemu)"
	unik volume create --size 64M churn-qemu >/dev/null
	out=$(rv qemu "churn-qemu:/data" churn /data 10000)
	check "qemu: 10,000 creates, renames and deletes" contains "$out" "churn: ok"
	check "qemu: e2fsck -fn clean after them" e2fsck -fn "$(vol_disk churn-qemu)"
else
	skip_case "qemu: the provider is not usable here"
fi

# ---- hvt (small: emulated guest code is slow) --------------------------------
if usable hvt; then
	unik volume create --size 8M d-hvt >/dev/null
	out=$(rv hvt "d-hvt:/data" write /data)
	check "hvt: the program writes on a volume" contains "$out" "write: ok"
	check "hvt: e2fsck -fn clean" e2fsck -fn "$(vol_disk d-hvt)"
	out=$(rv hvt "d-hvt:/data:ro" check /data)
	check "hvt: a second instance sees the data" contains "$out" "check: ok"
	# The file system is the same code on every platform; on this machine's
	# nested KVM every runtime (ring-0) instruction is emulated, so 10,000
	# cycles take over ten minutes on hvt: T0014_HVT_CHURN sets the count.
	unik volume create --size 64M churn-hvt >/dev/null
	out=$(rv hvt "churn-hvt:/data" churn /data "${T0014_HVT_CHURN:-300}")
	check "hvt: ${T0014_HVT_CHURN:-300} creates, renames and deletes" contains "$out" "churn: ok"
	check "hvt: e2fsck -fn clean after them" e2fsck -fn "$(vol_disk churn-hvt)"
else
	skip_case "hvt: the provider is not usable here"
fi
# libvirt: in t0100-libvirt, which owns the shared libvirtd
finish
