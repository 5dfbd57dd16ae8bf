# sqlite3: the shell runs /smoke.sql (compat/sqlite3/files/smoke.sql): a
# database file on /tmp written in transactions, a rollback, the file opened
# again, then queries, an index, full-text search (FTS5), JSON, math and
# window functions, and the integrity check.
# slow: its build takes ~90 s (the amalgamation, one 8 MB file, at -O2)
SPEED=slow
smoke() { # smoke PROVIDER IMAGE
	local P=$1 out rc want
	out=$(run_fg -- "$P" "$2" -batch :memory: ".read /smoke.sql")
	rc=$?
	want=$'delete
rows\t1000\t333833500\trow1000
index\trow0500
group\t0\t333
group\t1\t334
group\t2\t333
fts\t3
json\tunik\t3
math\t1.414214\t1024.0\t3.1416
window\t1,1,3,3
ok
1,\'row0001\'
2,\'row0002\''
	check "sqlite3 on $P: the queries' output" eq "$out" "$want"
	check "sqlite3 on $P: exit status 0" eq "$rc" 0
}
