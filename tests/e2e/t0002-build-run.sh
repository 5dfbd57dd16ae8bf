#!/usr/bin/env bash
# t0002-build-run: hello-c built with each compiler and run attached: its lines
# come back through the CLI and `unik run` exits with the guest's status.
. "$(dirname "$0")/lib.sh"
need_qemu
start_daemon
want=$'hello from unik\narg[1]=a\narg[2]=b\nGREETING=hi'

out=$(unik build -t hello-c "$ROOT/examples/hello-c" 2>&1)
check "build hello-c (default compiler)" contains "$out" "Successfully built"
check "the build streamed its steps" contains "$out" "compiler: c"
check "unik images lists it" contains "$(unik images)" "hello-c"
out=$(unik run hello-c a b -e GREETING=hi -e EXIT_CODE=3 2>"$T/err")
rc=$?
check "run prints the program's lines (c runtime)" eq "$out" "$want"
check "run exits with the guest's status" eq "$rc" 3
# the same image behaves the same on every provider that boots it
for prov in qemu hvt spt; do
	[ $prov = hvt ] && ! [ -c /dev/kvm ] && continue
	out=$(unik run --provider $prov hello-c a b -e GREETING=hi -e EXIT_CODE=3 2>"$T/err")
	rc=$?
	check "same lines on $prov" eq "$out" "$want"
	check "same exit status on $prov" eq "$rc" 3
done
out=$(unik run --provider qemu --accel tcg hello-c x 2>&1)
check "qemu with --accel tcg" eq "$out" $'hello from unik\narg[1]=x'
out=$(unik run hello-c 2>&1)
check "no args, no env: exit 0" eq "$?" 0
check "no args, no env: one line" eq "$out" "hello from unik"
out=$(unik run hello-c -- 'two words' '-x' 2>&1)
check "arguments keep spaces and dashes" eq "$out" $'hello from unik\narg[1]=two words\narg[2]=-x'

out=$(unik build -t hello-linux --compiler linux "$ROOT/examples/hello-c" 2>&1)
check "build hello-c with --compiler linux" contains "$out" "Successfully built"
out=$(unik run hello-linux a b -e GREETING=hi -e EXIT_CODE=3 2>"$T/err")
rc=$?
check "run prints the program's lines (linux)" eq "$out" "$want"
check "run exits with the guest's status (linux)" eq "$rc" 3
check "the linux image is bigger than the unikernel" \
	test "$(unik images --json | python3 -c 'import json,sys; d={i["name"]:i["size"] for i in json.load(sys.stdin)}; print(int(d["hello-linux"] > 10 * d["hello-c"]))')" = 1

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
check "the daemon still serves" daemon_alive
finish
