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
 * (CVE-2020-8558's lesson).
 *
 * Each change (a port's rules in, an instance's rules out) is one
 * iptables-restore --noflush batch, run by one worker thread in the order
 * the changes were made: the VM's exit path (d->lock held) only queues
 * its removal, and a guest's address stays out of the allocator's hands
 * (summon_nat_address_draining) until its rules are gone. */
#include "summon_nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/host_run.h"
#include "../lib/run_host_tool.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "daemon.h"
#include "summon_impl.h"
#include "summon_ct.h"

#define CHAIN "UNIK-SUMMON"
#define CHAIN_POST "UNIK-SUMMON-POST"

struct fwd {
	struct fwd *next;
	char id[80];
	struct portspec spec;
	char guest_ip[16];
	char dnat[40];
};

/* A batch for the worker: one iptables-restore run. */
struct job {
	struct job *next;
	char *batch; /* its input */
	char drain_id[80]; /* a removal: the instance whose rules go ... */
	char drain_ip[16]; /* ... and its guest's address (one is enough: one VM) */
	char guard_dev[16]; /* the batch guards this bridge: route_localnet after it */
	int waited; /* a caller waits for it (and frees it) */
	int done, rc;
};

/* nat_lock is a leaf: nothing else is taken while it is held. */
static pthread_mutex_t nat_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nat_cv = PTHREAD_COND_INITIALIZER;
static struct fwd *fwds;
/* Ports whose rules an idle check removed while the VM stays up (a
 * connection they forwarded is still open): still counted until the VM
 * ends, as that connection keeps going through the kernel's tracking. */
static struct fwd *gone;
static struct job *queue, *running; /* FIFO; the one the worker runs */
static pthread_t worker;
static int nat_ok; /* the chains are set up */
static int worker_started, worker_quit;
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

/* Connection tracking on from the start, with a first rule that needs it.
 * The kernel tracks a namespace's connections only once a rule asks for
 * it (iptables-nft's nat chains alone do not): without this, a connection
 * held by unikd before its port's DNAT rule came in would have no entry,
 * its next packet would be taken for a new connection and sent to the
 * guest, which answers with a reset.  The rule itself only returns what
 * is not new: the nat table sees nothing else. */
static int track_connections(void)
{
	const char *rest[] = { "-m", "conntrack", "!", "--ctstate", "NEW", "-j", "RETURN", NULL };

	return ipt_rule("nat", "-A", CHAIN, rest);
}

int summon_nat_init(struct unikd *d)
{
	const char *v = unik_config_get(&d->cfg, "summon.kernel_forward", "auto");

	if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "no")) {
		unikd_log("summon: connections are relayed by unikd (summon.kernel_forward %s)", v);
		return -1;
	}
	if (chain_reset("nat", CHAIN, "OUTPUT") || chain_reset("nat", CHAIN_POST, "POSTROUTING") ||
	    chain_reset("raw", CHAIN, "PREROUTING") || track_connections()) {
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

/* Runs one batch: 0, or -1 (logged). */
static int restore(const char *batch)
{
	const char *argv[] = { "iptables-restore", "-w", "--noflush", NULL };
	struct strbuf out = STRBUF_INIT;
	struct host_run r = { .argv = argv,
			      .input = batch,
			      .input_len = strlen(batch),
			      .timeout_ms = 30000,
			      .out = &out,
			      .out_max = 2048 };
	struct host_run_status st;
	struct unik_err err = UNIK_ERR_INIT;
	int rc = -1;

	if (host_run(&r, &st, &err))
		unikd_log("summon: %s", err.msg);
	else if (!host_run_ok(&st))
		unikd_log("summon: iptables-restore failed (%s %d): %s",
			  st.exited ? "status" : "signal", st.code, strbuf_str(&out));
	else
		rc = 0;
	strbuf_release(&out);
	return rc;
}

static void *worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&nat_lock);
	for (;;) {
		struct job *j = queue;
		int rc;

		if (!j) {
			if (worker_quit)
				break;
			pthread_cond_wait(&nat_cv, &nat_lock);
			continue;
		}
		queue = j->next;
		running = j;
		pthread_mutex_unlock(&nat_lock);
		rc = restore(j->batch);
		if (!rc && j->guard_dev[0] && set_localnet(j->guard_dev, "1"))
			rc = -1;
		pthread_mutex_lock(&nat_lock);
		running = NULL;
		if (rc && j->guard_dev[0]) /* not guarded: the next add tries again */
			for (size_t i = 0; i < 8; i++)
				if (!strcmp(guarded[i], j->guard_dev))
					guarded[i][0] = '\0';
		j->rc = rc;
		j->done = 1;
		pthread_cond_broadcast(&nat_cv);
		if (!j->waited) {
			free(j->batch);
			free(j);
		}
	}
	pthread_mutex_unlock(&nat_lock);
	return NULL;
}

