#!/usr/bin/env bash
# t0046-imds: the runtime reads a run's arguments and environment from EC2's
# user data through IMDSv2 when the command line says unik.userdata=imds
# (runtime/net/imds.c): a session token (PUT /latest/api/token with a TTL),
# then GET /latest/user-data with it.  The image (a program that prints its
# arguments and makes a socket, so its network stack is linked) boots under QEMU (TCG)
# inside a network namespace made here, where tests/e2e/imds_standin.py
# answers at 169.254.169.254:80 (an address of the namespace's bridge, so
# nothing leaves it).  Cases: user data replaces the disk's arguments and
# environment (and the token was asked for and sent); no user data (404)
# keeps the disk's; a refused token, a malformed token and no service at all
# keep the disk's with a line saying why; without the word nothing is asked.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools qemu-system-x86_64 python3 ip
[ "$(id -u)" = 0 ] || skip "a network namespace needs root"
. "$ROOT/tests/lib/guest.sh"
. "$ROOT/tests/lib/netns.sh"
need_built "$TOOLS/cbuild" "$TOOLS/bootword"
SPID=
cleanup_imds() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	pkill -KILL -f -- "$T/" 2>/dev/null
	netns_del
	cleanup
}
trap cleanup_imds EXIT

make -s -C "$ROOT" guest >"$T/make.log" 2>&1 || { cat "$T/make.log"; exit 1; }
# The program: prints its arguments and GREETING, and makes a socket (so
# its image links the network stack that reads the user data).
mkdir -p "$T/src" "$T/rt.out" "$T/rt.work"
cat >"$T/src/args.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	for (int i = 1; i < argc; i++)
		printf("arg[%d]=%s\n", i, argv[i]);
	printf("GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
	if (fd >= 0)
		close(fd);
	return 0;
}
EOF
IMG=$("$TOOLS/cbuild" "$T/src" "$T/rt.out" "$T/rt.work" args 2>"$T/build.log" | awk '{ print $2 }')
[ -s "$IMG" ] || { cat "$T/build.log"; exit 1; }
check "the program links the network stack" grep -q "network stack: linked" "$T/build.log"

netns_bridge "unik-imds-$$" 10.79.0 tp || skip "cannot create a network namespace"
in_ns ip addr add 169.254.169.254/32 dev br0

# boot NAME MODE WORDS...: the stand-in in MODE (none: not started), then
# the program with the disk's words disk-arg + GREETING=from-disk and WORDS; NAME.con, NAME.log.
boot() {
	local name=$1 mode=$2
	shift 2
	SPID=
	: >"$T/$name.log"
	if [ "$mode" != off ]; then
		ip netns exec "$NS" python3 "$ROOT/tests/e2e/imds_standin.py" 169.254.169.254 80 "$T/$name.log" \
			"$mode" "$T/userdata" &
		SPID=$!
		for _ in $(seq 50); do
			in_ns bash -c 'exec 3<>/dev/tcp/169.254.169.254/80' 2>/dev/null && break
			sleep 0.1
		done
		: >"$T/$name.log"
	fi
	in_ns timeout 120 qemu-system-x86_64 -M microvm,acpi=off -accel tcg -cpu max -m 64 \
		-nodefaults -nographic -no-reboot -kernel "$IMG" \
		-append "console=ttyS0 unik.ip=10.79.0.2/24 unik.gw=10.79.0.1 $(args disk-arg) unik.env=GREETING%3Dfrom-disk $*" \
		-serial "file:$T/$name.con" -netdev "tap,id=n0,ifname=tp,script=no,downscript=no" \
		-device virtio-net-device,netdev=n0 \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 >"$T/$name.qemu" 2>&1
	[ -n "$SPID" ] && { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
	SPID=
	touch "$T/$name.con"
}
con() { tr -d '\r' <"$T/$1.con"; }

printf '%s' "unik.id=x $(args from-imds 'two words') unik.env=GREETING%3Dhi-imds unik.ip=1.2.3.4/8" \
	>"$T/userdata"
boot data data unik.userdata=imds
check "user data: its arguments replace the disk's" contains "$(con data)" $'arg[1]=from-imds\narg[2]=two words'
check "user data: the disk's argument is gone" bash -c "! grep -q disk-arg '$T/data.con'"
check "user data: its environment replaces the disk's" contains "$(con data)" "GREETING=hi-imds"
check "the token was asked for with a TTL" grep -q "^PUT /latest/api/token ttl=300 " "$T/data.log"
check "the user data was asked for with the token" \
	grep -q "^GET /latest/user-data ttl=None token=AQAEAFakeTokenForUnikTests_-0123456789+/==$" "$T/data.log"

boot none none unik.userdata=imds
check "no user data (404): the disk's arguments" contains "$(con none)" $'arg[1]=disk-arg\nGREETING=from-disk'
check "no user data: asked with the token" grep -q "^GET /latest/user-data" "$T/none.log"

boot notoken notoken unik.userdata=imds
check "a refused token: the disk's arguments" contains "$(con notoken)" "arg[1]=disk-arg"
check "a refused token: said on the console" contains "$(con notoken)" "imds: no session token (HTTP 403)"
check "a refused token: no user data asked" bash -c "! grep -q '^GET' '$T/notoken.log'"

boot badtoken badtoken unik.userdata=imds
check "a malformed token: the disk's arguments" contains "$(con badtoken)" "arg[1]=disk-arg"
check "a malformed token: said, and never sent back" \
	bash -c "grep -q 'session token is malformed' '$T/badtoken.con' && ! grep -q '^GET' '$T/badtoken.log'"

boot off off unik.userdata=imds
check "no service: the disk's arguments" contains "$(con off)" "arg[1]=disk-arg"
check "no service: said on the console" contains "$(con off)" "imds: no session token (no answer"

boot without data
check "without unik.userdata=imds: the disk's arguments" contains "$(con without)" "arg[1]=disk-arg"
check "without unik.userdata=imds: nothing asked" test ! -s "$T/without.log"
finish
