# lua5.4: the interpreter runs /smoke.lua (compat/lua5.4/files/smoke.lua):
# the language, its libraries, a temporary file written, read, renamed and
# removed, the environment, the clock; it exits with 3.
SPEED=fast
smoke() { # smoke PROVIDER IMAGE
	local P=$1 out rc want
	out=$(run_fg -e COMPAT_GREETING=hi -- "$P" "$2" /smoke.lua x)
	rc=$?
	want=$'squares\t1,4,9,16,25,36,49,64,81,100
fib\t23416728348467685
gsub\t<hello> <unik> <world>
format\t 3.14|ff|"a\\\nb"
coroutine\t1\t2\t3
pcall\ttrue
utf8\t5\t\u263a
file sum\t500500
renamed\ttrue\ttrue
env\thi
time\ttrue\ttrue
date\t1970-01-01
gc\ttrue
arg\t1\tx'
	check "lua5.4 on $P: the script's output" eq "$out" "$want"
	check "lua5.4 on $P: os.exit(3) is the exit status" eq "$rc" 3
}
