# tinyproxy: the HTTP proxy (a thread per connection) in the foreground with
# compat/tinyproxy/files/tinyproxy.conf: a pid file, then setgid, setgroups
# and setuid to www-data; curl in the namespace fetches through it from a
# python3 HTTP server on the bridge's host address (the Via header shows the
# proxy), twice at once, then a host that does not resolve (an error page);
# then `unik stop`: SIGTERM.
SPEED=fast
smoke() { # smoke PROVIDER IMAGE
	local P=$1 name=compat-tinyproxy-$1 a out rc web up
	start -- "$name" "$P" "$2" -d -c /tinyproxy.conf >/dev/null
	a=$(addr "$name")
	if [ -z "$a" ] || ! wait_port "$a" 8888; then
		not_ok "tinyproxy on $P: listens on 8888"
		logs "$name" | tail -20 | sed 's/^/#   /'
		stopped "$name"
		return
	fi
	up=${a%.*}.1
	mkdir -p "$T/www"
	seq 1 5000 >"$T/www/data.txt"
	# directly, not through in_ns: $! is then the server itself
	ip netns exec "$NS" python3 -m http.server --bind "$up" --directory "$T/www" 8099 >/dev/null 2>&1 &
	web=$!
	wait_port "$up" 8099 20
	local c=(in_ns curl -s --max-time 30 -x "http://$a:8888")
	out=$("${c[@]}" -D - -o "$T/got.txt" "http://$up:8099/data.txt")
	check "tinyproxy on $P: GET through the proxy: 200" contains "$out" "HTTP/1.0 200"
	check "tinyproxy on $P: the Via header names it" contains "$out" "Via: 1.1 unik (tinyproxy/"
	check "tinyproxy on $P: the body arrived whole" cmp -s "$T/got.txt" "$T/www/data.txt"
	"${c[@]}" -o "$T/got1.txt" "http://$up:8099/data.txt" &
	"${c[@]}" -o "$T/got2.txt" "http://$up:8099/data.txt"
	wait %%
	check "tinyproxy on $P: two requests at once" eval \
		'cmp -s "$T/got1.txt" "$T/www/data.txt" && cmp -s "$T/got2.txt" "$T/www/data.txt"'
	check "tinyproxy on $P: an unknown host: an error page" eq \
		"$("${c[@]}" -o /dev/null -w '%{http_code}' "http://no-such-host.invalid/")" 500
	kill "$web" 2>/dev/null
	wait "$web" 2>/dev/null
	unik stop "$name" >/dev/null 2>&1
	rc=$(exit_code "$name")
	out=$(logs "$name")
	stopped "$name"
	check "tinyproxy on $P: it dropped root for www-data" contains "$out" 'Now running as user "www-data"'
	check "tinyproxy on $P: SIGTERM: exit status 0" eq "$rc" 0
}
