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
 * networking, published ports, no restart policy, a pool of 1). */
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
/* At daemon start, after instances_reconcile: listens again for every
 * summoned instance; and starts the idle timer. */
void summon_reconcile(struct unikd *d);
/* At daemon stop: closes everything (the VMs are left as they are). */
void summon_fini(struct unikd *d);

#endif
