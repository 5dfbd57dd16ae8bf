/* summon_ct.c - the connections the kernel forwarded to a summoned
 * instance's guest, as its connection tracking lists them
 * (/proc/net/nf_conntrack): the idle timer's count (summon_ct.h). */
#include "summon_ct.h"

#include <stdio.h>
#include <string.h>

#include "summon_impl.h"

static long long read_sysctl_s(const char *name, long long dflt)
{
	char path[160];
	long long v = dflt;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/netfilter/%s", name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* One line of /proc/net/nf_conntrack: a TCP connection forwarded to
 * guest:port?  Its state into st (and the seconds left of its entry). */
static int ct_match(const char *line, const char *guest, const char *port, char *st, size_t st_size,
		    long long *left)
{
	char want_src[32], want_sport[16];
	const char *reply, *p;
	char proto[8], state[24];

	if (sscanf(line, "%*s %*d %7s %*d %lld %23s", proto, left, state) != 3 ||
	    strcmp(proto, "tcp"))
		return 0;
	/* the reply tuple: the second src= */
	p = strstr(line, " src=");
	reply = p ? strstr(p + 1, " src=") : NULL;
	if (!reply)
		return 0;
	snprintf(want_src, sizeof(want_src), " src=%s ", guest);
	snprintf(want_sport, sizeof(want_sport), " sport=%s ", port);
	if (strncmp(reply, want_src, strlen(want_src)) || !strstr(reply, want_sport))
		return 0;
	/* the original's destination is not the guest: a DNAT'ed one (not
	 * the relay's own connection to the guest) */
	snprintf(want_src, sizeof(want_src), " dst=%s ", guest);
	p = strstr(line, " dst=");
	if (!p || !strncmp(p, want_src, strlen(want_src)))
		return 0;
	snprintf(st, st_size, "%s", state);
	return 1;
}

int summon_ct_open(const char *guest, const char *port, long long *last_end_ms)
{
	char line[512];
	long long tw, closed, now = summon_now_ms();
	int open = 0;
	FILE *ct = fopen("/proc/net/nf_conntrack", "re");

	if (!ct)
		return 1; /* cannot tell: busy, so no idle stop cuts a connection */
	tw = read_sysctl_s("nf_conntrack_tcp_timeout_time_wait", 120);
	closed = read_sysctl_s("nf_conntrack_tcp_timeout_close", 10);
	while (fgets(line, sizeof(line), ct)) {
		char st[24];
		long long left, ended;

		if (!ct_match(line, guest, port, st, sizeof(st), &left))
			continue;
		if (strcmp(st, "TIME_WAIT") && strcmp(st, "CLOSE")) {
			open++;
			continue;
		}
		/* ended about (its state's timeout - what is left) ago */
		ended = now - ((!strcmp(st, "CLOSE") ? closed : tw) - left) * 1000;
		if (ended > *last_end_ms)
			*last_end_ms = ended;
	}
	fclose(ct);
	return open;
}
