#!/usr/bin/env bash
# t0041-cp: unik cp INSTANCE:PATH HOSTPATH|- and GET /v1/instances/{ref}/archive:
# the files of an instance's volumes (ext2 and fat, made from a folder or
# written by the guest) copied out as docker cp does (into a folder, or as a
# new name, or a tar on stdout), symbolic links kept; and the refusals: paths
# off the volumes (the image's files, the in-memory overlay), missing paths,
# '..', relative paths, a running instance writing the volume, copying in.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools mke2fs debugfs mcopy mformat
start_daemon
mkdir -p "$T/sleeper"
# access(): a call that takes a path, so the image links the volumes run1
# mounts (docs/runtime.md, "Images without volumes")
cat >"$T/sleeper/sleeper.c" <<'C'
#include <stdio.h>
#include <time.h>
#include <unistd.h>
int main(void)
{
	struct timespec ts = {0, 100 * 1000 * 1000};
	if (access("/", F_OK) != 0)
		return 1;
	printf("up\n");
	fflush(stdout);
	for (;;)
		nanosleep(&ts, NULL);
}
C
unik build -t sleeper "$T/sleeper" >/dev/null 2>&1
check "sleeper image built" eq "$?" 0
unik build -t rvol "$ROOT/tests/runtime/rvol" >/dev/null 2>&1
check "rvol image built" eq "$?" 0

mkdir -p "$T/src/sub/deeper" "$T/src/empty"
echo top >"$T/src/top.txt"
echo deep >"$T/src/sub/deeper/deep.txt"
head -c 300000 /dev/urandom >"$T/src/sub/blob.bin"
ln -s sub/deeper/deep.txt "$T/src/link"
unik volume create --from "$T/src" e2 >/dev/null
unik volume create --from "$T/src" --type fat --size 8M fv >/dev/null
unik volume create --size 16M written >/dev/null
out=$(timeout 120 "$BIN/unik" run --provider spt -m 64 --name w1 -v written:/data -v e2:/src:ro \
	-v fv:/fat:ro rvol write /data 2>&1)
check "the guest writes its volume" contains "$out" "write: ok"

# ---- out of an exited instance ------------------------------------------------
mkdir "$T/got"
check "cp a mount's top into a folder" unik cp w1:/src "$T/got"
check "it arrives as the folder's name" eq "$(cat "$T/got/src/top.txt")" top
check "nested files" eq "$(cat "$T/got/src/sub/deeper/deep.txt")" deep
check "a larger file, the same bytes" eq "$(sha256sum <"$T/got/src/sub/blob.bin")" "$(sha256sum <"$T/src/sub/blob.bin")"
check "a symbolic link stays a link" eq "$(readlink "$T/got/src/link")" sub/deeper/deep.txt
check "an empty folder too" test -d "$T/got/src/empty"
check "cp a file to a new name" unik cp w1:/src/sub/deeper/deep.txt "$T/got/renamed.txt"
check "it has the content" eq "$(cat "$T/got/renamed.txt")" deep
check "cp a folder to a new name" unik cp w1:/src/sub "$T/got/sub2"
check "its content is there" eq "$(cat "$T/got/sub2/deeper/deep.txt")" deep
check "cp a file into a folder" unik cp w1:/src/top.txt "$T/got/sub2"
check "keeps its name" eq "$(cat "$T/got/sub2/top.txt")" top
check "what the guest wrote is copied out" unik cp w1:/data/hello.txt "$T/got/hello.txt"
check "with the guest's bytes" eq "$(cat "$T/got/hello.txt")" "hello, volume"
check "the guest's long symbolic link too" unik cp w1:/data/longlink "$T/got/longlink"
check "with its 300-byte target" eq "$(readlink "$T/got/longlink" | wc -c)" 301
check "a fat volume" unik cp w1:/fat "$T/got/fat"
check "its nested file" eq "$(cat "$T/got/fat/sub/deeper/deep.txt")" deep
check "a fat file" unik cp w1:/fat/top.txt "$T/got/fattop"
check "its content" eq "$(cat "$T/got/fattop")" top
check "cp to - writes a tar" eq "$(unik cp w1:/src/sub - | tar -t | sort | head -3 | tr '\n' ' ')" \
	"sub/ sub/blob.bin sub/deeper/ "
ln -s "$T/got" "$T/gotlink"
check "HOSTPATH through a symbolic link of the user's" unik cp w1:/src/top.txt "$T/gotlink/via.txt"
check "lands where the link points" eq "$(cat "$T/got/via.txt")" top
check "a HOSTPATH whose folder is missing is an error" bash -c "! '$BIN/unik' cp w1:/src/top.txt '$T/missing/x' 2>/dev/null"
echo mine >"$T/got/mine.txt"
check "a folder onto a file is refused" bash -c "! '$BIN/unik' cp w1:/src/sub '$T/got/mine.txt' 2>'$T/err'"
check "saying so, the file kept" eq "$(grep -c 'cannot copy a folder onto the file' "$T/err"):$(cat "$T/got/mine.txt")" "1:mine"
check "extra slashes and '.' are fine" unik cp w1://src/./top.txt "$T/got/dots.txt"
check "the API answers application/x-tar" \
	contains "$(curl -s -o /dev/null -w '%{content_type}' --unix-socket "$SOCK" 'http://x/v1/instances/w1/archive?path=/src/top.txt')" \
	"application/x-tar"

# ---- refusals -----------------------------------------------------------------
json_error_is_() { json_error_is "$@" >/dev/null 2>&1; }
check "a path missing on the volume is 404" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=/src/nope')" 404 not_found
check "on fat too" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=/fat/nope')" 404 not_found
check "a path off the volumes (the image's files) is 404" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=/etc/hosts')" 404 not_found
out=$(unik cp w1:/bin "$T/got" 2>&1)
check "saying what can be copied" contains "$out" "is not on a volume of w1"
check "and what cannot" contains "$out" "what a running guest keeps in memory cannot be copied"
check "'..' is 400" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=/src/../etc')" 400 invalid_argument
check "a relative path is 400" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=src')" 400 invalid_argument
check "no path is 400" json_error_is_ "$(api GET '/v1/instances/w1/archive')" 400 invalid_argument
check "a quote in the path is 400" json_error_is_ "$(api GET '/v1/instances/w1/archive?path=/src/a%22b')" 400 invalid_argument
check "an unknown instance is 404" json_error_is_ "$(api GET '/v1/instances/nope/archive?path=/x')" 404 not_found
out=$(unik cp "$T/got" w1:/data 2>&1); rc=$?
check "copying into an instance is a usage error" eq "$rc" 2
check "saying it is not supported" contains "$out" "copying into an instance is not supported"
check "a source without INSTANCE: is a usage error" bash -c "'$BIN/unik' cp /x '$T/got' 2>/dev/null; [ \$? -eq 2 ]"
check "nothing was left in the daemon's tmp" eq "$(ls "$STATE/tmp" 2>/dev/null | grep -c archive)" 0

# ---- a running instance --------------------------------------------------------
unik run -d --provider spt -m 64 --name run1 -v written:/data -v e2:/src:ro sleeper >/dev/null
sleep 1
check "a running instance writing the volume is 409" json_error_is_ "$(api GET '/v1/instances/run1/archive?path=/data/hello.txt')" 409 conflict
check "saying stop it first" contains "$(unik cp run1:/data/hello.txt "$T/got/x" 2>&1)" "stop it first"
check "its read-only volume copies" unik cp run1:/src/top.txt "$T/got/ro.txt"
check "with the content" eq "$(cat "$T/got/ro.txt")" top
unik rm -f run1 >/dev/null
finish
