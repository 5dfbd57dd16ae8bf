/* restarts.h - the daemon applies instances' restart policies
 * (api/restart.h) when their VMs end by themselves.
 *
 * When the end of a VM is recorded (instance_exit.c, d->lock held),
 * restarts_consider_locked() decides from the policy, the exit code, the
 * restarts so far and the "stopped by the user" mark (set by a stop or
 * kill, cleared by a start) whether it starts again, and after what
 * backoff: 100 ms, doubled after each restart whose run lasted less than
 * 10 s, at most 10 s; a run of 10 s or more starts the backoff over.  One
 * thread starts the instances when their backoff is over, each with a
 * "restart" event.  At daemon start, restarts_reconcile() schedules the
 * exited instances whose policy still wants them running (they ended
 * while no daemon was there, or waited for their backoff when it stopped). */
#ifndef UNIKD_RESTARTS_H
#define UNIKD_RESTARTS_H

struct unikd;
struct unik_instance;

#define RESTART_BACKOFF_FIRST_MS 100
#define RESTART_BACKOFF_MAX_MS 10000
#define RESTART_RESET_UPTIME_S 10

/* `in` has just been recorded as exited (its fields updated, not saved
 * yet; d->lock held): sets in->restart_delay_ms and schedules its start
 * if its policy wants one.  Nothing while the daemon shuts down. */
void restarts_consider_locked(struct unikd *d, struct unik_instance *in);
/* After instances_reconcile (no lock held). */
void restarts_reconcile(struct unikd *d);
/* Ends the thread; pending restarts are dropped (the next daemon's
 * reconcile takes them up). */
void restarts_stop(void);

#endif
