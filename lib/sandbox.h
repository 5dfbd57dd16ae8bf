/* sandbox.h - the sandbox every build tool runs in.
 *
 * A build's tools (make, cc, as, ld, cp) see its folder read-write and
 * nothing else of the host but the toolchain, read-only.  With
 * build.sandbox = bwrap (the default) each command runs under bubblewrap
 * in new user, mount, pid, network, IPC and UTS namespaces, without
 * capabilities, as an unprivileged user (when unikd is root: build.user,
 * default unik-build, else nobody; otherwise unikd's own user).  With
 * build.sandbox = none the tools run directly, as that user.
 *
 * Either way the build has budgets (struct sandbox_limits) for the whole
 * build, not per command, and a cancel switch that any thread may pull;
 * then the command's whole process tree is killed at once.  If unikd dies
 * the tree dies with it (parent-death signal, bwrap --die-with-parent and
 * the end of the pid namespace).  docs/security.md "Builds" explains it.
 *
 * run_command() (run.h) is the only way in: it refuses to run without one.
 */
#ifndef UNIK_SANDBOX_H
#define UNIK_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "strbuf.h"
#include "strv.h"

enum sandbox_mode { SANDBOX_BWRAP, SANDBOX_NONE };

/* Budgets of one build; each one that trips ends it with its own message. */
struct sandbox_limits {
	long long cpu_seconds; /* CPU time of all its processes together */
	long long memory; /* bytes of address space per process (RLIMIT_AS) */
	long long processes; /* processes and threads at once */
	long long output; /* bytes of output (the build log; a line costs 64 more) */
	long long file_size; /* bytes per file written (RLIMIT_FSIZE) */
	long long disk; /* bytes by which the build folder may grow */
	long long tmp_size; /* bytes of the private /tmp (a tmpfs; bwrap only) */
	long long timeout; /* seconds of wall-clock time */
};

/* How builds are sandboxed here: from the configuration, once. */
struct sandbox_conf {
	enum sandbox_mode mode;
	char *bwrap; /* path of bwrap; NULL when it is not installed */
	int drop; /* 1: switch to uid/gid first (unikd runs as root) */
	uid_t uid;
	gid_t gid;
	char *user; /* the user's name, for messages */
	char *note; /* a remark for the start-up log (a fallback taken), or NULL */
	struct sandbox_limits lim;
};

/* Reads the [build] keys (docs/config.md).  0, or -1 with err for a bad
 * value or an unknown build.user. */
int sandbox_conf_load(struct sandbox_conf *sc, const struct unik_config *cfg, struct unik_err *err);
void sandbox_conf_release(struct sandbox_conf *sc);
/* One line for the start-up log. */
void sandbox_conf_describe(const struct sandbox_conf *sc, struct strbuf *out);
/* Checks that the sandbox can start here (runs `true` in it).  0, or -1
 * with the cause (UNIK_E_UNAVAILABLE). */
int sandbox_probe(const struct sandbox_conf *sc, struct unik_err *err);

/* Why a build was stopped. */
enum sandbox_stop { SANDBOX_RUNNING, SANDBOX_CANCELLED, SANDBOX_SHUTDOWN, SANDBOX_LIMIT };

/* One build's sandbox.  Fields are private to lib/sandbox*.c. */
struct sandbox {
	const struct sandbox_conf *conf;
	char *dir; /* the build folder (real path), read-write inside */
	struct strv ro; /* more host folders the tools may read */
	int cancel_rd, cancel_wr; /* a pipe: readable once stopped */
	int stop; /* enum sandbox_stop; atomic */
	char why[256]; /* the message of the limit that tripped */
	int saw_oom, saw_fsize, saw_nproc; /* tool output hinting at a limit */
	int64_t deadline_ms; /* monotonic end of the wall-clock budget */
	long long cpu_ms; /* CPU time of the commands that have ended */
	long long output; /* bytes printed so far */
	long long disk_base; /* bytes in the folder when the build began */
	int disk_misses; /* disk measurements in a row spoilt by changes */
};

/* Opens a build's sandbox over `dir` (which must exist and hold the
 * sources, the output and scratch folders): hands the folder to the build
 * user and starts the clock.  0, or -1 with err (bwrap is not installed,
 * the build user cannot reach the folder, ...). */
int sandbox_open(struct sandbox *sb, const struct sandbox_conf *sc, const char *dir,
		 struct unik_err *err);
void sandbox_close(struct sandbox *sb);
/* Lets the tools read the host folder `path` (read-only; a compiler's own
 * runtime files, say).  Call before the commands that need it. */
void sandbox_allow_read(struct sandbox *sb, const char *path);
/* Stops the build (why: SANDBOX_CANCELLED or SANDBOX_SHUTDOWN): a running
 * command is killed at once, later ones do not start.  Any thread. */
void sandbox_cancel(struct sandbox *sb, enum sandbox_stop why);
/* 0 while the build may go on; -1 with the reason once it was stopped or
 * its wall-clock budget is spent. */
int sandbox_check(struct sandbox *sb, struct unik_err *err);

/* Runs argv[0] (found in PATH) in the sandbox with its output (stdout and
 * stderr together) handed to `out` as it comes; stdin is /dev/null.
 * `cwd` (inside the build folder; NULL: the folder) and `env` ("K=V" added
 * to a clean environment, may be NULL) as given.  Under bwrap only the
 * folders in `writable` (inside the build folder, NULL-terminated) may be
 * written, the rest of the build folder is read-only; NULL: all of it.  Returns 0 when it ran to
 * its end, with its wait status in *status (under bwrap a signal shows as
 * exit status 128 + the signal); -1 with err when it could not start
 * (UNIK_E_UNAVAILABLE) or was stopped (a limit, a cancel). */
typedef void (*sandbox_out_fn)(void *ctx, const char *data, size_t len);
int sandbox_exec(struct sandbox *sb, const char *const *argv, const char *cwd,
		 const struct strv *env, const char *const *writable, sandbox_out_fn out, void *ctx,
		 int *status, struct unik_err *err);
/* A hint for the message of a failed command when its output suggests a
 * limit the kernel enforces (memory, file size, processes) was the cause;
 * "" otherwise. */
const char *sandbox_failure_hint(const struct sandbox *sb, char *buf, size_t size);
/* Notes one output line, or the signal that ended a command (for
 * sandbox_failure_hint). */
void sandbox_note_line(struct sandbox *sb, const char *line);
void sandbox_note_signal(struct sandbox *sb, int sig);

#endif
