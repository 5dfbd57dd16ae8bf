# The corpus's known-answer test of mawk (tests/compat): fields, arrays,
# printf, regular expressions, a file written under /tmp and read back with
# getline, the environment and the arguments; it exits with 4.
{ qty[$1] += $3; money[$1] += $3 * $4; n++ }
$2 ~ /^p/ { p = p (p ? "," : "") $2 "@" NR }
END {
	split("east north south", order, " ")
	for (i = 1; i <= 3; i++)
		printf "%s\t%d\t%.2f\n", order[i], qty[order[i]], money[order[i]]
	print "records", n, NF
	print "p-items", p
	s = "hello unik world"
	print "gsub", gsub(/o/, "0", s), s
	print "match", match("xxabcabc", /(abc)+/), RSTART, RLENGTH
	print "substr", substr("unikernel", 5), toupper("abc"), index("unik", "ik")
	f = "/tmp/mawk.out"
	for (i = 1; i <= 100; i++) print i * i > f
	close(f)
	sum = 0
	while ((getline line < f) > 0) sum += line
	close(f)
	print "file", sum
	print "env", ENVIRON["COMPAT_GREETING"]
	print "argv", ARGC, ARGV[1]
	printf "%5.1f|%-4s|%x|%c\n", 3.14159, "ab", 255, 65
	exit 4
}
