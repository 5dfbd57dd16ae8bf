#!/usr/bin/env bash
# t0013-volumes: volumes' API and CLI bookkeeping (create from a size or a
# folder, ls, inspect, rm, attach, detach), the disks being real file systems
# (e2fsck -fn, fsck.vfat -n, debugfs), and the rules of runs with volumes:
# wrong path, missing volume, one writer, many readers, busy volumes, what the
# providers are given (monitor --block options, QEMU drives, unik.mount words).
. "$(dirname "$0")/../lib/e2e.sh"
need_tools mke2fs mformat mcopy mtype e2fsck fsck.vfat debugfs qemu-img
start_daemon

# vol_disk NAME: the path of a volume's master disk
vol_id() { unik volume inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])'; }
vol_disk() { echo "$STATE/volumes/$(vol_id "$1")/disk.raw"; }
vol_field() { # vol_field NAME PYEXPR(v)
	unik volume inspect "$1" | python3 -c "import json,sys; v=json.load(sys.stdin)[0]; print($2)"
}
status_of() { echo "${1%% *}"; }

# ---- create: errors -------------------------------------------------------
json_error_is_() { json_error_is "$@" >/dev/null 2>&1; }
check "create without a name is 400" json_error_is_ "$(api POST '/v1/volumes?size=8388608')" 400 invalid_argument
check "a bad name is 400" json_error_is_ "$(api POST '/v1/volumes?name=-x&size=8388608')" 400 invalid_argument
check "an unknown type is 400" json_error_is_ "$(api POST '/v1/volumes?name=x&type=ntfs&size=8388608')" 400 invalid_argument
check "neither a size nor content is 400" json_error_is_ "$(api POST '/v1/volumes?name=x')" 400 invalid_argument
check "a size under 1 MiB is 400" json_error_is_ "$(api POST '/v1/volumes?name=x&size=1000')" 400 invalid_argument
check "a size over the limit is 400" json_error_is_ "$(api POST '/v1/volumes?name=x&size=99999999999999999')" 400 invalid_argument
check "over daemon.max_volume_size (64G by default) is 400" \
	json_error_is_ "$(api POST "/v1/volumes?name=x&size=$((65 << 30))")" 400 invalid_argument
check "a size that is no number is 400" json_error_is_ "$(api POST '/v1/volumes?name=x&size=big')" 400 invalid_argument
check "nothing was left behind" eq "$(ls "$STATE/volumes" 2>/dev/null | wc -l)" 0

# ---- create: an empty ext2 volume ----------------------------------------
out=$(api POST '/v1/volumes?name=data&size=8000000')
check "create of an empty volume is 201" eq "$(status_of "$out")" 201
check "its size is rounded up to whole MiB" eq "$(vol_field data 'v["size"]')" 8388608
check "ext2 by default" eq "$(vol_field data 'v["type"]')" ext2
check "nothing attached" eq "$(vol_field data 'len(v["attachments"])')" 0
check "the same name again is 409" json_error_is_ "$(api POST '/v1/volumes?name=data&size=8388608')" 409 conflict
d=$(vol_disk data)
check "its disk is a file in the state dir" test -f "$d"
check "of the volume's size" eq "$(stat -c %s "$d")" 8388608
check "readable by the daemon's user only" eq "$(stat -c %a "$d")" 600
check "e2fsck -fn finds it clean" e2fsck -fn "$d"
check "it is ext2" contains "$(debugfs -R stats "$d" 2>/dev/null | grep -i 'features')" "ext_attr"
check "its root belongs to 0:0" contains "$(debugfs -R 'stat /' "$d" 2>/dev/null | grep -i user)" "User:     0"

# ---- create from a nested folder: ext4, fat --------------------------------
mkdir -p "$T/content/a/b/c" "$T/content/empty"
echo "deep file" >"$T/content/a/b/c/deep.txt"
printf 'top\n' >"$T/content/top.txt"
head -c 300000 /dev/urandom >"$T/content/a/blob.bin"
mkdir -p "$T/big"
head -c 1500000 /dev/urandom >"$T/big/blob.bin"
ln -s a/b "$T/content/link"
check "create-volume (UniK's name) --from a folder, ext4" \
	bash -c "'$BIN/unik' create-volume --from '$T/content' --type ext4 e4 >/dev/null"
d=$(vol_disk e4)
check "e2fsck -fn: the ext4 disk is clean" e2fsck -fn "$d"
check "it is ext4" contains "$(debugfs -R stats "$d" 2>/dev/null | grep -i 'features')" "extent"
check "debugfs -R ls shows the folder's top level" \
	contains "$(debugfs -R 'ls -p /' "$d" 2>/dev/null)" "/top.txt/"
