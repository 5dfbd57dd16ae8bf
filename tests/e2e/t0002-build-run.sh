#!/usr/bin/env bash
# t0002-build-run: hello-c built with each compiler and run attached: its lines
# come back through the CLI and `unik run` exits with the guest's status.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
start_daemon
want=$'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'

out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "build hello-c (default compiler)" contains "$out" "Successfully built"
check "the build streamed its steps" contains "$out" "compiler: c"
check "unik images lists it" contains "$(unik images)" "hello-c"
out=$(unik run -e GREETING=hi -e EXIT_CODE=3 hello-c a b 2>"$T/err")
rc=$?
check "run prints the program's lines (c runtime)" eq "$out" "$want"
check "run exits with the guest's status" eq "$rc" 3
# the same image behaves the same on every provider that boots it
for prov in qemu hvt spt; do
	[ $prov = hvt ] && ! [ -c /dev/kvm ] && continue
	out=$(unik run --provider $prov -e GREETING=hi -e EXIT_CODE=3 hello-c a b 2>"$T/err")
	rc=$?
	check "same lines on $prov" eq "$out" "$want"
	check "same exit status on $prov" eq "$rc" 3
done
out=$(unik run --provider qemu --accel tcg hello-c x 2>&1)
check "qemu with --accel tcg" eq "$out" $'hello from unik\narg[1]=x'
out=$(unik run hello-c 2>&1)
check "no args, no env: exit 0" eq "$?" 0
check "no args, no env: one line" eq "$out" "hello from unik"
out=$(unik run hello-c 'two words' '-x' 2>&1)
check "arguments keep spaces and dashes" eq "$out" $'hello from unik\narg[1]=two words\narg[2]=-x'
out=$(unik run hello-c -e GREETING=hi -p 8080 -d /www -- 2>&1)
check "everything after IMAGE is the program's, as with docker run" eq "$out" \
	$'hello from unik\narg[1]=-e\narg[2]=GREETING=hi\narg[3]=-p\narg[4]=8080\narg[5]=-d\narg[6]=/www\narg[7]=--'
out=$(unik run -- hello-c x 2>&1)
check "'--' before IMAGE ends unik's options" eq "$out" $'hello from unik\narg[1]=x'

out=$(unik build -t hello-linux --compiler linux "$ROOT/examples/hello-c" 2>&1)
check "build hello-c with --compiler linux" contains "$out" "Successfully built"
out=$(unik run -e GREETING=hi -e EXIT_CODE=3 hello-linux a b 2>"$T/err")
rc=$?
check "run prints the program's lines (linux)" eq "$out" "$want"
check "run exits with the guest's status (linux)" eq "$rc" 3
check "the linux image is bigger than the unikernel" \
	test "$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["size"] for i in json.load(sys.stdin)}; print(int(d["hello-linux"] > 10 * d["hello-c"]))')" = 1

mkdir -p "$T/strays/files"
printf '#include <stdio.h>\nint main(void) { FILE *f = fopen("/data.txt", "r"); puts(f ? "found" : "absent"); return 0; }\n' >"$T/strays/main.c"
echo data >"$T/strays/data.txt"
echo x >"$T/strays/notes.md"
out=$(unik build -t strays "$T/strays" 2>&1)
check "a data file beside the sources: the build says it is not in the image" contains "$out" \
	"note: data.txt is beside the sources and not in the image"
check "... naming only it (not the sources, Makefile or .md files)" eq "$(grep -c 'main.c\|notes.md' <<<"$(grep '^.*note:' <<<"$out")")" 0
check "... and says files/ is what is packed" contains "$out" "files packed read-only at /: files/"
check "... which is so" eq "$(unik run strays 2>&1)" "absent"
mv "$T/strays/data.txt" "$T/strays/files/"
out=$(unik build -t strays "$T/strays" 2>&1)
check "moved under files/: no note" eq "$(grep -c 'note:' <<<"$out")" 0
check "and the program finds it" eq "$(unik run strays 2>&1)" "found"
rm -r "$T/strays/files"
out=$(unik build -t strays "$T/strays" 2>&1)
check "without files/: the build says nothing is packed" contains "$out" "no files packed"

mkdir -p "$T/broken"
printf 'int main(void) { return undefined_thing; }\n' >"$T/broken/main.c"
out=$(unik build -t broken "$T/broken" 2>&1)
check "a compile error fails the build" eq "$?" 1
check "and shows the compiler's message" contains "$out" "undefined_thing"
check "no image was made" eq "$(unik images | grep -c broken)" 0
mkdir -p "$T/empty"
touch "$T/empty/README"
out=$(unik build -t empty "$T/empty" 2>&1)
check "a folder without sources fails clearly" eq "$?" 1

# files: files/ and an optional unik.json manifest, packed read-only at /
mkdir -p "$T/withfiles/files/etc" "$T/withfiles/config" "$T/withfiles/public/img"
cat >"$T/withfiles/main.c" <<'C'
#include <dirent.h>
#include <stdio.h>
int main(void)
{
	const char *paths[] = {"/etc/motd", "/etc/app.conf", "/srv/www/index.html"};
	char line[128];
	for (int i = 0; i < 3; i++) {
		FILE *f = fopen(paths[i], "r");
		if (!f || !fgets(line, sizeof(line), f))
			return 1;
		printf("%s: %s", paths[i], line);
		fclose(f);
	}
	DIR *d = opendir("/srv/www/img");
	return d ? 0 : 2;
}
C
echo "welcome" >"$T/withfiles/files/etc/motd"
echo "port=8080" >"$T/withfiles/config/app.conf"
echo "<h1>hi</h1>" >"$T/withfiles/public/index.html"
echo '{"files": {"/etc/app.conf": "config/app.conf", "/srv/www": "public"}}' >"$T/withfiles/unik.json"
out=$(unik build -t withfiles "$T/withfiles" 2>&1)
check "a folder with unik.json builds" contains "$out" "unik.json: public -> /srv/www"
out=$(unik run --provider spt withfiles 2>&1)
check "files/ and the manifest's entries are in the image" eq "$out" \
	$'/etc/motd: welcome\n/etc/app.conf: port=8080\n/srv/www/index.html: <h1>hi</h1>'
