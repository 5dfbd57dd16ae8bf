/* summon_nat.c - a summoned instance's later connections forwarded by the
 * kernel (summon_nat.h): iptables' nat table, as Docker publishes ports
 * without its userland proxy.
 *
 * Chains UNIK-SUMMON (jumped to from nat OUTPUT) and UNIK-SUMMON-POST
 * (from nat POSTROUTING) are the daemon's own: flushed at init (rules a
 * daemon that died left behind would send the port to a VM that may be
 * gone) and removed at fini.  Per forwarded port, one DNAT rule in
 * UNIK-SUMMON (local clients of the published address and port to the
 * guest's) and one MASQUERADE rule in UNIK-SUMMON-POST (a client of
 * 127.0.0.1 leaves with the bridge's address: the guest could not answer
 * 127.0.0.1).  For the latter the bridge gets route_localnet=1, and a raw
 * PREROUTING rule drops what arrives on it for 127.0.0.0/8, so a guest
 * cannot reach the host's loopback services through that
 * (CVE-2020-8558's lesson). */
#include "summon_nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/run_host_tool.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "summon_impl.h"

#define CHAIN "UNIK-SUMMON"
#define CHAIN_POST "UNIK-SUMMON-POST"

struct fwd {
	struct fwd *next;
	char id[80];
	struct portspec spec;
	char guest_ip[16];
	char dnat[40];
};

/* nat_lock is a leaf: nothing else is taken while it is held. */
static pthread_mutex_t nat_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fwd *fwds;
static int nat_ok; /* the chains are set up */
static char guarded[8][16]; /* bridges given route_localnet and their guard */

static int ipt(const char *const *argv)
{
	struct unik_err err = UNIK_ERR_INIT;
	int rc = run_host_tool(argv, NULL, &err);

	if (rc)
		unikd_log("summon: %s", err.msg);
	return rc;
}

/* iptables -w -t TABLE OP CHAIN [rest...] */
static int ipt_rule(const char *table, const char *op, const char *chain, const char *const *rest)
{
	const char *argv[32] = { "iptables", "-w", "-t", table, op, chain };
	size_t n = 6;

	for (size_t i = 0; rest && rest[i] && n < 31; i++)
		argv[n++] = rest[i];
	argv[n] = NULL;
	return ipt(argv);
}

static int ipt_quiet(const char *const *argv)
{
	struct unik_err err = UNIK_ERR_INIT;

	return run_host_tool(argv, NULL, &err);
}

/* The jump from `from` to `chain` once (after a check, so no duplicates). */
static int ensure_jump(const char *table, const char *from, const char *chain)
{
	const char *check[] = { "iptables", "-w", "-t", table, "-C", from, "-j", chain, NULL };
	const char *jump[] = { "-j", chain, NULL };

	if (ipt_quiet(check) == 0)
		return 0;
	return ipt_rule(table, "-I", from, jump);
}

static int chain_reset(const char *table, const char *chain, const char *from)
{
	const char *mk[] = { "iptables", "-w", "-t", table, "-N", chain, NULL };

	ipt_quiet(mk); /* exists already: flushed next */
	if (ipt_rule(table, "-F", chain, NULL))
		return -1;
	return ensure_jump(table, from, chain);
}

int summon_nat_init(struct unikd *d)
{
	const char *v = unik_config_get(&d->cfg, "summon.kernel_forward", "auto");

	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
		unikd_log("summon: connections are relayed by unikd (summon.kernel_forward %s)", v);
		return -1;
	}
	if (chain_reset("nat", CHAIN, "OUTPUT") || chain_reset("nat", CHAIN_POST, "POSTROUTING") ||
	    chain_reset("raw", CHAIN, "PREROUTING")) {
		unikd_log("summon: no kernel forwarding (iptables' nat table is not usable): "
			  "every connection is relayed by unikd");
		return -1;
	}
	pthread_mutex_lock(&nat_lock);
	nat_ok = 1;
	memset(guarded, 0, sizeof(guarded));
	pthread_mutex_unlock(&nat_lock);
	unikd_log("summon: connections after the first go through the kernel (iptables chain "
		  "%s)",
		  CHAIN);
	return 0;
}

/* The interface of the route to ip (/proc/net/route), or -1. */
static int route_dev(const char *ip, char *dev, size_t size)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], best[32] = "";
	struct in_addr a;
	int best_len = -1;

	if (!f || inet_pton(AF_INET, ip, &a) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char ifc[32];
		unsigned dst, gw, flags, mask;

		if (sscanf(line, "%31s %x %x %x %*d %*d %*d %x", ifc, &dst, &gw, &flags, &mask) !=
		    5)
			continue;
		if ((a.s_addr & mask) == dst && (flags & 1) &&
		    __builtin_popcount(mask) > best_len) {
			best_len = __builtin_popcount(mask);
			snprintf(best, sizeof(best), "%s", ifc);
		}
	}
	fclose(f);
	if (best_len < 0 || strlen(best) >= size)
		return -1;
	snprintf(dev, size, "%s", best);
	return 0;
}

