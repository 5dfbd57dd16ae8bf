/* claims.h - who works on an instance's VM right now.
 *
 * Every provider call for an instance (start, stop, collect, remove,
 * status) runs without d->lock, under the instance's claim: one holder at
 * a time, so the calls for one instance never overlap while those for
 * different instances run side by side.  Others wait for the claim (on
 * d->changed) or pass.  The record says what is going on (starting,
 * stopping) for clients and for a restarted daemon; claims live in memory
 * only, since no provider call outlives the daemon.
 *
 * The word that a VM ended (the supervisor, the poller of VMs without a
 * host process) may come while another holds the claim: it is noted on the
 * claim, and the holder collects that exit before letting go
 * (instance_claim_release, instance_exit.c).
 *
 * All functions need d->lock held.
 */
#ifndef UNIKD_CLAIMS_H
#define UNIKD_CLAIMS_H

#include <sys/types.h>

struct unikd;

struct claim {
	char *id; /* the instance's */
	int exit_noted; /* its VM ended: exit_pid's process, with exit_status */
	pid_t exit_pid;
	int exit_status; /* from waitpid, or -1 */
	struct claim *next;
};

/* The claim on `id`, or NULL when nobody holds one. */
struct claim *claim_find(struct unikd *d, const char *id);
/* Takes the claim on `id`, waiting (d->lock released meanwhile) while
 * someone else holds it.  Whatever was read before must be read again. */
struct claim *claim_take(struct unikd *d, const char *id);
/* Takes the claim on `id` if nobody holds it; else NULL. */
struct claim *claim_try(struct unikd *d, const char *id);
/* Notes that the VM ended (the last word wins). */
void claim_note_exit(struct claim *c, pid_t pid, int wait_status);
/* Lets go of c and wakes its waiters; a noted exit is dropped with it. */
void claim_drop(struct unikd *d, struct claim *c);

#endif
