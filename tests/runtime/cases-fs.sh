# cases-fs.sh - tests/runtime/run-tests' cases for the file system, pipes,
# AF_UNIX sockets, timerfd, sendfile and the process surface (rtest's
# rt_fs.c modes).  Sourced by run-tests: uses its boot, check, has, args.

no_fail() { ! grep -q '^FAIL' "$T/$1.con" && ! grep -q 'unikernel: panic' "$T/$1.con"; }
show_fails() { grep -E '^FAIL|unikernel: panic' "$T/$1.con" | head -5 | sed 's/^/# /'; }

boot overlay tcg 32 "$(args overlay)"
show_fails overlay
check "overlay: every check of the writable tree passes" has overlay "overlay basics: ok"
check "overlay: a packed file is rewritten, appended and truncated" has overlay "packed file rewritten: rewr"
check "overlay: files, links and folders made by the program are listed" \
	has overlay "ls /data: b.txt dangling l"
check "overlay: packed names removed or moved are gone from listings" \
	has overlay "ls /etc: app.conf conf.d group hosts motd passwd"
check "overlay: status 0" status_is overlay 0

boot cycles tcg 64 "$(args cycles 10000)"
show_fails cycles
check "overlay: 10,000 create/rename/unlink cycles leave exactly the expected tree" \
	grep -qE '^cycles: 10000 cycles leave [0-9]+ files, listings and contents as expected: yes' \
	"$T/cycles.con"
check "overlay: removing it all gives every block back" has cycles "free blocks back"
check "overlay cycles: status 0" status_is cycles 0

boot proc tcg 32 "$(args proc)"
show_fails proc
check "/proc/self/exe names the program" has proc "exe: /rtest"
check "/proc/self/fd/N names an open file" has proc "fd link: /etc/motd"
check "/proc/self/fd/N opens that file" has proc "fd open: Welcome to unik."
check "/proc/self/fd lists the descriptors" has proc "fd listing has 0 1 2: yes"
check "/proc/self/fd/1 is the console" has proc "stdout link: /dev/console"
check "/proc/self/maps shows the stack, the heap and the program" \
	has proc "maps: stack yes, heap yes, program yes"
check "/proc/self/status has the PR_SET_NAME name" has proc "status name: worker-1"
check "/proc/meminfo and /proc/cpuinfo" \
	bash -c "grep -q 'meminfo: MemTotal' '$T/proc.con' && grep -q 'cpuinfo: processor 0' '$T/proc.con'"
check "/proc/self/cmdline" has proc "cmdline: rtest proc"
check "/proc/self/cwd" has proc "cwd link: /etc"
check "/sys/devices/system/cpu/online" has proc "sys cpu online: 0"
check "/proc is read-only" has proc "proc write: Read-only file system"

boot chroot tcg 32 "$(args chroot)"
show_fails chroot
check "chroot: every check passes" has chroot "chroot: ok"
check "chroot: a working folder outside is unreachable (ENOENT)" \
	has chroot "chroot: cwd outside the jail: No such file or directory"
check "chroot: absolute paths start in the folder" has chroot "chroot: /etc/motd: in the jail"
check "chroot: .. of the new root stays there" has chroot "chroot: /.. is /: yes"
check "chroot: the rest of the tree is out of reach" \
	has chroot "chroot: /etc/passwd: No such file or directory"
check "chroot: needs root" has chroot "chroot as nobody: Operation not permitted"

boot dev tcg 32 "$(args dev)"
check "/dev/null" has dev "null: write 3, read 0"
check "/dev/zero reads and maps zeros" has dev "zero: 32 zero bytes, mmap zeroed"
check "/dev/urandom" has dev "urandom: random"
check "/dev/full gives ENOSPC" has dev "full: No space left on device"
check "/dev/stdout reaches the console" has dev "via /dev/stdout"
check "/dev/random" has dev "random is a char device: yes"

# The root's default entries and /dev's nodes are made when first needed
# (runtime/core/vfs_cpio.c, fs_dev.c): each boot's first act on them.
devs="console fd full log null random shm stderr stdin stdout urandom zero"
for first in rmdir rename create unlink stat; do
	boot "lazy-$first" tcg 32 "$(args lazy $first)"
done
check "lazy /dev: rmdir /dev as the first act is ENOTEMPTY" \
	has lazy-rmdir "lazy: rmdir /dev first: Directory not empty"
check "lazy /dev: renaming a folder over /dev as the first act is ENOTEMPTY" \
	has lazy-rename "lazy: rename /tmp over /dev first: Directory not empty"