check "a nested file holds its content" eq "$(debugfs -R 'cat /a/b/c/deep.txt' "$d" 2>/dev/null)" "deep file"
check "a larger file too" eq "$(debugfs -R 'cat /a/blob.bin' "$d" 2>/dev/null | sha256sum)" \
	"$(sha256sum <"$T/content/a/blob.bin")"
check "a symlink stays a symlink" contains "$(debugfs -R 'stat /link' "$d" 2>/dev/null)" "Type: symlink"
check "the size fits the content by default" \
	test "$(vol_field e4 'v["size"]')" -ge $((16 << 20))

check "volume create --from a folder, fat" \
	bash -c "'$BIN/unik' volume create --from '$T/content/a' --type fat --size 4M fatv >/dev/null"
d=$(vol_disk fatv)
check "fsck.vfat -n: the fat disk is clean" fsck.vfat -n "$d"
check "of 4 MiB" eq "$(stat -c %s "$d")" $((4 << 20))
check "mtype reads a nested file" eq "$(mtype -i "$d" ::/b/c/deep.txt)" "deep file"
check "and the larger one" eq "$(mtype -i "$d" ::/blob.bin | sha256sum)" "$(sha256sum <"$T/content/a/blob.bin")"

check "a folder larger than --size is refused" \
	bash -c "! '$BIN/unik' volume create --from '$T/big' --size 1M small 2>'$T/err'"
check "saying it does not fit" contains "$(cat "$T/err")" "does not fit"
check "and leaves no volume" bash -c "! '$BIN/unik' volume inspect small 2>/dev/null"

# a hostile upload: an entry that climbs out of the folder
python3 - "$T/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"x"
    i = tarfile.TarInfo("../../escape.txt"); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
PY
out=$(api POST '/v1/volumes?name=evil' --data-binary @"$T/evil.tar" -H 'Content-Type: application/x-tar')
check "an upload with '..' is 400" json_error_is_ "$out" 400 invalid_argument
check "nothing escaped" bash -c "! ls '$STATE'/escape.txt '$STATE'/tmp/escape.txt 2>/dev/null"
check "only the three volumes exist" eq "$(unik volume ls -q | sort | tr '\n' ' ')" "data e4 fatv "
check "volumes (UniK's name) lists them" eq "$(unik volumes | tail -n +2 | wc -l)" 3
check "inspect of a missing volume is 404" json_error_is_ "$(api GET /v1/volumes/nope)" 404 not_found
check "unik volume inspect of a missing one fails" bash -c "! '$BIN/unik' volume inspect nope 2>/dev/null"
check "a bad --size is a usage error" bash -c "'$BIN/unik' volume create --size 12X v 2>/dev/null; [ \$? -eq 2 ]"

# ---- runs with volumes --------------------------------------------------
mkdir -p "$T/ticker"
# access(): a call that takes a path, so the image links the volumes (an
# image whose program makes none stops at boot when given one: docs/runtime.md)
cat >"$T/ticker/ticker.c" <<'C'
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	if (access("/", F_OK) != 0)
		return 1;
	for (;;) {
		printf("tick\n");
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
}
C
unik build -t ticker "$T/ticker" >/dev/null 2>&1
check "ticker image built" eq "$?" 0

create() { # create NAME VOLUMES-JSON: a created (not started) spt instance
	api POST /v1/instances -H 'Content-Type: application/json' \
		-d "{\"image\":\"ticker\",\"name\":\"$1\",\"provider\":\"spt\",\"start\":false,\"volumes\":$2}"
}
check "a relative mount path is 400" json_error_is_ "$(create c1 '["data:data"]')" 400 invalid_argument
check "mounting at / is 400" json_error_is_ "$(create c1 '["data:/"]')" 400 invalid_argument
check "under /proc is 400" json_error_is_ "$(create c1 '["data:/proc/x"]')" 400 invalid_argument
check "at /dev is 400" json_error_is_ "$(create c1 '["data:/dev"]')" 400 invalid_argument
check "a '..' component is 400" json_error_is_ "$(create c1 '["data:/a/../b"]')" 400 invalid_argument
check "a bad mode is 400" json_error_is_ "$(create c1 '["data:/d:rx"]')" 400 invalid_argument
check "a missing volume is 404" json_error_is_ "$(create c1 '["nope:/d"]')" 404 not_found
check "the same volume twice is 400" json_error_is_ "$(create c1 '["data:/a","data:/b:ro"]')" 400 invalid_argument
check "overlapping paths are 400" json_error_is_ "$(create c1 '["data:/a","e4:/a/b:ro"]')" 400 invalid_argument
check "a fat volume read-write is 400 (the runtime reads FAT only)" \
	json_error_is_ "$(create c1 '["fatv:/f"]')" 400 invalid_argument
check "an ext4 volume read-write is 400 (read-only in the runtime)" \
	json_error_is_ "$(create c1 '["e4:/e"]')" 400 invalid_argument
