/* run.h - run a build tool (a compiler, make) and stream its output.
 *
 * Every tool runs in the build's sandbox (sandbox.h), with its limits, and
 * is killed when the build is cancelled.  The child gets stdin from
 * /dev/null and one pipe for stdout and stderr together; every output line
 * (without its newline) goes to the caller's callback as soon as it is
 * complete.  The caller must not reap children it did not start itself (no
 * waitpid(-1) elsewhere in the process).
 */
#ifndef UNIK_RUN_H
#define UNIK_RUN_H

#include "error.h"
#include "sandbox.h"
#include "strv.h"

/* One output line; the same shape as unik_log_fn in compilers/compiler.h. */
typedef void (*run_line_fn)(void *ctx, const char *line);

struct run_opts {
	const char *cwd; /* working directory (in the build folder), or NULL: the folder */
	const struct strv *env; /* "K=V" entries for its (otherwise clean) environment */
	run_line_fn log; /* may be NULL: output is then only kept for errors */
	void *log_ctx;
	struct sandbox *sandbox; /* required: the build's sandbox */
	/* folders inside the build folder it may write, NULL-terminated; the
	 * rest of the build folder is read-only to it (NULL: all of it) */
	const char *const *writable;
};

/* Runs argv[0] (searched in PATH) with `argv` in opts->sandbox and waits
 * for it.  Returns 0 when it exits with status 0.  Otherwise returns -1
 * with an err naming the command, its exit status or signal and the last
 * lines it printed: UNIK_E_UNAVAILABLE when it could not be started, the
 * sandbox's own error when the build was stopped (a limit, a cancel),
 * UNIK_E_INTERNAL else. */
int run_command(const char *const *argv, const struct run_opts *opts, struct unik_err *err);

/* The path of program `name` as execvp() would find it (`name` itself when
 * it contains a '/'), as a new string; NULL when there is none. */
char *run_which(const char *name);

#endif
