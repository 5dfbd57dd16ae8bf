/* summon.h - summoned instances (`unik run --summon`, docs/summon.md).
 *
 * A summoned instance's published ports listen in unikd whether or not
 * its VM runs.  A connection to one while the VM is down boots it
 * (instance_start: the same path as `unik start`, so every provider) and
 * is held, then relayed the moment the guest's port accepts; while it
 * runs connections go straight through.  After `idle_timeout` without an
 * open connection the VM is stopped (instance_stop: the same path as
 * `unik stop`) and the next connection boots it again.  The listeners go
 * with the record (`unik rm`); they are opened again at daemon start.
 *
 * Locks: a summoned instance's own lock may be held while taking d->lock
 * (through instance_*), never the other way round. */
#ifndef UNIKD_SUMMON_H
#define UNIKD_SUMMON_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;

/* How long a held connection waits for the guest's port to accept. */
#define SUMMON_LISTEN_WAIT_MS 10000

/* Checks a run request's summon settings against the daemon (bridge
 * networking, published ports, no restart policy, no volumes in a pool). */
int summon_check(struct unikd *d, const struct unik_run_request *rq, struct unik_err *err);
/* Binds and listens on the published ports of `in` (CONFLICT when one is
 * taken) and serves them from now on. */
int summon_open(struct unikd *d, const struct unik_instance *in, struct unik_err *err);
/* Closes the listeners of `id` and every connection relayed for it (no-op
 * for an instance that is not summoned). */
void summon_close(struct unikd *d, const char *id);
/* With hold 1, connections to `id` no longer boot it (refused at once)
 * until it is released with hold 0: for a removal in progress. */
void summon_hold(struct unikd *d, const char *id, int hold);
/* A connection goes to the pool's member with the fewest; another member is
 * booted when each one up has this many or more (docs/summon.md). */
#define SUMMON_BUSY_CONNS 4

/* summon_pool.c.  The other members of in's pool (`--max N`, N > 1):
 * records copied from `in` (just stored) without its ports, named
 * NAME-2..NAME-N, created, not booted; summon.pool names `in`. */
int summon_pool_create(struct unikd *d, const struct unik_instance *in, struct unik_err *err);
/* With d->lock held: CONFLICT when `in` is a member of a pool that exists
 * (it goes with its pool), else 0. */
int summon_pool_member_locked(struct unikd *d, const struct unik_instance *in,
			      struct unik_err *err);
/* Removes the members of the pool of `id` (removed just now). */
void summon_pool_remove(struct unikd *d, const char *id);
/* The DNS responder's (dns.h): 0 with the host address of the first
 * published port of the summoned instance called `name` (any case), whose
 * boot starts now when `boot` (a member of its pool, as for a connection);
 * -1 when there is no such instance. */
int summon_dns_lookup(struct unikd *d, const char *name, int boot, char *ip, size_t ip_size);
/* At daemon start, after instances_reconcile: listens again for every
 * summoned instance; and starts the idle timer. */
void summon_reconcile(struct unikd *d);
/* The VM of instance `id` ended (instance_exit.c, d->lock held: takes
 * only summon_nat.c's leaf lock): its kernel forwarding is removed, and the
 * UDP ports' gates look again at their instance's state before the next
 * datagram goes straight through. */
void summon_note_exit(const char *id);
/* At daemon stop: closes everything (the VMs are left as they are). */
void summon_fini(struct unikd *d);

#endif
