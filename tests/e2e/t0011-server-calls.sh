#!/usr/bin/env bash
# t0011-server-calls: what real servers do at start-up (issue 11) works in a
# unikernel built and run through unik: setsid, setgroups, setgid/setuid,
# pipe2, mkdir and writing files, a pid file, socketpair, prctl - the calls
# that used to stop them with "is not in the runtime: returning ENOSYS".
# And `unik run --trace` / `--verbose` show the runtime's diagnostics.
. "$(dirname "$0")/../lib/e2e.sh"
need_qemu
start_daemon

mkdir -p "$T/srv"
cat >"$T/srv/main.c" <<'C'
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct passwd *pw = getpwnam("nobody");
	gid_t g = 65534;
	int p[2], sv[2];
	char buf[16] = { 0 };
	FILE *f;

	if (setsid() < 0 || setgroups(1, &g) < 0 || pipe2(p, O_CLOEXEC) < 0 ||
	    mkdir("/run/srv", 0755) < 0)
		return 10;
	f = fopen("/run/srv/srv.pid", "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
		return 11;
	if (write(p[1], "ok", 2) != 2 || read(p[0], buf, 2) != 2)
		return 12;
	/* a raw call: libc's socket() would bring in the network stack */
	if (syscall(SYS_socketpair, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, sv) < 0)
		return 13;
	if (prctl(PR_SET_NAME, "srv-worker") < 0 || !pw || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return 14;
	f = fopen("/run/srv/srv.pid", "r");
	if (!f || !fgets(buf + 2, sizeof(buf) - 2, f))
		return 15;
	printf("server up: pipe %.2s, pid file %s", buf, buf + 2);
	printf("running as %d:%d\n", (int)getuid(), (int)getgid());
	if (argc > 1)
		printf("argument: %s\n", argv[1]);
	return 0;
}
C
out=$(unik build -t srv "$T/srv" 2>&1)
check "build a server-like program" contains "$out" "Successfully built"
for prov in qemu spt; do
	out=$(unik run --provider $prov srv 2>&1)
	rc=$?
	check "$prov: setsid, setgroups, pipe2, mkdir, a pid file, socketpair, setuid work" \
		eq "$out" $'server up: pipe ok, pid file 1\nrunning as 65534:65534'
	check "$prov: exit 0" eq "$rc" 0
	check "$prov: no call is missing" eq "$(grep -c 'returning ENOSYS' <<<"$out")" 0
done

# unik run --trace: every system call with its result, strace-style
out=$(unik run --provider spt --trace srv 2>&1)
check "--trace: the program still runs" contains "$out" "server up: pipe ok"
check "--trace: each system call with its result" contains "$out" "unikernel: strace: setsid("
check "--trace: mkdir is there with its result 0" \
	bash -c "grep -q '^unikernel: strace: mkdir(.*) = 0$' <<<\"\$1\"" _ "$out"
check "--trace: no boot lines without --verbose" eq "$(grep -c '^unik: runtime' <<<"$out")" 0
# unik run --verbose: the runtime's boot and exit lines
out=$(unik run --provider qemu --verbose srv 2>&1)
check "--verbose: the runtime's boot line" contains "$out" "unikernel: runtime 0.1 on"
check "--verbose: and its exit line" contains "$out" "unikernel: exit status 0 after"
check "--verbose: no trace without --trace" eq "$(grep -c '^unikernel: strace' <<<"$out")" 0
out=$(unik run --provider spt srv 2>&1)
check "neither: only the program's lines" eq "$(grep -c '^unik:' <<<"$out")" 0
out=$(unik run --provider spt srv --verbose 2>&1)
check "--verbose after IMAGE is the program's argument" contains "$out" "argument: --verbose"
check "... and not the runtime's" eq "$(grep -c '^unik:' <<<"$out")" 0

# the flags belong to the instance: a restart keeps them
id=$(unik run -d --name diag --verbose --provider spt srv)
unik wait diag >/dev/null 2>&1
check "the instance records verbose" contains "$(api GET /v1/instances/diag)" '"verbose":true'
unik start diag >/dev/null 2>&1
unik wait diag >/dev/null 2>&1
check "a restart keeps --verbose" eq "$(unik logs diag 2>&1 | grep -c 'unikernel: runtime 0.1 on')" 2
r=$(api POST /v1/instances -H 'Content-Type: application/json' -d '{"image":"srv","trace":"yes"}')
check "trace must be a boolean (400)" json_error_is "$r" 400 invalid_argument
unik rm -f "$id" >/dev/null 2>&1
finish