/* Queues j (nat_lock held); -1 when no worker can run it (j freed). */
static int enqueue(struct job *j)
{
	struct job **pp = &queue;

	if (!worker_started) {
		worker_quit = 0;
		if (pthread_create(&worker, NULL, worker_main, NULL)) {
			unikd_log("summon: cannot start the iptables worker");
			free(j->batch);
			free(j);
			return -1;
		}
		worker_started = 1;
	}
	while (*pp)
		pp = &(*pp)->next;
	*pp = j;
	pthread_cond_broadcast(&nat_cv);
	return 0;
}

/* Waits for j (queued with waited set) and frees it: its rc. */
static int wait_job(struct job *j)
{
	int rc;

	while (!j->done)
		pthread_cond_wait(&nat_cv, &nat_lock);
	rc = j->rc;
	free(j->batch);
	free(j);
	return rc;
}

/* A guard for dev in the batch unless it has one (nat_lock held): its slot
 * in guarded[] (taken now), -2 when there is one already, -1 when it cannot. */
static int guard_slot(const char *dev)
{
	size_t i;

	for (i = 0; i < 8 && guarded[i][0]; i++)
		if (!strcmp(guarded[i], dev))
			return -2;
	if (i == 8 || strlen(dev) >= sizeof(guarded[i]) || strchr(dev, '/') || dev[0] == '.')
		return -1;
	snprintf(guarded[i], sizeof(guarded[i]), "%s", dev);
	return (int)i;
}

/* The port's two rules, each as "-A" or "-D" lines of the nat table. */
static void rule_lines(struct strbuf *b, const struct fwd *f, const char *op)
{
	strbuf_addf(b, "%s %s -s 127.0.0.0/8 -d %s -p tcp --dport %d -j MASQUERADE\n", op,
		    CHAIN_POST, f->guest_ip, f->spec.guest_port);
	if (!strcmp(f->spec.host_ip, "0.0.0.0"))
		strbuf_addf(b, "%s %s -p tcp -m addrtype --dst-type LOCAL", op, CHAIN);
	else
		strbuf_addf(b, "%s %s -p tcp -d %s", op, CHAIN, f->spec.host_ip);
	strbuf_addf(b, " --dport %d -j DNAT --to-destination %s\n", f->spec.host_port, f->dnat);
}

static int same_port(const char *id, const struct portspec *a, const char *id2,
		     const struct portspec *b)
{
	return !strcmp(id, id2) && a->host_port == b->host_port && !strcmp(a->host_ip, b->host_ip);
}

/* A host address or a guest's, as iptables takes it: digits and dots. */
static int plain_ip(const char *ip)
{
	struct in_addr a;

	return inet_pton(AF_INET, ip, &a) == 1;
}

void summon_nat_add_async(const char *id, const struct portspec *p, const char *guest_ip,
			  unsigned exits_seen)
{
	struct strbuf b = STRBUF_INIT;
	struct job *j;
	struct fwd *f;
	char dev[32];
	int slot = -2;

	if (p->udp || strlen(id) >= sizeof(f->id) || strlen(guest_ip) >= sizeof(f->guest_ip) ||
	    !plain_ip(guest_ip) || !plain_ip(p->host_ip))
		return;
	pthread_mutex_lock(&nat_lock);
	for (f = fwds; f; f = f->next)
		if (same_port(f->id, &f->spec, id, p))
			goto out;
	/* a VM ended since the caller saw its guest up: maybe this one (its
	 * removal, queued after this, would come too early otherwise) */
	if (!nat_ok || atomic_load(&summon_vm_exits) != exits_seen ||
	    route_dev(guest_ip, dev, sizeof(dev)))
		goto out;
	slot = guard_slot(dev);
	if (slot == -1)
		goto out;
	for (struct fwd **pp = &gone; *pp;) { /* counted as the rule's from now on */
		struct fwd *g = *pp;

		if (same_port(g->id, &g->spec, id, p)) {
			*pp = g->next;
			free(g);
		} else {
			pp = &g->next;
		}
	}
	f = xcalloc(1, sizeof(*f));
	snprintf(f->id, sizeof(f->id), "%s", id);
	f->spec = *p;
	snprintf(f->guest_ip, sizeof(f->guest_ip), "%s", guest_ip);
	snprintf(f->dnat, sizeof(f->dnat), "%s:%d", guest_ip, p->guest_port);
	j = xcalloc(1, sizeof(*j));
	if (slot >= 0) {
		strbuf_addf(&b, "*raw\n-A %s -i %s -d 127.0.0.0/8 -j DROP\nCOMMIT\n", CHAIN, dev);
		snprintf(j->guard_dev, sizeof(j->guard_dev), "%s", dev);
	}
	strbuf_adds(&b, "*nat\n");
	rule_lines(&b, f, "-A");
	strbuf_adds(&b, "COMMIT\n");
	j->batch = strbuf_detach(&b);
	/* listed now: a removal queued from here on runs after this */
	f->next = fwds;
	fwds = f;
	if (enqueue(j)) {
		fwds = f->next;
		free(f);
		if (slot >= 0)
			guarded[slot][0] = '\0';
	}
out:
	pthread_mutex_unlock(&nat_lock);
}

