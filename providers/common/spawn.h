/* spawn.h - starting a VM's host process for the process-based providers
 * (hvt, spt, qemu), so that a daemon killed at any moment leaves no VM it
 * does not know about.
 *
 * The child makes its own session, points stdin at /dev/null and stdout and
 * stderr at a file of the instance (or one each), then waits on a pipe: it execs only
 * after spec->spawned (the daemon saving its pid) returned 0 and the parent
 * said "go".  If the parent dies first, the pipe ends and the child exits
 * without running anything.
 */
#ifndef UNIK_PROVIDERS_SPAWN_H
#define UNIK_PROVIDERS_SPAWN_H

#include <sys/types.h>

#include "../provider.h"

struct spawn_opts {
	char *const *argv; /* argv[0] is the binary's path */
	const char *out_path; /* stdout (and stderr, unless err_path) goes there */
	const char *err_path; /* stderr goes there, or NULL */
	int out_append; /* 1: O_APPEND, 0: O_TRUNC */
	const char *cwd; /* the child's working folder, or NULL */
	int in_fd; /* > 0: the child's stdin; 0: /dev/null */
};

/* Forks, tells spec->spawned, lets the child exec.  0 with *pid, or -1 with
 * err: UNAVAILABLE when the binary cannot be executed (nothing is left
 * running), or spawned's error. */
int provider_spawn(const struct unik_run_spec *spec, const struct spawn_opts *o, pid_t *pid,
		   struct unik_err *err);

#endif
