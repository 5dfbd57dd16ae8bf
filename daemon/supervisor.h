/* supervisor.h - watches VM processes and reports their end.
 *
 * One thread waits (epoll) on a pidfd per running VM.  Children of this
 * daemon are reaped with waitpid; processes adopted after a restart are not
 * our children, so their wait status is unknown (-1) and the provider works
 * out the exit status from what the VM left behind.
 */
#ifndef UNIKD_SUPERVISOR_H
#define UNIKD_SUPERVISOR_H

#include <sys/types.h>

#include "../lib/error.h"

struct supervisor;

/* Called from the supervisor thread when `pid` of instance `id` ended. */
typedef void (*supervisor_exit_fn)(void *ctx, const char *id, pid_t pid, int wait_status);

int supervisor_start(struct supervisor **out, supervisor_exit_fn fn, void *ctx,
		     struct unik_err *err);
void supervisor_stop(struct supervisor *sup);
/* Starts watching; if the process is already gone, fn is called soon. */
int supervisor_watch(struct supervisor *sup, const char *id, pid_t pid, int is_child,
		     struct unik_err *err);
/* 1 if `pid` is alive and its command line or one of its open files (the
 * console log in the instance's folder) mentions `id`: guards against pid
 * reuse when adopting VMs after a restart. */
int supervisor_pid_is_vm(pid_t pid, const char *id);
/* Finds every process that carries instance `id` the way VM processes do
 * (providers/provider.h): it leads its own session and names `id` on its
 * command line or in the path of its stdout or stderr.  Each is killed
 * (SIGKILL through a pidfd, checked again with the pidfd held) and waited
 * for, up to 5 s.  Returns how many were ended; *first (may be NULL) gets
 * the pid of one, or 0.  For what a daemon killed at the wrong moment may
 * have left: an interrupted start, an instance being removed. */
int supervisor_end_vms(const char *id, pid_t *first);

#endif
