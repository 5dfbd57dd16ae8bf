#!/usr/bin/env bash
# t0017-virtualbox: the `virtualbox` provider.  VirtualBox cannot run on
# these machines, so unikd drives tests/virtualbox/fake/VBoxManage (the
# key virtualbox.vboxmanage), which checks each call against the syntax of
# VirtualBox's manual and runs a started VM as QEMU with VirtualBox's
# hardware (PIIX3 -M pc + SeaBIOS, the SATA controller as ICH9 AHCI, COM1
# and COM2 into files, the ACPI power button).  So this shows: the provider's
# command lines are well-formed and in the right order, the boot disk it
# stages boots from GRUB on AHCI and the program's output and exit status
# come back, a volume on a SATA port (a flat VMDK over its raw disk) is
# written and read back, `unik stop` is the ACPI power button (the program's
# SIGTERM handler runs), and rm unregisters the VM without deleting the
# volume.  Where a real VBoxManage exists, a live case runs too.
. "$(dirname "$0")/../lib/e2e.sh"
need_tools grub-mkimage mkfs.fat mcopy qemu-img python3
need_qemu
[ -f /usr/lib/grub/i386-pc/boot.img ] || skip "grub-pc-bin is not installed (scripts/install-deps)"
FAKE=$ROOT/tests/virtualbox/fake
export FAKE_VBOX_DIR=$T/vbox
printf '[network]\nmode = none\n[virtualbox]\nvboxmanage = %s/VBoxManage\n' "$FAKE" >"$T/unikd.conf"
start_daemon
calls() { cat "$FAKE_VBOX_DIR/calls.log" 2>/dev/null; }

out=$(unik providers 2>&1)
check "unik providers lists virtualbox, usable (VBoxManage --version works)" \
	bash -c "grep -E '^virtualbox ' <<<'$out' | grep -qvi 'unusable\|not usable'"
unik build -t hello "$ROOT/examples/hello-c" >"$T/b1.log" 2>&1 || { cat "$T/b1.log"; exit 1; }
unik build -t rthreads "$ROOT/tests/runtime/rthreads" >"$T/b2.log" 2>&1 || { cat "$T/b2.log"; exit 1; }
unik build -t rvol "$ROOT/tests/runtime/rvol" >"$T/b3.log" 2>&1 || { cat "$T/b3.log"; exit 1; }

# ---- a run: the staged disk boots from GRUB on AHCI --------------------------
out=$(timeout 300 "$BIN/unik" run --provider virtualbox --name v1 -e EXIT_CODE=4 hello one 'two words' 2>&1)
rc=$?
check "unik run --provider virtualbox: the program's output" contains "$out" "hello from unik"
check "its arguments (through grub.cfg's command line)" contains "$out" "arg[2]=two words"
check "its exit status 4 (COM2, as on QEMU)" test "$rc" = 4
check "VBoxManage calls in order: createvm, modifyvm, storagectl, storageattach, startvm" \
	bash -c "cat '$FAKE_VBOX_DIR/calls.log' | grep -oE '^(createvm|modifyvm|storagectl|storageattach|startvm)' | uniq | tr '\n' ' ' | grep -q '^createvm modifyvm storagectl storageattach startvm'"
check "modifyvm: COM1 into the log, COM2 into the status file, no NIC, BIOS, ACPI" \
	bash -c "cat '$FAKE_VBOX_DIR/calls.log' | grep '^modifyvm' | grep -- '--uart1 0x3F8 4 --uartmode1 file /' | grep -- '--uart2 0x2F8 3' | grep -- '--nic1 none' | grep -q -- '--acpi on'"
check "storagectl: a SATA controller (IntelAhci)" bash -c "cat '$FAKE_VBOX_DIR/calls.log' | grep '^storagectl' | grep -q -- '--add sata --controller IntelAhci'"
check "the boot disk is a VDI on port 0" bash -c "cat '$FAKE_VBOX_DIR/calls.log' | grep '^storageattach' | grep -q -- '--port 0 --device 0 --type hdd --medium /.*boot.vdi'"
check "the image's raw disk was staged once, in the daemon's cache (unik images: STAGED raw)" \
	bash -c "$BIN/unik images | grep '^hello ' | grep -q raw"
staged=$(ls "$STATE"/stagings/*/disk.raw 2>/dev/null | head -1)
before=$(stat -c %Y.%i "$staged" 2>/dev/null)
out=$(timeout 300 "$BIN/unik" run --provider virtualbox --name v2 hello other 2>&1)
check "a second run boots its own command line (a copy of the cached disk)" contains "$out" "arg[1]=other"
check "and the cached disk was neither made again nor changed" test "$(stat -c %Y.%i "$staged" 2>/dev/null)" = "$before"
check "no VBoxManage call was refused" bash -c "! grep -q 'VBoxManage: error' '$T/unikd.log'"

# ---- stop: the ACPI power button ------------------------------------------------
unik run -d --provider virtualbox --name s1 rthreads stop handler pause >/dev/null 2>&1
for _ in $(seq 1 600); do unik logs s1 2>/dev/null | grep -q "waiting to be stopped" && break; sleep 0.5; done
check "unik ps: the VM runs" bash -c "$BIN/unik ps | grep s1 | grep -qi running"
unik stop s1 >/dev/null 2>&1
check "unik stop: controlvm acpipowerbutton" bash -c "cat '$FAKE_VBOX_DIR/calls.log' | grep -q '^controlvm unik-.* acpipowerbutton'"
check "unik stop: the program's SIGTERM handler ran" bash -c "$BIN/unik logs s1 | grep -q 'SIGTERM handler ran'"
check "unik stop: exit status 7" bash -c "$BIN/unik ps -a | grep s1 | grep -q '7'"

# ---- a volume on a SATA port ------------------------------------------------------
unik volume create vv --size 16M >/dev/null 2>&1
out=$(timeout 300 "$BIN/unik" run --provider virtualbox --name w1 -v vv:/data rvol write /data 2>&1)
check "a volume (flat VMDK over its raw disk on SATA port 1): written" contains "$out" "write: ok"
out=$(timeout 300 "$BIN/unik" run --provider virtualbox --name w2 -v vv:/data rvol check /data 2>&1)
check "the next VM reads what the first wrote" contains "$out" "check: ok"
disk=$(ls "$STATE"/volumes/*/disk.raw | head -1)
check "the volume's disk is clean under e2fsck -fn" e2fsck -fn "$disk"
unik rm v1 v2 s1 w1 w2 >/dev/null 2>&1
check "rm: the VMs are unregistered" bash -c "! ls '$FAKE_VBOX_DIR'/*.json 2>/dev/null | grep -q ."
check "rm: the volume's disk is still there" test -s "$disk"

# ---- live, where VirtualBox is installed ------------------------------------------------
if command -v VBoxManage >/dev/null && VBoxManage --version >/dev/null 2>&1; then
	stop_daemon
	printf '[network]\nmode = none\n' >"$T/unikd.conf"
	start_daemon
	out=$(timeout 300 "$BIN/unik" run --provider virtualbox --name live -e EXIT_CODE=3 hello 2>&1)
	rc=$?
	check "live VirtualBox: hello runs" contains "$out" "hello from unik"
	check "live VirtualBox: exit status 3" test "$rc" = 3
	unik rm live >/dev/null 2>&1
else
	skip_case "live VirtualBox: VBoxManage is not installed here (VirtualBox cannot run on these machines)"
fi
finish
