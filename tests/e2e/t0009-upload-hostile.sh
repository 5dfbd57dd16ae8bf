#!/usr/bin/env bash
# t0009-upload-hostile: uploads and builds that try to make unikd read or
# write host files through symlinks (planted in the tarball or by the build's
# Makefile), sparse and many-entry bombs, hard links, and folders too deep to
# clean up with path names.  Nothing leaks into an image, no host file
# changes, state/tmp is left empty, and unikd keeps answering.
. "$(dirname "$0")/../lib/e2e.sh"
printf '[daemon]\nmax_extract_files = 1000\n' >>"$T/unikd.conf"
start_daemon
command -v musl-gcc >/dev/null || skip "musl-gcc is not installed"

# a root-only host file the chain of links can reach: $T is state/..
SECRET="host-secret-$RANDOM$RANDOM$RANDOM"
mkdir -p "$T/hostsecret"
echo "$SECRET" >"$T/hostsecret/secret"
chmod 600 "$T/hostsecret/secret"
no_secret_in_blobs() { ! grep -rqs "$SECRET" "$STATE/blobs"; }
tmp_empty() { # the build folders go once the job has ended (deep ones take seconds here)
	for _ in $(seq 1 300); do
		[ -z "$(ls -A "$STATE/tmp")" ] && return 0
		sleep 0.1
	done
	ls -A "$STATE/tmp" | head -3
	return 1
}

