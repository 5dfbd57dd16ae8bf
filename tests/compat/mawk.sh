# mawk: the AWK interpreter runs /smoke.awk (compat/mawk/files/) over
# /sales.txt: fields, arrays, printf, regular expressions, a file written
# under /tmp and read back, the environment, the arguments; it exits with 4.
SPEED=fast
smoke() { # smoke PROVIDER IMAGE
	local P=$1 out rc want
	out=$(run_fg -e COMPAT_GREETING=hi -- "$P" "$2" -f /smoke.awk /sales.txt)
	rc=$?
	want=$'east\t29\t19.80
north\t15\t8.40
south\t12\t8.10
records 6 4
p-items pears@2,pears@3,plums@6
gsub 2 hell0 unik w0rld
match 3 3 6
substr ernel ABC 3
file 338350
env hi
argv 2 /sales.txt
  3.1|ab  |ff|A'
	check "mawk on $P: the script's output" eq "$out" "$want"
	check "mawk on $P: exit 4 is the exit status" eq "$rc" 4
}