check "no instance was made by the refusals" eq "$(unik ps -aq | wc -l)" 0
check "the CLI refuses a bad -v before asking (125, as run's other usage errors)" \
	bash -c "'$BIN/unik' run -d -v data:rel ticker 2>/dev/null; [ \$? -eq 125 ]"

unik volume create --size 4M e2ro >/dev/null
out=$(create c1 '["data:/data","e2ro:/e2ro:ro","e4:/e4:ro"]')
check "a created instance with three volumes is 201" eq "$(status_of "$out")" 201
check "it lists them in disk order" eq "$(echo "${out#* }" | python3 -c 'import json,sys; print(" ".join(m["name"]+":"+m["path"]+(":ro" if m["read_only"] else "") for m in json.load(sys.stdin)["volumes"]))')" \
	"data:/data e2ro:/e2ro:ro e4:/e4:ro"
check "the volume shows the attachment" eq "$(vol_field data '[(a["instance_name"], a["path"], a["read_only"], a["running"]) for a in v["attachments"]]')" \
	"[('c1', '/data', False, False)]"
check "volume ls shows it" contains "$(unik volume ls | grep '^data ')" "c1:/data"
check "rm of a volume a stopped instance mounts is 409" \
	json_error_is_ "$(api DELETE /v1/volumes/e2ro)" 409 conflict

# a running instance: its monitor gets the disks, its guest the mount words
unik start c1 >/dev/null 2>&1
check "the instance with volumes runs" eq "$(unik ps | grep -c ' c1 ')" 1
pid=$(unik ps --json | python3 -c 'import json,sys; print([i["pid"] for i in json.load(sys.stdin) if i["name"]=="c1"][0])')
# spt monitors keep no command line: the disks they opened show as fds
fds=$(ls -l /proc/"$pid"/fd 2>/dev/null)
check "the monitor opened the read-write volume's disk" contains "$fds" "$(vol_disk data)"
check "and the read-only ones" bash -c "grep -qF '$(vol_disk e2ro)' <<<'$fds' && grep -qF '$(vol_disk e4)' <<<'$fds'"
rw_fd=$(ls -l /proc/"$pid"/fd | grep -F "$(vol_disk data)" | awk '{print $9}')
ro_fd=$(ls -l /proc/"$pid"/fd | grep -F "$(vol_disk e4)" | awk '{print $9}')
flags() { awk '/^flags/ {print $2}' /proc/"$pid"/fdinfo/"$1" 2>/dev/null; }
check "the read-write one for writing (--block DISK)" test $((0$(flags "$rw_fd") & 3)) -eq 2
check "the read-only ones read-only (--block DISK:ro)" test $((0$(flags "$ro_fd") & 3)) -eq 0
check "the volume says a running instance mounts it" eq "$(vol_field data 'v["attachments"][0]["running"]')" True
check "the generation of a read-write volume moves at its start" eq "$(vol_field data 'v["generation"]')" 1
check "rm of a volume a running instance mounts is 409" \
	json_error_is_ "$(api DELETE '/v1/volumes/data?force=1')" 409 conflict
check "unik volume rm says so" bash -c "! '$BIN/unik' volume rm -f data 2>'$T/err'"
check "naming the instance" contains "$(cat "$T/err")" "c1"

# one writer at a time
out=$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d '{"image":"ticker","name":"w2","provider":"spt","volumes":["data:/d"]}')
check "a second writer of a running volume is 409" json_error_is_ "$out" 409 conflict
check "and the refused run left no instance" bash -c "! '$BIN/unik' ps -a | grep -q ' w2 '"
out=$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d '{"image":"ticker","name":"w2","provider":"spt","volumes":["data:/d"],"start":false}')
check "the second writer can be created, not started" eq "$(status_of "$out")" 201
check "a reader of a volume mounted read-write is 409" \
	json_error_is_ "$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":"ticker","name":"r2","provider":"spt","volumes":["data:/d:ro"]}')" 409 conflict
# many readers
out=$(api POST /v1/instances -H 'Content-Type: application/json' \
	-d '{"image":"ticker","name":"r3","provider":"spt","volumes":["e4:/e4:ro","e2ro:/f:ro","fatv:/fat:ro"]}')
check "a second reader of read-only volumes runs" eq "$(status_of "$out")" 201
check "a fat volume read-only is mounted" eq "$(vol_field fatv 'sum(a["running"] for a in v["attachments"])')" 1
check "so two running instances mount e4" eq "$(vol_field e4 'sum(a["running"] for a in v["attachments"])')" 2
unik volume create --size 2M spare >/dev/null
check "attach to a running spt instance is 501 (no hot-plug)" \
	json_error_is_ "$(api POST /v1/volumes/spare/attach -H 'Content-Type: application/json' -d '{"instance":"c1","path":"/s"}')" 501 not_supported
