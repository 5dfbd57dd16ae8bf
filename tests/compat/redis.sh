# redis: redis-server (MALLOC=libc) with a pid file and its data in /tmp;
# tests/compat/tools/resp (a RESP client) in the namespace: strings,
# counters, lists, a Lua script, a 2000-field hash freed by the lazyfree
# background thread (UNLINK), DEBUG RELOAD (the RDB file written to a
# temporary file, renamed, read back); then `unik stop`: SIGTERM ends it
# gracefully with status 0.
# slow: its build takes ~90 s
SPEED=slow
smoke() { # smoke PROVIDER IMAGE
	local P=$1 name=compat-redis-$1 a out want rc
	start -- "$name" "$P" "$2" --port 6379 --bind 0.0.0.0 --protected-mode no \
		--save "" --dir /tmp --pidfile /tmp/redis.pid --enable-debug-command yes \
		--lazyfree-lazy-user-del yes >/dev/null
	a=$(addr "$name")
	if [ -z "$a" ] || ! wait_port "$a" 6379; then
		not_ok "redis on $P: listens on 6379"
		logs "$name" | tail -20 | sed 's/^/#   /'
		stopped "$name"
		return
	fi
	out=$(in_ns "$ROOT/tests/compat/tools/resp" "$a" 6379 <<'CMDS' 2>&1
PING
SET greeting "hello unik"
GET greeting
INCRBY counter 41
INCR counter
RPUSH l a b c
LRANGE l 0 -1
EVAL "return redis.call('GET', KEYS[1]) .. '!'" 1 greeting
EVAL "for i = 1, 2000 do redis.call('HSET', KEYS[1], 'f' .. i, i) end return redis.call('HLEN', KEYS[1])" 1 big
UNLINK big
DBSIZE
DEBUG RELOAD
GET greeting
LRANGE l 1 1
GET missing
CMDS
	)
	want='+PONG
+OK
hello unik
:41
:42
:3
[a,b,c]
hello unik!
:2000
:1
:3
+OK
hello unik
[b]
(nil)'
	check "redis on $P: the commands' replies" eq "$out" "$want"
	unik stop "$name" >/dev/null 2>&1
	rc=$(exit_code "$name")
	out=$(logs "$name")
	stopped "$name"
	check "redis on $P: SIGTERM: a graceful exit, status 0" eq "$rc" 0
	check "redis on $P: the pid file written (no complaint)" eval '! grep -q "Failed to write PID" <<<"$out"'
	check "redis on $P: the shutdown message" contains "$out" "ready to exit, bye bye"
}