check "lazy /dev: creating in /dev first keeps the device nodes" \
	bash -c "grep -q 'lazy: create /dev/mine first: made' '$T/lazy-create.con' &&
		grep -q 'lazy: ls /dev: console fd full log mine null' '$T/lazy-create.con'"
check "lazy /dev: unlinking /dev/null first removes it for good; a file may take its name" \
	bash -c "grep -q 'lazy: unlink /dev/null first: removed' '$T/lazy-unlink.con' &&
		grep -q 'lazy: /dev/null after: No such file or directory' '$T/lazy-unlink.con' &&
		grep -q 'lazy: a new /dev/null: a regular file' '$T/lazy-unlink.con'"
check "lazy root: stat / first counts the default folders in its links" \
	has lazy-stat "lazy: stat / first: 9 links for 7 folders"
for first in rmdir rename stat; do
	check "lazy ($first first): the root and /dev have every default entry" \
		bash -c "grep -q 'lazy: ls /: dev etc proc run sys tmp var' '$T/lazy-$first.con' &&
			grep -q 'lazy: ls /dev: $devs' '$T/lazy-$first.con' &&
			grep -q 'lazy: /etc/passwd: there' '$T/lazy-$first.con'"
done

boot pipes tcg 32 "$(args pipes)"
show_fails pipes
check "pipes: every check passes (pipe2, poll, epoll, FIONREAD, sizes)" has pipes "pipes: ok"
check "pipes: data arrives" has pipes "pipe read: 5 'hello'"
check "pipes: EPOLLET reports once, and anew after a use or a change; 300 registrations" \
	has pipes "epoll edge-triggered: ok"
check "pipes: an empty non-blocking read is EAGAIN" has pipes "empty non-blocking read: EAGAIN"
check "pipes: 64 KiB by default" has pipes "pipe size: 65536"
check "pipes: a big non-blocking write stops when full" \
	has pipes "big non-blocking write: 65536 of 200000"
check "pipes: end of file once the writer is gone" has pipes "read after the writer closed: 0"
check "pipes: no reader gives EPIPE" has pipes "write without a reader: Broken pipe"

boot pipeblock tcg 32 "$(args pipeblock)"
check "pipes: a read that can never end says so and stops the program" \
	has pipeblock "read() of an empty pipe would block forever"
check "pipes: ... with the runtime's status 255" status_is pipeblock 255
boot sigpipe tcg 32 "$(args sigpipe)"
check "pipes: SIGPIPE's default action ends the program (141)" status_is sigpipe 141

boot unix tcg 32 "$(args unix)"
show_fails unix
check "AF_UNIX: every check passes (socketpair, bind/listen/connect/accept, abstract, seqpacket)" \
	has unix "unix sockets: ok"
check "AF_UNIX: end of file after the peer closes" has unix "read after the client closed: 0"
check "AF_UNIX: a closed listener refuses" has unix "connect after the listener closed: Connection refused"
check "AF_UNIX: its socket file stays until unlinked" has unix "bind to the old path: Address in use"

boot timerfd tcg 32 "$(args timerfd)"
show_fails timerfd
check "timerfd: every check passes" has timerfd "timerfd: ok"
ms=$(sed -n 's/^timerfd: epoll_wait ended after \([0-9]*\) ms/\1/p' "$T/timerfd.con")
check "timerfd: an endless epoll_wait ends when the timer expires, not before (${ms:-?} ms)" \
	test "${ms:-0}" -ge 49 -a "${ms:-0}" -lt 10000

boot sendfile tcg 32 "$(args sendfile)"
check "sendfile: file to a socket, with an offset" \
	has sendfile "sendfile to a socket: 99000 bytes, offset now 100000, same bytes"
check "sendfile: file to a file, from the position" \
	has sendfile "sendfile to a file: 100000 bytes, position 100000, same bytes"
check "copy_file_range" has sendfile "copy_file_range: 500 bytes, same bytes"

boot ident tcg 32 "$(args ident)"
show_fails ident
check "identity: every check passes" has ident "identity: ok"
check "identity: setsid and setpgid succeed" has ident "setsid: 1, getsid: 1, setpgid: 0, getpgid: 1"
check "identity: umask" has ident "umask: 022 then 027"
check "identity: dropped privileges are dropped" has ident "after setuid(65534): 65534 65534 65534"
check "identity: and cannot be taken back" has ident "setuid(0) again: Operation not permitted"
check "identity: files are owned by the new ids" has ident "new file owner: 65534:33"