echo '{"files": {"/etc/passwd": "../../etc/passwd"}}' >"$T/withfiles/unik.json"
out=$(unik build -t withfiles2 "$T/withfiles" 2>&1)
check "a manifest entry outside the folder is refused" contains "$out" "not a file or folder of the source folder"
echo '{"files": [1, 2]' >"$T/withfiles/unik.json"
out=$(unik build -t withfiles3 "$T/withfiles" 2>&1)
check "a malformed unik.json is refused clearly" contains "$out" "unik.json: line"

out=$(unik run nope 2>&1)
check "unknown image: exit 125" eq "$?" 125
check "unknown image: says so" contains "$out" "no such image"
unik run -d --name dup hello-c >/dev/null
out=$(unik run -d --name dup hello-c 2>&1)
check "duplicate instance name is refused" contains "$out" "already in use"
out=$(unik run --provider nope hello-c 2>&1)
check "unknown provider is refused" contains "$out" "unknown provider"
out=$(timeout 60 "$BIN/unik" run --provider qemu -m 1 hello-c 2>&1)
check "qemu with -m 1: refused, exit 125" eq "$?" 125
check "and says the least it boots" contains "$out" "needs at least 2 MB of guest memory"
out=$(timeout 60 "$BIN/unik" run --provider qemu -m 2 hello-c 2>&1)
check "qemu with -m 2 boots hello-c" eq "$out" "hello from unik"

# Every field of a run is checked against the provider before anything is
# made: 400 with the range, and no instance.
n=$(unik ps -a -q | wc -l)
run_req() { api POST /v1/instances -H 'Content-Type: application/json' -d "$1"; }
out=$(run_req '{"image": "hello-c", "provider": "spt", "memory": 3073}')
check "spt with 3073 MB: 400" json_error_is "$out" 400 invalid_argument
check "naming the range" contains "$out" "provider spt takes at most 3072 MB of guest memory, not 3073 (it takes 2..3072 MB)"
out=$(run_req '{"image": "hello-c", "provider": "spt", "memory": 1048576}')
check "spt with 1048576 MB: 400" json_error_is "$out" 400 invalid_argument
if [ -c /dev/kvm ]; then
	out=$(run_req '{"image": "hello-c", "provider": "hvt", "memory": 4096}')
	check "hvt with 4096 MB: 400 with the range" contains "$out" "(it takes 2..3072 MB)"
	out=$(run_req '{"image": "hello-c", "provider": "hvt", "accel": "tcg"}')
	check "hvt with accel tcg: 400" json_error_is "$out" 400 invalid_argument
	check "saying what it takes" contains "$out" "does not take accel tcg (it takes: auto, kvm)"
fi
out=$(run_req '{"image": "hello-c", "provider": "spt", "accel": "kvm"}')
check "spt with accel kvm: 400" json_error_is "$out" 400 invalid_argument
host_mb=$(awk '/^(MemTotal|SwapTotal):/ { kb += $2 } END { print int(kb / 1024) + 1024 }' /proc/meminfo)
out=$(run_req "{\"image\": \"hello-c\", \"provider\": \"qemu\", \"memory\": $host_mb}")
check "qemu with more memory than the host: 400" json_error_is "$out" 400 invalid_argument
check "saying so" contains "$out" "more than this host's RAM and swap"
args=$(python3 -c 'import json; print(json.dumps(["a"] * 256))')
out=$(run_req "{\"image\": \"hello-c\", \"provider\": \"spt\", \"args\": $args}")
check "256 arguments on spt: 400" contains "$out" "256 arguments: images on spt take at most 255"
long=$(python3 -c 'print("x" * 9000)')
out=$(run_req "{\"image\": \"hello-c\", \"provider\": \"spt\", \"args\": [\"$long\"]}")
check "a 9000-byte argument on spt: 400" contains "$out" "unik-spt takes at most 8191"
long=$(python3 -c 'print("x" * 3000)')
out=$(run_req "{\"image\": \"hello-c\", \"provider\": \"qemu\", \"args\": [\"$long\"]}")
check "a 3000-byte argument on qemu: 400" contains "$out" "the limit is 2047"
out=$(run_req '{"image": "hello-c", "ports": ["8080:80", "127.0.0.1:8080:81"]}')
check "one host port published twice: 400" contains "$out" "host port 127.0.0.1:8080/tcp is published twice"
check "none of these made an instance" eq "$(unik ps -a -q | wc -l)" "$n"
out=$(api POST '/v1/images?memory=99999999' --data-binary @/dev/null)
check "a build's memory outside every provider's range: 400" json_error_is "$out" 400 invalid_argument
check "naming the range" contains "$out" "providers boot 2..4194304 MB"
check "the daemon still serves" daemon_alive
finish
