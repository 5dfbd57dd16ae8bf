# netns.sh - a network namespace of the test's own with a bridge and taps, the
# only place guests' traffic may go (docs/testing.md).  Source it, then:
#   netns_bridge NAME PREFIX [TAP...]
# creates namespace NAME (NS is set to it), lo up, bridge br0 at PREFIX.1/24
# and each TAP (default: tp) on br0; `in_ns CMD...` runs a command inside;
# netns_del removes it (and is safe to call twice).  netns_bridge fails
# (status 1) when the namespace cannot be made: the caller skips.
NS=${NS-}
in_ns() { ip netns exec "$NS" "$@"; }
netns_bridge() {
	local name=$1 prefix=$2
	shift 2
	[ $# -gt 0 ] || set -- tp
	ip netns add "$name" || return 1
	NS=$name
	in_ns ip link set lo up &&
		in_ns ip link add br0 type bridge &&
		in_ns ip addr add "$prefix.1/24" dev br0 &&
		in_ns ip link set br0 up || return 1
	for t in "$@"; do
		in_ns ip tuntap add "$t" mode tap &&
			in_ns ip link set dev "$t" master br0 &&
			in_ns ip link set dev "$t" up || return 1
	done
}
netns_del() {
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	NS=
	return 0
}
