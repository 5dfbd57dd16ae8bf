/* instances.h - the lifecycle of instances: start, stop, exit, removal,
 * and reconciliation at daemon start.  Handlers call these; they keep the
 * store, the provider and the supervisor in step.  No provider call is made
 * with d->lock held (claims.h), but at start-up (instances_reconcile). */
#ifndef UNIKD_INSTANCES_H
#define UNIKD_INSTANCES_H

#include "../api/types.h"
#include "../lib/error.h"

struct unikd;
struct unik_provider;
struct claim;

/* Folder and console log of an instance (caller frees). */
char *instance_dir(struct unikd *d, const char *id);
char *instance_log_path(struct unikd *d, const char *id);
/* The second console log (the guest's standard error), beside the first. */
char *instance_err_path(struct unikd *d, const char *id);

/* The provider of a run that names none: the configured default, or with
 * "auto" the usable one of the highest auto_priority that boots `format`
 * (providers/dispatch.h).  NULL with err when none can. */
const struct unik_provider *instance_default_provider(struct unikd *d, const char *format,
						      struct unik_err *err);

/* Creates the record of a new instance from a run request (validates the
 * image, provider and name) and starts it unless rq->start is 0.  `out`
 * gets the instance as stored. */
int instance_create(struct unikd *d, const struct unik_run_request *rq, struct unik_instance *out,
		    struct unik_err *err);
/* Starts a created or exited instance; CONFLICT if it is running (or
 * starting). */
int instance_start(struct unikd *d, const char *id, struct unik_instance *out,
		   struct unik_err *err);
/* The start of a restart policy (restarts.h): as instance_start, but only
 * of an exited instance that its user did not stop (else CONFLICT), and
 * counted in its restart_count. */
int instance_start_restart(struct unikd *d, const char *id, struct unik_instance *out,
			   struct unik_err *err);
/* Stops a running instance (graceful, then forced after timeout_s) and waits
 * until it has exited.  A stopped instance is left as it is; one that is
 * starting is stopped once its start is done. */
int instance_stop(struct unikd *d, const char *id, int timeout_s, struct unik_instance *out,
		  struct unik_err *err);
/* Removes an instance; CONFLICT while running unless force (then stops it).
 * Any process still carrying its id is ended before the record goes.  The
 * first instance of a summon pool takes its other members with it; one of
 * those alone is refused (CONFLICT) while its pool exists. */
int instance_remove(struct unikd *d, const char *id, int force, struct unik_err *err);
/* instance_remove(force) of a member of a summon pool, whose first
 * instance (its pool) is being removed. */
int instance_remove_member(struct unikd *d, const char *id, struct unik_err *err);
/* The folder of a new record `id` and its two empty console logs. */
int instance_make_dir(struct unikd *d, const char *id, struct unik_err *err);
/* Blocks until the instance is no longer running; `out` holds its final state. */
int instance_wait(struct unikd *d, const char *id, struct unik_instance *out, struct unik_err *err);

/* The supervisor's callback: a VM process ended (pid 0: a VM without one,
 * whose provider says it ended).  The exit is collected at once, or by the
 * holder of the instance's claim when someone works on it. */
void instance_exited(void *d, const char *id, pid_t pid, int wait_status);
/* Records the end of `in`'s VM with d->lock held throughout, provider
 * call included: the provider's collect() (wait_status -1 when unknown),
 * network released, saved as exited.  For reconciliation only. */
void instance_mark_exited_locked(struct unikd *d, struct unik_instance *in, int wait_status);
/* Lets go of claim c (d->lock held): first the exits noted on it are
 * collected (d->lock released around the provider's collect()) and
 * recorded.  instance_exit.c; used by instances.c. */
void instance_claim_release(struct unikd *d, struct claim *c);

/* At start (reconcile.c), before requests are served: every instance whose
 * VM may exist is settled.  Running ones whose VM lives are adopted (pid
 * and instance id must both match); one the daemon was stopping is
 * stopped; one it was starting has its VM ended (the start never
 * completed: no client was told it runs) and is marked exited with why;
 * the rest are collected as exited.  Instance folders without a record
 * (a removal cut short) are removed, with any process still carrying
 * their id. */
int instances_reconcile(struct unikd *d, struct unik_err *err);

/* Asks the provider of every instance that runs with no host process to
 * watch (pid 0: e.g. a libvirt domain whose qemu ended before its pid was
 * seen, or that runs on another host) whether it still runs, and collects
 * the ones that ended.  unikd's main thread calls it every few seconds. */
void instances_poll_unwatched(struct unikd *d);

#endif
