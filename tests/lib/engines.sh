# engines.sh - container engines started by a test, each with its own state
# under $T and nothing shared with the host's (sourced after e2e.sh; the
# caller's EXIT trap calls engines_stop).  unik-runtime ($RT) is their
# runtime for unik images.
#
#   containerd_start     containerd 1.6 on $T/ctd/ctd.sock (no CRI); ctr()
#                        talks to it (namespace unik-test); 0, or 1 with
#                        ENGINE_WHY set
#   dockerd_start NETNS  dockerd in network namespace NETNS (made here) with
#                        --add-runtime unik=$RT; dk() talks to it.  NETNS "-":
#                        in the host's, without a bridge (--bridge=none: only
#                        --network none runs), reaching registries on 127.0.0.1
#   podman_setup         podman's storage and configuration under $T/podman;
#                        pm() runs it there
#   engines_stop         ends what was started
CTD=$T/ctd DK=$T/docker PM=$T/podman
CTD_PID= DOCKERD_PID= DOCKER_NETNS= ENGINE_WHY=
DOCKER=$(command -v /usr/bin/docker docker 2>/dev/null | head -1)

containerd_start() {
	if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
		ENGINE_WHY="containerd: not installed (scripts/install-deps)"
		return 1
	fi
	mkdir -p "$CTD"
	cat >"$CTD/config.toml" <<EOF2
version = 2
root = "$CTD/root"
state = "$CTD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTD/ctd.sock"
[ttrpc]
  address = "$CTD/ctd.ttrpc.sock"
[debug]
  address = "$CTD/debug.sock"
EOF2
	containerd --config "$CTD/config.toml" >"$CTD/log" 2>&1 &
	CTD_PID=$!
	for _ in $(seq 1 100); do [ -S "$CTD/ctd.sock" ] && break; sleep 0.1; done
	if ! ctr version >/dev/null 2>&1; then
		ENGINE_WHY="containerd: did not start: $(tail -3 "$CTD/log")"
		return 1
	fi
}
ctr() { timeout 60 ctr -a "$CTD/ctd.sock" -n unik-test "$@"; }

dockerd_start() { # dockerd_start NETNS
	if ! command -v dockerd >/dev/null || [ -z "$DOCKER" ]; then
		ENGINE_WHY="docker: dockerd is not installed (scripts/install-deps: docker.io)"
		return 1
	fi
	mkdir -p "$DK"
	echo '{}' >"$DK/daemon.json"
	# in a network namespace of the test's own (nsenter: only the network, so
	# the cgroup mounts stay): its docker0 bridge is the test's, not the host's
	local in=() net=()
	if [ "$1" = - ]; then
		net=(--bridge=none)
	else
		DOCKER_NETNS=$1
		ip netns add "$DOCKER_NETNS" && ip -n "$DOCKER_NETNS" link set lo up
		in=(nsenter --net="/var/run/netns/$DOCKER_NETNS")
	fi
	"${in[@]}" dockerd --data-root "$DK/data" \
		--exec-root "$DK/exec" -H "unix://$DK/docker.sock" --pidfile "$DK/docker.pid" \
		--add-runtime "unik=$RT" --iptables=false --ip6tables=false --storage-driver vfs \
		"${net[@]}" --config-file "$DK/daemon.json" >"$DK/log" 2>&1 &
	DOCKERD_PID=$!
	for _ in $(seq 1 300); do dk version >/dev/null 2>&1 && break; sleep 0.1; done
	if ! dk version >/dev/null 2>&1; then
		ENGINE_WHY="docker: dockerd did not start: $(tail -3 "$DK/log")"
		return 1
	fi
}
dk() { "$DOCKER" -H "unix://$DK/docker.sock" "$@"; }

podman_setup() {
	if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
		ENGINE_WHY="podman: not installed (scripts/install-deps)"
		return 1
	fi
	mkdir -p "$PM"
	printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/root"\n' \
		"$PM" "$PM" >"$PM/storage.conf"
	printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = "%s/events.log"\n' \
		"$PM" >"$PM/containers.conf"
}
pm() {
	CONTAINERS_STORAGE_CONF=$PM/storage.conf CONTAINERS_CONF=$PM/containers.conf \
		timeout 60 podman --root "$PM/root" --runroot "$PM/run" --tmpdir "$PM/tmp" "$@"
}

engines_stop() {
	[ -n "$DOCKERD_PID" ] && kill -TERM "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID"
	[ -n "$CTD_PID" ] && kill -TERM "$CTD_PID" 2>/dev/null && wait "$CTD_PID"
	[ -n "$DOCKER_NETNS" ] && ip netns del "$DOCKER_NETNS" 2>/dev/null
	umount -R "$DK" "$CTD" 2>/dev/null
	DOCKERD_PID= CTD_PID= DOCKER_NETNS=
}
