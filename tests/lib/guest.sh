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
