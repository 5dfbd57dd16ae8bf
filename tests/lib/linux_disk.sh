# linux_disk.sh - the staged disk of a linux-initrd image (the linux base),
# as the aws provider publishes it, for the tests that boot it (t0047,
# t0048, t0049).  Source it after e2e.sh and start_daemon, then:
#   linux_disk_export TAG
# builds examples/http-c with --compiler linux as image TAG (skips when the
# linux compiler is not usable here), checks `unik export --format raw` of
# it to $T/l.raw and copies its grub.cfg to $T/l.cfg; LINUX_DRIVE is the
# disk's FAT partition for mtools (mcopy -i "$LINUX_DRIVE" ::/boot/...).
#   linux_disk_words WORDS
# appends WORDS to grub.cfg's linux line and writes it back to the disk.
LINUX_DRIVE=
linux_disk_export() {
	unik build -t "$1" --compiler linux "$ROOT/examples/http-c" >"$T/b.log" 2>&1 ||
		skip "the linux compiler is not usable here: $(tail -1 "$T/b.log")"
	check "unik export --format raw of a linux-initrd image" \
		bash -c "timeout 300 $BIN/unik export --format raw -o '$T/l.raw' '$1' >'$T/x.log' 2>&1"
	LINUX_DRIVE="$T/l.raw@@$((2048 * 512))"
	mcopy -n -i "$LINUX_DRIVE" ::/boot/grub/grub.cfg "$T/l.cfg" 2>"$T/mcopy.err"
}
linux_disk_words() {
	sed -i "s|^linux .*|& $1|" "$T/l.cfg" &&
		mcopy -o -i "$LINUX_DRIVE" "$T/l.cfg" ::/boot/grub/grub.cfg
}
