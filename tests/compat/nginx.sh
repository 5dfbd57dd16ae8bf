# nginx: the event-driven HTTP server (compat/nginx/files/nginx.conf: one
# process, epoll, sendfile); curl in the namespace: a page and a 64 KiB file
# from /www, a 404, a WebDAV PUT (the dav module always writes the body to
# a temporary file under /tmp/body, then renames it into /tmp/dav: a 201
# needs both) read back and deleted, the pid file served back; then
# `unik stop`: SIGTERM, a clean exit.
SPEED=fast
smoke() { # smoke PROVIDER IMAGE
	local P=$1 name=compat-nginx-$1 a out rc
	start -- "$name" "$P" "$2" -c /nginx.conf >/dev/null
	a=$(addr "$name")
	if [ -z "$a" ] || ! wait_port "$a" 80; then
		not_ok "nginx on $P: listens on 80"
		logs "$name" | tail -20 | sed 's/^/#   /'
		stopped "$name"
		return
	fi
	local c=(in_ns curl -s --max-time 30)
	check "nginx on $P: GET / (index.html)" contains "$("${c[@]}" "http://$a/")" \
		"hello from nginx on unik"
	check "nginx on $P: GET /big.bin (64 KiB, sendfile)" eq \
		"$("${c[@]}" "http://$a/big.bin" | md5sum | cut -d' ' -f1)" \
		"$(md5sum <"$ROOT/compat/nginx/files/www/big.bin" | cut -d' ' -f1)"
	check "nginx on $P: GET /missing is 404" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' "http://$a/missing")" 404
	seq 1 2000 >"$T/put.txt"
	check "nginx on $P: PUT /dav/a/b.txt (8 KiB body: a temporary file) is 201" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' -T "$T/put.txt" "http://$a/dav/a/b.txt")" 201
	check "nginx on $P: GET /dav/a/b.txt returns what was put" eq \
		"$("${c[@]}" "http://$a/dav/a/b.txt" | md5sum)" "$(md5sum <"$T/put.txt")"
	check "nginx on $P: DELETE /dav/a/b.txt is 204" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' -X DELETE "http://$a/dav/a/b.txt")" 204
	check "nginx on $P: GET /dav/a/b.txt is then 404" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' "http://$a/dav/a/b.txt")" 404
	check "nginx on $P: the pid file holds its pid (1)" eq "$("${c[@]}" "http://$a/nginx.pid")" 1
	unik stop "$name" >/dev/null 2>&1
	rc=$(exit_code "$name")
	out=$(logs "$name")
	stopped "$name"
	check "nginx on $P: SIGTERM: exit status 0" eq "$rc" 0
	check "nginx on $P: no emerg, alert or crit in its log" \
		eval '! grep -E "\[(emerg|alert|crit)\]" <<<"$out"'
}
