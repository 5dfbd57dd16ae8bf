# xen_dom0.sh - what the nested-Xen tests (t0045, t0049) share around
# scripts/xen-dom0 (Debian's Xen and dom0 under QEMU TCG).  Source it after
# e2e.sh; $OV is the overlay copied onto dom0's root, whose /root/run.sh the
# dom0 runs.  Then:
#   xen_dom0_prepare        Debian's Xen packages (downloaded once), or skip
#   xen_dom0_net PREFIX     $OV/root/udhcpd.conf (PREFIX.50-.60, router
#                           PREFIX.1) and $OV/root/dom0.sh, which run.sh
#                           sources: dom0_bridge PREFIX (br0 at PREFIX.1/24
#                           with udhcpd on it), dom0_http IP (an HTTP request
#                           to IP:8080 and udhcpd's leases, as the sections
#                           HTTP and LEASES)
#   xen_dom0_boot TIMEOUT   boots it (skips when Xen does not boot here);
#                           $T/log is its serial line without CRs
#   xen_dom0_sections NAME... $T/NAME: the lines NAME-BEGIN..NAME-END of $T/log
#   xen_dom0_hvm            HVM domains' device model and firmware in $OV
#   xen_dom0_hvm_cfg NAME MEMORY MAC LINE...  an HVM domain's xl config, $OV/root/NAME.cfg
xen_dom0_prepare() {
	"$ROOT/scripts/xen-dom0" prepare >"$T/prepare.log" 2>&1 || {
		cat "$T/prepare.log"
		skip "Debian's Xen packages could not be downloaded (scripts/xen-dom0 prepare)"
	}
}
xen_dom0_net() {
	mkdir -p "$OV/root"
	printf '%s\n' "start $1.50" "end $1.60" "interface br0" \
		"lease_file /tmp/udhcpd.leases" "pidfile /tmp/udhcpd.pid" \
		"option subnet 255.255.255.0" "option router $1.1" >"$OV/root/udhcpd.conf"
	cp "$ROOT/tests/lib/xen_dom0_guest.sh" "$OV/root/dom0.sh"
}
xen_dom0_boot() {
	chmod +x "$OV/root/run.sh"
	XEN_DOM0_TIMEOUT=$1 "$ROOT/scripts/xen-dom0" run "$OV" "$T/serial.log" ||
		grep -aq XEN-DOM0-UP "$T/serial.log" || {
		tail -30 "$T/serial.log"
		skip "Xen and dom0 do not boot under QEMU TCG here"
	}
	tr -d '\r' <"$T/serial.log" >"$T/log"
}
xen_dom0_sections() {
	for s in "$@"; do
		sed -n "/^$s-BEGIN/,/^$s-END/p" "$T/log" >"$T/$s"
	done
}
# xen_dom0_hvm: the device model (Debian's qemu-system-xen) and firmware
# (SeaBIOS) of HVM domains added to $OV (dom0 of scripts/xen-dom0 runs PV
# and PVH domains only), downloaded once into build/xen-hvm; skips when
# they cannot be had.
xen_dom0_hvm() {
	local HVM=$ROOT/build/xen-hvm XR=$ROOT/build/xen/root d l
	if [ ! -x "$HVM/usr/libexec/xen-qemu-system-i386" ]; then
		rm -rf "$HVM" && mkdir -p "$HVM/debs"
		(cd "$HVM/debs" && apt-get -o APT::Sandbox::User=root download qemu-system-xen seabios) \
			>"$T/hvm-debs.log" 2>&1 || skip "qemu-system-xen and seabios could not be downloaded"
		for d in "$HVM"/debs/*.deb; do dpkg-deb -x "$d" "$HVM"; done
		rm -rf "$HVM/debs" "$HVM/usr/share/doc"
	fi
	mkdir -p "$OV/root" "$OV/usr/libexec" "$OV/usr/share/seabios"
	cp "$HVM/usr/libexec/xen-qemu-system-i386" "$OV/usr/libexec/"
	cp "$HVM/usr/share/seabios/bios-256k.bin" "$OV/usr/share/seabios/"
	# its keymap (read even with -vnc none), from this host's QEMU
	mkdir -p "$OV/usr/share/qemu/keymaps"
	cp /usr/share/qemu/keymaps/en-us "$OV/usr/share/qemu/keymaps/" 2>/dev/null ||
		skip "no QEMU keymap here (/usr/share/qemu/keymaps/en-us)"
	# its libraries from this host (dom0's tree has the Xen ones)
	LD_LIBRARY_PATH=$XR/usr/lib/x86_64-linux-gnu ldd "$OV/usr/libexec/xen-qemu-system-i386" |
		awk '/=> \//{print $3}' | grep -v "^$XR/" | while read -r l; do
		[ -e "$XR$l" ] && continue
		mkdir -p "$OV$(dirname "$l")"
		cp -L "$l" "$OV$l"
	done
}
# xen_dom0_hvm_cfg NAME MEMORY MAC LINE...: $OV/root/NAME.cfg, an HVM domain
# as on EC2's Xen types: a vif of type=vif (no emulated NIC) with MAC on br0,
# COM1 to /tmp/com1.log, no display, destroyed when it stops; the LINEs say
# what it boots (a disk, or a kernel given to the device model)
xen_dom0_hvm_cfg() {
	local name=$1 mem=$2 mac=$3
	shift 3
	printf '%s\n' "name = \"$name\"" 'type = "hvm"' "memory = $mem" 'vcpus = 1' "$@" \
		"vif = [ \"type=vif, bridge=br0, mac=$mac\" ]" 'serial = "file:/tmp/com1.log"' \
		'vga = "none"' 'nographic = 1' 'vnc = 0' 'on_poweroff = "destroy"' \
		'on_crash = "destroy"' 'on_reboot = "destroy"' >"$OV/root/$name.cfg"
}