check "so is detach" json_error_is_ "$(api POST /v1/volumes/data/detach -H 'Content-Type: application/json' -d '{"instance":"c1"}')" 501 not_supported
check "detach of a volume it does not mount is 404" \
	json_error_is_ "$(api POST /v1/volumes/spare/detach -H 'Content-Type: application/json' -d '{"instance":"c1"}')" 404 not_found
check "attach with a bad path is 400" \
	json_error_is_ "$(api POST /v1/volumes/spare/attach -H 'Content-Type: application/json' -d '{"instance":"w2","path":"/proc"}')" 400 invalid_argument

unik stop r3 >/dev/null 2>&1
unik stop c1 >/dev/null 2>&1
check "e2fsck -fn: still clean after the run" e2fsck -fn "$(vol_disk data)"
check "once c1 stopped, w2 (the second writer) starts" bash -c "'$BIN/unik' start w2 >/dev/null 2>&1"
unik stop w2 >/dev/null 2>&1
check "attach to a stopped instance" bash -c "'$BIN/unik' attach-volume --ro spare r3 /spare >/dev/null"
check "r3 now mounts it" contains "$(unik volume ls | grep '^spare ')" "r3:/spare:ro"
check "detach from the stopped instance" bash -c "'$BIN/unik' volume detach spare r3 >/dev/null"
check "r3 no longer mounts it" eq "$(vol_field spare 'len(v["attachments"])')" 0

# read-only volumes on QEMU in qcow2: a converted copy beside the master
if command -v qemu-system-x86_64 >/dev/null; then
	printf '[network]\nmode = none\n[qemu]\nvolume_format = qcow2\n' >"$T/unikd.conf"
	stop_daemon
	start_daemon
	out=$(api POST /v1/instances -H 'Content-Type: application/json' \
		-d '{"image":"ticker","name":"q1","provider":"qemu","volumes":["data:/data","e4:/e4:ro"]}')
	check "a run on qemu with volumes is 201" eq "$(status_of "$out")" 201
	qpid=$(echo "${out#* }" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
	cmd=$(tr '\0' '\n' </proc/"$qpid"/cmdline 2>/dev/null)
	e4dir=$STATE/volumes/$(vol_id e4)
	check "the read-write volume is its raw master" \
		contains "$cmd" "file=$(vol_disk data),if=none,id=vol0,format=raw,readonly=off"
	check "the read-only one a qcow2 copy" contains "$cmd" "id=vol1,format=qcow2,readonly=on"
	check "on virtio-blk devices" contains "$cmd" "virtio-blk-device,drive=vol1"
	check "the guest gets a unik.mount word per volume (DISK:PATH:FSTYPE:MODE, encoded)" \
		contains "$cmd" "unik.mount=0%3A%2Fdata%3Aext2%3Arw unik.mount=1%3A%2Fe4%3Aext4%3Aro"
	check "the copy is kept beside the master" bash -c "ls '$e4dir' | grep -q 'disk\\.[0-9]*\\.qcow2'"
	check "qemu-img reads it as qcow2" contains "$(qemu-img info "$e4dir"/disk.*.qcow2 2>/dev/null)" "file format: qcow2"
	unik rm -f q1 >/dev/null 2>&1
else
	skip_case "qemu drives: qemu-system-x86_64 is not installed"
fi

# ---- removal ---------------------------------------------------------------
check "rm of a volume stopped instances mount is refused without -f" \
	bash -c "! '$BIN/unik' volume rm data 2>/dev/null"
data_dir=$STATE/volumes/$(vol_id data)
check "with -f it goes" bash -c "'$BIN/unik' volume rm -f data >/dev/null"
check "and the instance no longer mounts it" \
	eq "$(unik ps -a --json | python3 -c 'import json,sys; print([m["name"] for i in json.load(sys.stdin) if i["name"]=="c1" for m in i["volumes"]])')" \
	"['e2ro', 'e4']"
check "its folder is gone" test ! -e "$data_dir"
check "delete-volume (UniK's name) of an unused volume" bash -c "'$BIN/unik' delete-volume spare >/dev/null"
check "rm of a missing volume is 404" json_error_is_ "$(api DELETE /v1/volumes/spare)" 404 not_found
unik rm -f c1 w2 r3 >/dev/null 2>&1
check "once the instances are gone, the rest are removed" bash -c "'$BIN/unik' volume rm e4 fatv e2ro >/dev/null"
check "no volume folder is left" eq "$(ls "$STATE/volumes" | wc -l)" 0
# a create cut short leaves a folder without a record: the next start removes it
mkdir -p "$STATE/volumes/0123abcd"
echo x >"$STATE/volumes/0123abcd/disk.raw"
stop_daemon
start_daemon
check "a volume folder without a record is removed at start" test ! -e "$STATE/volumes/0123abcd"
finish
