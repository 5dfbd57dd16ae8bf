/* host_run.h - starting a host program and waiting for it, bounded: the one
 * process runner under run_host_tool (trusted tools on the daemon's files),
 * tool_run (a toolstack's command: xl, VBoxManage) and unik-runtime's hooks.
 * Builds, which run user code, use run_command (run.h) in their sandbox. */
#ifndef UNIK_LIB_HOST_RUN_H
#define UNIK_LIB_HOST_RUN_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

struct host_run {
	const char *const *argv;
	const char *path; /* the program (NULL: argv[0]), searched in PATH unless it has a '/' */
	const char *cwd; /* NULL: this process's */
	char *const *env; /* NULL: this process's environment */
	const char *input; /* its stdin: these bytes, then EOF (NULL: /dev/null) */
	size_t input_len;
	int timeout_ms; /* killed (SIGKILL) after this long; 0: no limit */
	struct strbuf *out; /* its stdout and stderr together; NULL: discarded */
	size_t out_max; /* at most this much of it kept in *out (0: 64 KiB) */
};

struct host_run_status {
	int exited; /* it exited: code holds its status */
	int code; /* the exit status, or the signal that ended it */
	int timed_out; /* killed after timeout_ms */
	int not_run; /* exit status 127: not installed, or not executable */
};

/* Runs r->argv and reaps it.  0 once it has ended (however it ended: see *st);
 * -1 (INTERNAL) when it could not be started at all (pipe, fork). */
int host_run(const struct host_run *r, struct host_run_status *st, struct unik_err *err);

/* Whether *st is a clean exit (status 0). */
static inline int host_run_ok(const struct host_run_status *st)
{
	return st->exited && st->code == 0;
}

#endif
