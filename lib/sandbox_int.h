/* sandbox_int.h - what lib/sandbox*.c share; not for other callers. */
#ifndef UNIK_SANDBOX_INT_H
#define UNIK_SANDBOX_INT_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "sandbox.h"

/* What the processes of one command use at a moment. */
struct sandbox_usage {
	long long cpu_ms; /* CPU time, their reaped children's included */
	long long tasks; /* processes and threads */
};

#define SANDBOX_MAX_LIMITS 5
#define SANDBOX_NO_BWRAP                                                                           \
	"builds run sandboxed by bubblewrap, which is not installed (apt-get install bubblewrap; " \
	"or set build.sandbox = none to run builds unconfined)"

/* What one command runs with, made before fork() (sandbox_cmd.c). */
struct sandbox_cmd {
	int bwrap; /* under bwrap (else directly) */
	char *exe; /* the program to exec: bwrap, or the tool */
	struct strv argv, env;
	int res[SANDBOX_MAX_LIMITS]; /* RLIMIT_* to set, and their values */
	struct rlimit lim[SANDBOX_MAX_LIMITS];
	int nlim;
	const char *host_cwd; /* where the child starts */
};

/* Makes the command line, environment and limits of argv in sb, after
 * handing the build folder to the build user (see sandbox_exec()). */
int sandbox_cmd_prepare(struct sandbox *sb, struct sandbox_cmd *c, const char *const *argv,
			const char *cwd, const struct strv *env, const char *const *writable,
			struct unik_err *err);
void sandbox_cmd_release(struct sandbox_cmd *c);

/* Monotonic milliseconds. */
int64_t sandbox_now_ms(void);

/* Ends the build with a limit's message (the first stop wins).  Only the
 * build's own thread calls it. */
void sandbox_trip(struct sandbox *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "512 MB", "3 KB", "100 bytes". */
void sandbox_format_size(long long bytes, char *buf, size_t size);

/* Sums the processes in pid namespace `pidns` (when non-zero) or else in
 * session `sid`.  0, or -1 when /proc cannot be read. */
int sandbox_scan(unsigned long long pidns, pid_t sid, struct sandbox_usage *u);
/* Processes and threads whose owner is `uid` (RLIMIT_NPROC counts them). */
long long sandbox_user_tasks(uid_t uid);
/* The bytes the tree under the open folder `fd` takes (each entry at least
 * 4 KB); when `chown_uid` is not -1 it also hands every entry to that uid
 * and gid.  0, or -1 with err (UNIK_E_CONFLICT: it changed meanwhile). */
int sandbox_tree_usage(int fd, long long chown_uid, long long chown_gid, long long *bytes,
		       struct unik_err *err);

#endif
