# syscall_list.awk - build/guest/unik-syscalls.list from the preprocessed
# runtime/core/syscall_table.h (runtime.mk): a line "unik-syscalls 2 SLOTS",
# one line per x86-64 call, by slot, "SLOT NR NAME FUNCTION strong|weak
# volume|-" for those the runtime serves and "SLOT NR NAME - - -" for the
# others (their names, for the console), then the volume hooks,
# "hook SYMBOL FUNCTION".  compilers/common/syscall_set.c reads it.
function fail(msg) { print "syscall_list: " msg > "/dev/stderr"; bad = 1 }
$1 == "unik_syscall_slots" { lo = $2; hi = $3; limit = $4; next }
$1 == "number" { nr[$2] = $3; next }
$1 == "call" {
	if (!($2 in nr)) fail("no number for " $2)
	else if ($2 in fn) fail($2 " served twice")
	else fn[$2] = $3 " " $4
	next
}
$1 == "volume" { vol[$2] = 1; next }
$1 == "hook" { hooks[++nhooks] = $2 " " $3; next }
NF { fail("unexpected line: " $0) }
END {
	for (name in vol) if (!(name in fn)) fail("volume call " name " is not served")
	if (bad || !hi || !nhooks) exit 1
	print "unik-syscalls 2 " (limit - (hi - lo))
	fflush()
	for (name in nr) {
		n = nr[name] + 0
		if (n >= lo && n < hi) { fail(name " in the gap"); exit 1 }
		print (n < lo ? n : n - (hi - lo)), n, name,
		      (name in fn ? fn[name] " " (name in vol ? "volume" : "-") : "- - -") | "sort -n"
	}
	close("sort -n")
	for (i = 1; i <= nhooks; i++) print "hook " hooks[i]
}
