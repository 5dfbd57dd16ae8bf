# cases-fs.sh - tests/monitor/run-tests' cases for the file system, pipes,
# AF_UNIX sockets and timerfd on spt and hvt (rtest's rt_fs.c modes; the
# full set runs under QEMU in tests/runtime).  Sourced: uses run, check,
# has, status_is, args and TARGETS.
for t in $TARGETS; do
	# hvt: this machine's nested KVM emulates the runtime's ring-0 code (~12 ms a cycle)
	n=10000
	[ "$t" = hvt ] && n=300
	run "$t" "$t-overlay" 32 "$(args overlay)"
	check "$t overlay: every check of the writable tree passes" has "$t-overlay" "overlay basics: ok"
	run "$t" "$t-cycles" 64 "$(args cycles $n)"
	check "$t overlay: $n create/rename/unlink cycles leave the expected tree" \
		grep -q "cycles: $n cycles leave [0-9]* files, listings and contents as expected: yes" \
		"$T/$t-cycles.con"
	check "$t overlay: and all the space comes back" has "$t-cycles" "free blocks back"
	echo "# $t $n overlay cycles: $(cat "$T/$t-cycles.ms") ms for the whole run"
	run "$t" "$t-pipes" 32 "$(args pipes)"
	check "$t pipes: every check passes" has "$t-pipes" "pipes: ok"
	run "$t" "$t-unix" 32 "$(args unix)"
	check "$t AF_UNIX: every check passes" has "$t-unix" "unix sockets: ok"
	run "$t" "$t-timerfd" 32 "$(args timerfd)"
	ms=$(sed -n 's/^timerfd: epoll_wait ended after \([0-9]*\) ms/\1/p' "$T/$t-timerfd.con")
	check "$t timerfd: an endless epoll_wait ends with the timer, not before (${ms:-?} ms)" \
		test "${ms:-0}" -ge 49 -a "${ms:-0}" -lt 10000
	run "$t" "$t-proc" 32 "$(args proc)"
	check "$t /proc/self/maps and fd" \
		bash -c "grep -q 'maps: stack yes, heap yes, program yes' '$T/$t-proc.con' &&
			grep -q 'fd link: /etc/motd' '$T/$t-proc.con'"
	run "$t" "$t-pipeblock" 32 "$(args pipeblock)"
	check "$t a read that can never end stops the program (255)" status_is "$t-pipeblock" 255
done