mkdir -p "$T/tars"
python3 - "$T/tars" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def tar(name, members, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(f"{d}/{name}", "w:gz", format=fmt) as t:
        for m, data in members:
            if data is not None:
                m.size = len(data)
            t.addfile(m, io.BytesIO(data) if data is not None else None)
def f(name, data):
    return (tarfile.TarInfo(name), data)
def link(name, target, kind=tarfile.SYMTYPE):
    m = tarfile.TarInfo(name); m.type = kind; m.linkname = target
    return (m, None)
def folder(name):
    m = tarfile.TarInfo(name); m.type = tarfile.DIRTYPE
    return (m, None)
main = b'int main(void) { return 0; }\n'
# each link looks local; together they climb src -> build -> tmp -> state -> $T
chain = [folder("a"), link("a/u", ".."), link("b", "a/u/.."), link("c", "b/.."),
         link("d", "c/.."), link("e", "d/..")]
tar("chain.tgz", chain + [f("main.c", main), folder("files"),
    link("files/x", "../e/hostsecret/secret"),
    f("unik.json", b'{"files": {"/secret": "e/hostsecret/secret"}}')])
tar("hardlink-in.tgz", [f("README", b"read me\n"), link("COPY", "README", tarfile.LNKTYPE)])
tar("hardlink-out.tgz", [link("passwd", "/etc/passwd", tarfile.LNKTYPE)])
tar("hardlink-up.tgz", [link("x", "../../secret", tarfile.LNKTYPE)])
tar("deep.tgz", [folder("d/" * i) for i in range(1, 2101)], tarfile.GNU_FORMAT)
tar("many.tgz", [f("e%d" % i, b"") for i in range(1500)])
m = tarfile.TarInfo("benign"); m.pax_headers = {"path": "../../pax-escape"}
tar("pax-path.tgz", [(m, b"x")])
m = tarfile.TarInfo("benign-link"); m.type = tarfile.SYMTYPE; m.linkname = "ok"
m.pax_headers = {"linkpath": "/etc/shadow"}
tar("pax-link.tgz", [(m, None)])
tar("replace.tgz", [f("victim", b"orig"), link("l", "victim"), f("l", b"new"),
    f("l/x", b"through")])
PY

# 1. the chain in the tarball: refused before any job, nothing left
r=$(api POST /v1/images --data-binary @"$T/tars/chain.tgz")
check "a tarball with a chain of local-looking links out is a 400" \
	json_error_is "$r" 400 invalid_argument
check "it says the link leads outside" contains "$r" "leads outside the source folder"
check "no build folder is left" tmp_empty

# 2. the same chain made by the Makefile after extraction
mkdir -p "$T/mk-files"
printf 'int main(void) { return 0; }\n' >"$T/mk-files/main.c"
cat >"$T/mk-files/Makefile" <<'MK'
app: main.c
	mkdir -p a files
	ln -sfn .. a/u; ln -sfn a/u/.. b; ln -sfn b/.. c; ln -sfn c/.. d; ln -sfn d/.. e
	ln -sfn ../e/hostsecret/secret files/x
	ln -sfn /etc/shadow files/shadow
	$(CC) $(LDFLAGS) -o app main.c
MK
out=$(unik build -t mk-files "$T/mk-files" 2>&1)
check "a Makefile planting links out in files/ builds" contains "$out" "Successfully built"
check "the links are packed as links, not the host file" no_secret_in_blobs
cp -r "$T/mk-files" "$T/mk-files-dir"
sed -i 's|ln -sfn ../e/hostsecret/secret files/x|rm -rf files; ln -sfn e/hostsecret files|' \
	"$T/mk-files-dir/Makefile"
sed -i '/files\/shadow/d' "$T/mk-files-dir/Makefile"
out=$(unik build -t mk-files-dir "$T/mk-files-dir" 2>&1)
check "files/ made a link to a host folder fails the build" eq "$?" 1
check "saying it leads outside" contains "$out" "leads outside"
check "no image holds the host file" no_secret_in_blobs
cp -r "$T/mk-files" "$T/mk-json"
echo '{"files": {"/secret": "e/hostsecret/secret"}}' >"$T/mk-json/unik.json"
out=$(unik build -t mk-json "$T/mk-json" 2>&1)
check "a unik.json entry through the Makefile's chain fails the build" eq "$?" 1
check "naming the entry" contains "$out" "e/hostsecret/secret"
cp -r "$T/mk-files" "$T/mk-app"
musl-gcc -static -o "$T/hostsecret/prog" -x c - <<C
const char *s = "$SECRET";
int main(void) { return s[0] == 0; }
C
chmod 700 "$T/hostsecret/prog"
sed -i 's|	$(CC) $(LDFLAGS) -o app main.c|	ln -sfn e/hostsecret/prog app|' "$T/mk-app/Makefile"
out=$(unik build -t mk-app "$T/mk-app" 2>&1)
check "a program that is a link to a host binary fails the build" eq "$?" 1
check "saying it leads outside" contains "$out" "leads outside"
check "the host binary is in no image" no_secret_in_blobs

# 3. artifact paths replaced by links to host files before the daemon
# writes and reads them (the linux compiler packs the initrd in-process)
echo "victim-initrd" >"$T/hostsecret/victim1"
echo "victim-kernel" >"$T/hostsecret/victim2"
mkdir -p "$T/mk-out"
printf 'int main(void) { return 0; }\n' >"$T/mk-out/main.c"
cat >"$T/mk-out/Makefile" <<MK
app: main.c
	-ln -sfn $T/hostsecret/victim1 ../out/initrd.cpio
	-ln -sfn $T/hostsecret/victim2 ../out/vmlinuz
	\$(CC) \$(LDFLAGS) -o app main.c
MK
out=$(unik build -t mk-out --compiler linux "$T/mk-out" 2>&1)
check "a Makefile planting artifact links builds (they are replaced)" \
	contains "$out" "Successfully built"
check "the initrd link's host file is untouched" eq "$(head -c 64 "$T/hostsecret/victim1" | tr -d "\0")" victim-initrd
check "the kernel link's host file is untouched" eq "$(head -c 64 "$T/hostsecret/victim2" | tr -d "\0")" victim-kernel
check "nothing of them is in the image" bash -c "! grep -rqs victim- '$STATE/blobs'"

# 4. sparse files count their logical size (1.5 GB in a tiny tarball)
mkdir -p "$T/sparse"
truncate -s 1536M "$T/sparse/big"
printf 'int main(void) { return 0; }\n' >"$T/sparse/main.c"
tar -S -czf "$T/tars/sparse.tgz" -C "$T/sparse" big main.c
rm -f "$T/sparse/big"
check "the sparse tarball is small" test "$(stat -c %s "$T/tars/sparse.tgz")" -lt 20000
r=$(api POST /v1/images --data-binary @"$T/tars/sparse.tgz")
check "a 1.5 GB sparse file over max_extract is a 413" json_error_is "$r" 413 too_large
check "no 1.5 GB file is left behind" tmp_empty

# 5. hard links: inside the tree they work, out of it they are refused as such
r=$(api POST /v1/images --data-binary @"$T/tars/hardlink-in.tgz")
check "a hard link inside the tree is accepted" eq "${r%% *}" 202
r=$(api POST /v1/images --data-binary @"$T/tars/hardlink-out.tgz")
check "an absolute hard link is a 400" json_error_is "$r" 400 invalid_argument
check "named a hard link out" contains "$r" "hard link out of the source folder"
r=$(api POST /v1/images --data-binary @"$T/tars/hardlink-up.tgz")
check "a '..' hard link is a 400 naming it" contains "$r" "hard link out of the source folder"

# 6. a folder 2,100 levels deep: refused in a tarball, cleaned up after a build
r=$(api POST /v1/images --data-binary @"$T/tars/deep.tgz")
check "a 2,100-level tarball is a 400" json_error_is "$r" 400 invalid_argument
check "saying it is too deep" contains "$r" "deeper than"
check "its folders are removed" tmp_empty
mkdir -p "$T/mk-deep"
printf 'int main(void) { return 0; }\n' >"$T/mk-deep/main.c"
cat >"$T/mk-deep/Makefile" <<'MK'
app:
	@python3 -c 'import os; [(os.mkdir("d"), os.chdir("d")) for _ in range(2100)]'
	@echo "made $$(find . -type d | wc -l) levels"; exit 1
MK
out=$(unik build -t mk-deep "$T/mk-deep" 2>&1)
check "a build that makes 2,100 levels fails (its Makefile says so)" contains "$out" \
	"made 2101 levels"
check "and its build folder is removed completely" tmp_empty

# 7. more entries than daemon.max_extract_files
r=$(api POST /v1/images --data-binary @"$T/tars/many.tgz")
check "1,500 entries over max_extract_files = 1000 is a 413" json_error_is "$r" 413 too_large

# 8. pax headers rename entries: the names they give are the ones checked
r=$(api POST /v1/images --data-binary @"$T/tars/pax-path.tgz")
check "a pax path with '..' is a 400" json_error_is "$r" 400 invalid_argument
check "naming the pax name" contains "$r" "pax-escape"
r=$(api POST /v1/images --data-binary @"$T/tars/pax-link.tgz")
check "a pax linkpath to an absolute path is a 400" json_error_is "$r" 400 invalid_argument
check "no pax-escape file anywhere" bash -c "! find '$T' -name pax-escape | grep -q ."

# 9. a later entry replaces a symlink instead of writing through it; and
# cannot write through it as a folder
r=$(api POST /v1/images --data-binary @"$T/tars/replace.tgz")
check "writing through a file that replaced a link is refused" json_error_is "$r" 400 \
	invalid_argument
check "the daemon still serves" daemon_alive
check "state/tmp is empty at the end" tmp_empty
finish