boot limits tcg 32 "$(args limits)"
show_fails limits
check "limits: every check passes (rlimits, sysinfo, prctl)" has limits "limits: ok"
check "limits: RLIMIT_NOFILE is the descriptor table" has limits "nofile: 1024 1024"
check "limits: a lowered limit is kept" has limits "nofile now: 100"
check "limits: the hard limit holds" has limits "raise above the hard limit: Operation not permitted"
check "uname: Linux 6.1.0-unik x86_64" has limits "uname: Linux 6.1.0-unik x86_64"

boot fork tcg 32 "$(args fork)"
check "fork gives ENOSYS" has fork "fork: -1 ENOSYS"
check "fork says why, once" \
	test "$(grep -c 'unikernel: fork: a unikernel runs one program and cannot start another process' "$T/fork.con")" = 1
check "execve gives ENOSYS" has fork "execve: ENOSYS"

# --- a second image: rtest2/ (libc calls that make sockets, unik.json) ------------
# unik.json: an overlay of 1 MiB, read-only paths.
mkdir -p "$T/src2" "$T/out2" "$T/work2" "$T/work2b"
cp -r tests/runtime/rtest/. tests/runtime/rtest2/. "$T/src2/"
read -r _ IMG2 _ < <("$TOOLS/cbuild" "$T/src2" "$T/out2" "$T/work2" rtest 2>"$T/build2.log")
check "unik.json: overlay_size and readonly are accepted" \
	grep -q "file-system settings: limit 1048576,readonly /etc/motd,readonly /etc/conf.d" "$T/build2.log"
IMG_RT=$IMG IMG=${IMG2:-/nonexistent}
boot limit tcg 32 "$(args limit)"
boot passwd tcg 32 "$(args passwd)"
boot libcsock tcg 32 "$(args libcsock)"
boot syslog tcg 32 "$(args syslog)"
IMG=$IMG_RT
show_fails limit
kib=$(sed -n 's/^overlay full after \([0-9]*\) KiB: ENOSPC/\1/p' "$T/limit.con")
check "unik.json overlay_size 1M: writes stop with ENOSPC near 1 MiB (${kib:-?} KiB)" \
	test "${kib:-0}" -ge 900 -a "${kib:-0}" -le 1024
check "unik.json overlay_size: /proc still opens when the overlay is full" \
	has limit "full: /proc/self/status still opens: yes"
check "unik.json overlay_size: removing packed files gives no room beyond the limit" \
	has limit "full: after removing a packed file: No space left on device"
check "unik.json readonly: a read-only file gives EROFS" has limit "read-only file: Read-only file system"
check "unik.json readonly: nothing is made in a read-only folder" \
	has limit "read-only folder: Read-only file system"
check "unik.json readonly: nor removed from it" has limit "read-only unlink: Read-only file system"
check "unik.json readonly: the rest stays writable" has limit "writable elsewhere: yes"
check "unik.json: the settings file is not in the program's tree" has limit "settings file hidden: yes"
check "identity: getpwnam from the default /etc/passwd" has passwd "getpwnam nobody: /nonexistent"
check "identity: getpwuid" has passwd "getpwuid 0: root"
check "identity: getgrnam from the default /etc/group" has passwd "getgrnam www-data: 33"
check "identity: getgrgid" has passwd "getgrgid 65534: nogroup"
check "AF_UNIX through libc in an image with the network stack" has libcsock "unix with the stack: both"
check "... where AF_INET sockets are the stack's" has libcsock "inet socket with the stack: yes"
check "... and a local address on an inet socket is refused" \
	has libcsock "unix call on an inet socket: Address family not supported by protocol"
check "syslog(3) reaches the console through /dev/log" \
	grep -qE '^<30>.* rtest\[1\]: hello via syslog 42$' "$T/syslog.con"
printf '{ "readonly": ["/not/there"] }\n' >"$T/src2/unik.json"
"$TOOLS/cbuild" "$T/src2" "$T/out2" "$T/work2b" rtest >/dev/null 2>"$T/build2b.log"
check "unik.json readonly: a path not in the image is refused at build time" \
	grep -q "readonly: '/not/there' is not among the image's files" "$T/build2b.log"

# --- unik.strace (unik run --trace): strace-style lines --------------------------------
boot strace tcg 32 unik.strace "$(args dev)"
check "strace: a path argument is shown as a string, the result as a number" \
	has strace 'unikernel: strace: open("/dev/null", 0x8002, 0, 0) = 3'
check "strace: an error result by its errno name" \
	grep -qE '^unikernel: strace: write\(3, 0x[0-9a-f]+, 1, .*\) = -1 ENOSPC$' "$T/strace.con"
check "strace: exit_group, which does not return" has strace "unikernel: strace: exit_group(0, "
