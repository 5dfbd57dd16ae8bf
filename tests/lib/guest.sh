# guest.sh - helpers of the suites that boot images themselves (runtime,
# monitor, net): console checks, waiting for a line, CPU ticks.  Needs $T
# (the suite's temporary folder) and tests/lib/harness.sh.

has() { grep -qF -- "$2" "$T/$1.con"; } # has NAME TEXT: NAME's console has TEXT

wait_line() { # wait_line NAME TEXT: until NAME's console has TEXT (30 s at most)
	for _ in $(seq 300); do
		grep -qF -- "$2" "$T/$1.con" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ticks() { # ticks PID: CPU ticks (1/100 s) the process uses in 2 s
	local a b
	a=$(awk '{ print $14 + $15 }' "/proc/$1/stat") || return 1
	sleep 2
	b=$(awk '{ print $14 + $15 }' "/proc/$1/stat") || return 1
	echo $((b - a))
}

idle() { # idle PID: at most 4 ticks (2 % of a CPU at 100 Hz) in 2 s
	local n
	n=$(ticks "$1") || return 1
	echo "  $n ticks of CPU in 2 s"
	[ "$n" -le 4 ]
}

switches() { # switches PID: voluntary context switches of all its threads
	local t=0 n f
	for f in /proc/"$1"/task/*/status; do
		n=$(awk '/^voluntary_ctxt_switches/ { print $2 }' "$f") || return 1
		t=$((t + n))
	done
	echo "$t"
}

wakeups() { # wakeups PID MAX: the monitor sleeps in the host (ppoll, or the
	# vCPU out of KVM_RUN) and is woken at most MAX times in 3 s: each wake
	# of the guest ends one voluntary context switch
	local a b
	a=$(switches "$1") || return 1
	sleep 3
	b=$(switches "$1") || return 1
	echo "  woken $((b - a)) times in 3 s (at most $2)"
	[ $((b - a)) -le "$2" ]
}