#define FWD_MAX 16 /* the ports of one instance looked at */

struct target {
	char guest[16], port[16];
};

/* Adds the targets of id's entries in list to t (up to FWD_MAX). */
static void targets_of(const struct fwd *list, const char *id, struct target *t, size_t *n)
{
	for (const struct fwd *f = list; f; f = f->next)
		if (!strcmp(f->id, id) && *n < FWD_MAX) {
			snprintf(t[*n].guest, sizeof(t[*n].guest), "%s", f->guest_ip);
			snprintf(t[*n].port, sizeof(t[*n].port), "%d", f->spec.guest_port);
			(*n)++;
		}
}

/* Unlists id's rules (every instance's with NULL) and queues their
 * removal (nat_lock held): the job, NULL when there were none.  With
 * keep, the ports go to `gone` (still counted); else id's `gone` ones go
 * too (its VM ended). */
static struct job *unlist(const char *id, int wait, int keep)
{
	struct strbuf b = STRBUF_INIT;
	char ip[16] = "";
	struct job *j;

	for (struct fwd **pp = &gone; !keep && *pp;) {
		struct fwd *f = *pp;

		if (id && strcmp(f->id, id)) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		free(f);
	}
	for (struct fwd **pp = &fwds; *pp;) {
		struct fwd *f = *pp;

		if (id && strcmp(f->id, id)) {
			pp = &f->next;
			continue;
		}
		if (!b.len)
			strbuf_adds(&b, "*nat\n");
		rule_lines(&b, f, "-D");
		snprintf(ip, sizeof(ip), "%s", f->guest_ip);
		*pp = f->next;
		if (keep) {
			f->next = gone;
			gone = f;
		} else {
			free(f);
		}
	}
	if (!b.len)
		return NULL;
	strbuf_adds(&b, "COMMIT\n");
	j = xcalloc(1, sizeof(*j));
	j->batch = strbuf_detach(&b);
	j->waited = wait;
	if (id) { /* one VM: one address */
		snprintf(j->drain_id, sizeof(j->drain_id), "%s", id);
		snprintf(j->drain_ip, sizeof(j->drain_ip), "%s", ip);
	}
	return enqueue(j) ? NULL : j;
}

void summon_nat_drop(const char *id)
{
	pthread_mutex_lock(&nat_lock);
	unlist(id, 0, 0);
	pthread_mutex_unlock(&nat_lock);
}

int summon_nat_address_draining(const char *ip, const char *self)
{
	int busy = 0;

	pthread_mutex_lock(&nat_lock);
	for (struct job *j = running ? running : queue; j && !busy;
	     j = j == running ? queue : j->next)
		busy = j->drain_id[0] && !strcmp(j->drain_ip, ip) &&
		       (!self || strcmp(j->drain_id, self));
	pthread_mutex_unlock(&nat_lock);
	return busy;
}

int summon_nat_conns(const char *id, int remove, long long *last_end_ms)
{
	struct target t[FWD_MAX];
	struct job *j;
	size_t n = 0;
	int open = 0;

	pthread_mutex_lock(&nat_lock);
	if (remove) {
		j = unlist(id, 1, 1);
		if (j)
			wait_job(j); /* gone before they are counted */
	}
	targets_of(fwds, id, t, &n);
	targets_of(gone, id, t, &n);
	pthread_mutex_unlock(&nat_lock);
	for (size_t i = 0; i < n; i++)
		open += summon_ct_open(t[i].guest, t[i].port, last_end_ms);
	return open;
}

void summon_nat_fini(void)
{
	const char *rm_nat[] = { "iptables", "-w", "-t", "nat", "-D", "OUTPUT", "-j", CHAIN, NULL };
	const char *rm_post[] = { "iptables",	 "-w", "-t",	   "nat", "-D",
				  "POSTROUTING", "-j", CHAIN_POST, NULL };
	const char *rm_raw[] = { "iptables",   "-w", "-t",  "raw", "-D",
				 "PREROUTING", "-j", CHAIN, NULL };
	pthread_mutex_lock(&nat_lock);
	unlist(NULL, 0, 0);
	/* the queue runs out, then the worker ends */
	worker_quit = 1;
	pthread_cond_broadcast(&nat_cv);
	pthread_mutex_unlock(&nat_lock);
	if (worker_started) {
		pthread_join(worker, NULL);
		worker_started = 0;
	}
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
