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
# Then the same program built and published by the aws provider to the
# contract endpoint: the published disk (read back from its snapshot) asks
# for user data in its grub.cfg and, booted under QEMU through its GRUB,
# runs with the user data's arguments and environment, not the disk's.
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

# ---- the disk the aws provider publishes, booted with the stand-in ----------
# The program built into an image (default argument disk-arg) and published
# to the contract endpoint (tests/aws/endpoint) by the aws provider: its
# network stack makes the provider add unik.userdata=imds to the staged
# disk's grub.cfg.  That disk, read back from the snapshot's blocks, boots
# under QEMU (GRUB from the disk, virtio-net PCI on the namespace's bridge)
# with the run's words as user data.  The one change to the disk's
# grub.cfg: the namespace's address words (on EC2 the Xen HVM platform asks
# DHCP by itself, docs/runtime.md).
if ! command -v mcopy >/dev/null || ! [ -f /usr/lib/grub/i386-pc/boot.img ] ||
	! /usr/bin/python3 -c 'import botocore.session' 2>/dev/null; then
	skip_case "the aws-published disk: needs mtools, grub-pc-bin and python3-botocore"
	finish
fi
. "$ROOT/tests/aws/endpoint/lib.sh"
AWSEP_REGION=us-east-2
trap 'awsep_stop; cleanup_imds' EXIT
awsep_start "$T" --seed 7 || exit 1
EP=$AWSEP_URL
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
export AWS_CONFIG_FILE=$T/none AWS_SHARED_CREDENTIALS_FILE=$T/none NO_PROXY=127.0.0.1 \
	no_proxy=127.0.0.1
start_daemon
unik build -t argsimg --arg disk-arg "$T/src" >"$T/ub.log" 2>&1 || { cat "$T/ub.log"; exit 1; }
ref=$(timeout 300 "$BIN/unik" stage -q --provider aws argsimg 2>"$T/stage.err")
check "unik stage --provider aws: the image is published" grep -qE '^ami-[0-9a-f]+ snap-[0-9a-f]+$' <<<"$ref"
/usr/bin/python3 "$ROOT/tests/aws/endpoint/ami_disk.py" "$EP" "${ref%% *}" "$T/pub.raw" >"$T/ami_disk.log" 2>&1
drive="$T/pub.raw@@$((2048 * 512))"
mcopy -n -i "$drive" ::/boot/grub/grub.cfg "$T/pub.cfg" 2>"$T/mcopy.err"
check "the published disk's grub.cfg asks for user data (its default argument too)" \
	bash -c "grep -q \"^multiboot2 /boot/unik.elf .*'unik.arg=disk-arg'.*'unik.userdata=imds'\" '$T/pub.cfg'"
sed -i "s|^multiboot2 .*|& 'unik.ip=10.79.0.2/24' 'unik.gw=10.79.0.1'|" "$T/pub.cfg"
mcopy -o -i "$drive" "$T/pub.cfg" ::/boot/grub/grub.cfg
printf '%s' "$(args from-ec2 'user data') unik.env=GREETING%3Dhi-ec2 unik.id=x" >"$T/userdata"
: >"$T/pub.log"
ip netns exec "$NS" python3 "$ROOT/tests/e2e/imds_standin.py" 169.254.169.254 80 "$T/pub.log" \
	data "$T/userdata" &
SPID=$!
for _ in $(seq 50); do
	in_ns bash -c 'exec 3<>/dev/tcp/169.254.169.254/80' 2>/dev/null && break
	sleep 0.1
done
: >"$T/pub.log"
in_ns timeout 300 qemu-system-x86_64 -M pc -accel tcg -m 128 -display none -no-reboot -nodefaults \
	-serial "file:$T/pub.con" -drive "file=$T/pub.raw,format=raw,if=ide" \
	-netdev "tap,id=n0,ifname=tp,script=no,downscript=no" -device virtio-net-pci,netdev=n0 \
	>"$T/pub.qemu" 2>&1
kill "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
SPID=
touch "$T/pub.con"
check "the published disk boots with the user data's arguments" \
	contains "$(con pub)" $'arg[1]=from-ec2\narg[2]=user data'
check "and its environment; the disk's argument is gone" \
	bash -c "grep -q '^GREETING=hi-ec2' '$T/pub.con' && ! grep -q disk-arg '$T/pub.con'"
check "the user data was asked of the stand-in with a token" grep -q "^GET /latest/user-data" "$T/pub.log"
check "unikd stops cleanly" stop_daemon
finish