static int set_localnet(const char *dev, const char *v)
{
	char path[128];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", dev);
	f = fopen(path, "we");
	if (!f) {
		unikd_log("summon: cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	bad = fputs(v, f) < 0;
	if (fclose(f) || bad) {
		unikd_log("summon: cannot write %s to %s: %s", v, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* route_localnet=1 on dev and the raw guard against it (nat_lock held). */
static int guard_dev(const char *dev)
{
	const char *drop[] = { "-i", dev, "-d", "127.0.0.0/8", "-j", "DROP", NULL };
	size_t i;

	for (i = 0; i < 8 && guarded[i][0]; i++)
		if (!strcmp(guarded[i], dev))
			return 0;
	if (i == 8 || strchr(dev, '/') || dev[0] == '.')
		return -1;
	if (ipt_rule("raw", "-A", CHAIN, drop))
		return -1;
	if (set_localnet(dev, "1"))
		return -1;
	snprintf(guarded[i], sizeof(guarded[i]), "%s", dev);
	return 0;
}

/* The rules' arguments after the chain: DNAT (which 0) or MASQUERADE. */
static void rule_args(const struct fwd *f, int which, const char **a, char *port, size_t size)
{
	size_t n = 0;

	if (which == 0) {
		snprintf(port, size, "%d", f->spec.host_port);
		a[n++] = "-p";
		a[n++] = "tcp";
		if (!strcmp(f->spec.host_ip, "0.0.0.0")) {
			a[n++] = "-m";
			a[n++] = "addrtype";
			a[n++] = "--dst-type";
			a[n++] = "LOCAL";
		} else {
			a[n++] = "-d";
			a[n++] = f->spec.host_ip;
		}
		a[n++] = "--dport";
		a[n++] = port;
		a[n++] = "-j";
		a[n++] = "DNAT";
		a[n++] = "--to-destination";
		a[n++] = f->dnat;
	} else {
		snprintf(port, size, "%d", f->spec.guest_port);
		a[n++] = "-s";
		a[n++] = "127.0.0.0/8";
		a[n++] = "-d";
		a[n++] = f->guest_ip;
		a[n++] = "-p";
		a[n++] = "tcp";
		a[n++] = "--dport";
		a[n++] = port;
		a[n++] = "-j";
		a[n++] = "MASQUERADE";
	}
	a[n] = NULL;
}

static int fwd_rules(const struct fwd *f, const char *op)
{
	const char *a[20];
	char port[16];
	int rc;

	rule_args(f, 1, a, port, sizeof(port));
	rc = ipt_rule("nat", op, CHAIN_POST, a);
	rule_args(f, 0, a, port, sizeof(port));
	return ipt_rule("nat", op, CHAIN, a) || rc;
}

static int same_port(const char *id, const struct portspec *a, const char *id2,
		     const struct portspec *b)
{
	return !strcmp(id, id2) && a->host_port == b->host_port && !strcmp(a->host_ip, b->host_ip);
}

int summon_nat_add(const char *id, const struct portspec *p, const char *guest_ip,
		   unsigned exits_seen)
{
	struct fwd *f;
	char dev[32];
	int rc = -1;

	if (p->udp || strlen(id) >= sizeof(f->id) || strlen(guest_ip) >= sizeof(f->guest_ip))
		return -1;
	pthread_mutex_lock(&nat_lock);
	if (!nat_ok)
		goto out;
	for (f = fwds; f; f = f->next)
		if (same_port(f->id, &f->spec, id, p)) {
			rc = 0;
			goto out;
		}
	/* a VM ended since the caller saw its guest up: maybe this one */
	if (atomic_load(&summon_vm_exits) != exits_seen)
		goto out;
	if (route_dev(guest_ip, dev, sizeof(dev)) || guard_dev(dev))
		goto out;
	f = xcalloc(1, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->spec = *p;
	snprintf(f->guest_ip, sizeof(f->guest_ip), "%s", guest_ip);
	snprintf(f->dnat, sizeof(f->dnat), "%s:%d", guest_ip, p->guest_port);
	if (fwd_rules(f, "-A")) {
		fwd_rules(f, "-D");
		free(f);
		goto out;
	}
	f->next = fwds;
	fwds = f;
	rc = 0;
out:
	pthread_mutex_unlock(&nat_lock);
	return rc;
}

struct add_job {
	struct add_job *next; /* in `pending` while it runs (nat_lock) */
	char id[80];
	struct portspec spec;
	char guest_ip[16];
	unsigned exits_seen;
};

static struct add_job *pending;

static void *add_main(void *arg)
{
	struct add_job *j = arg;

	summon_nat_add(j->id, &j->spec, j->guest_ip, j->exits_seen);
	pthread_mutex_lock(&nat_lock);
	for (struct add_job **pp = &pending; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	pthread_mutex_unlock(&nat_lock);
	free(j);
	return NULL;
}

void summon_nat_add_async(const char *id, const struct portspec *p, const char *guest_ip,
			  unsigned exits_seen)
{
	struct add_job *j;
	pthread_attr_t attr;
	pthread_t t;
	int have;

	if (p->udp || strlen(id) >= sizeof(j->id) || strlen(guest_ip) >= sizeof(j->guest_ip))
		return;
	pthread_mutex_lock(&nat_lock);
	have = !nat_ok;
	for (struct fwd *f = fwds; f && !have; f = f->next)
		have = same_port(f->id, &f->spec, id, p);
	for (struct add_job *q = pending; q && !have; q = q->next)
		have = same_port(q->id, &q->spec, id, p);
	if (have) {
		pthread_mutex_unlock(&nat_lock);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->spec = *p;
	snprintf(j->guest_ip, sizeof(j->guest_ip), "%s", guest_ip);
	j->exits_seen = exits_seen;
	j->next = pending;
	pending = j;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, add_main, j)) {
		pending = j->next;
		free(j);
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_unlock(&nat_lock);
}

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

/* The open connections tracked to guest:port that were DNAT'ed; raises
 * *last_end_ms to the end of the last closed one. */
static int ct_count(const char *guest, const char *port, long long *last_end_ms)
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

#define FWD_MAX 16 /* the ports of one instance looked at */

struct target {
	char guest[16], port[16];
};

static int count_targets(const struct target *t, size_t n, long long *last_end_ms)
{
	int open = 0;

	for (size_t i = 0; i < n; i++)
		open += ct_count(t[i].guest, t[i].port, last_end_ms);
	return open;
}

/* id's targets (nat_lock held); with unlink, its rules are removed too. */
static size_t collect(const char *id, int unlink, struct target *t)
{
	size_t n = 0;

	for (struct fwd **pp = &fwds; *pp;) {
		struct fwd *f = *pp;

		if (id && strcmp(f->id, id)) {
			pp = &f->next;
			continue;
		}
		if (n < FWD_MAX) {
			snprintf(t[n].guest, sizeof(t[n].guest), "%s", f->guest_ip);
			snprintf(t[n].port, sizeof(t[n].port), "%d", f->spec.guest_port);
			n++;
		}
		if (!unlink) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		fwd_rules(f, "-D");
		free(f);
	}
	return n;
}

void summon_nat_drop(const char *id)
{
	struct target t[FWD_MAX];

	pthread_mutex_lock(&nat_lock);
	collect(id, 1, t);
	pthread_mutex_unlock(&nat_lock);
}

int summon_nat_busy(const char *id, long long *last_end_ms)
{
	struct target t[FWD_MAX];
	size_t n;

	pthread_mutex_lock(&nat_lock);
	n = collect(id, 0, t);
	pthread_mutex_unlock(&nat_lock);
	return count_targets(t, n, last_end_ms);
}

int summon_nat_release(const char *id, long long *last_end_ms)
{
	struct target t[FWD_MAX];
	size_t n;

	pthread_mutex_lock(&nat_lock);
	n = collect(id, 1, t);
	pthread_mutex_unlock(&nat_lock);
	return count_targets(t, n, last_end_ms);
}

void summon_nat_fini(void)
{
	const char *rm_nat[] = { "iptables", "-w", "-t", "nat", "-D", "OUTPUT", "-j", CHAIN, NULL };
	const char *rm_post[] = { "iptables",	 "-w", "-t",	   "nat", "-D",
				  "POSTROUTING", "-j", CHAIN_POST, NULL };
	const char *rm_raw[] = { "iptables",   "-w", "-t",  "raw", "-D",
				 "PREROUTING", "-j", CHAIN, NULL };

	summon_nat_drop(NULL);
	pthread_mutex_lock(&nat_lock);
	if (nat_ok) {
		ipt_quiet(rm_nat);
		ipt_quiet(rm_post);
		ipt_quiet(rm_raw);
		ipt_rule("nat", "-X", CHAIN, NULL);
		ipt_rule("nat", "-X", CHAIN_POST, NULL);
		ipt_rule("raw", "-F", CHAIN, NULL);
		ipt_rule("raw", "-X", CHAIN, NULL);
		for (size_t i = 0; i < 8 && guarded[i][0]; i++)
			set_localnet(guarded[i], "0");
	}
	nat_ok = 0;
	pthread_mutex_unlock(&nat_lock);
}
