/* monitor_process.h - what the hvt and spt providers share: one process of
 * our own monitor (bin/unik-hvt or bin/unik-spt) per instance.
 *
 * The monitor runs in its own session with the console (its stdout and
 * stderr) appended to spec->log_path, started through provider_spawn (its
 * pid is recorded before it execs).  As root, it drops to the user
 * "<name>.user" of the configuration, by default `unik` (MONPROC_USER);
 * "root" keeps root.  It writes the guest's exit status to
 * <spec->dir>/exit-status, or "monitor-error: <reason>" when it failed or
 * had to stop the guest, so collect() tells the two apart for every exit,
 * also for an instance adopted after a daemon restart (no wait status).
 */
#ifndef UNIK_PROVIDER_MONITOR_PROCESS_H
#define UNIK_PROVIDER_MONITOR_PROCESS_H

#include "../provider.h"

#define MONPROC_USER "unik" /* the default user of the monitors under a root daemon */
#define MONPROC_STATUS_FILE "exit-status"
#define MONPROC_ERROR_KEY "monitor-error: " /* a status file line: the monitor failed */
/* Guest memory the monitors take (abi/hvt_abi.h HVT_MEM_MIN, HVT_MEM_MAX). */
#define MONPROC_MIN_MEMORY_MB 2
#define MONPROC_MAX_MEMORY_MB 3072
/* What the runtime takes (runtime/core/runtime.h MAX_ARGS): argv[0] and
 * 255 arguments, 256 environment entries; it would drop the rest. */
#define MONPROC_MAX_ARGS 255
#define MONPROC_MAX_ENV 256
/* Volumes: raw disk files, one --block option each, in disk order. */
#define MONPROC_MAX_VOLUMES 8
extern const char *const monproc_volume_formats[]; /* { "raw", NULL } */

/* One monitor: its name ("hvt"), binary name ("unik-hvt"), and what to
 * report as the accelerator ("kvm", "process"). */
struct monproc {
	const char *name;
	const char *binary;
	const char *accel;
};

/* The monitor binary: config "<name>.monitor", else next to the running
 * executable, else PATH.  A new string, or NULL (err set) when missing. */
char *monproc_binary(const struct monproc *m, const struct unik_config *cfg, struct unik_err *err);
/* The user the monitor drops to: NULL to stay as we are (not root, or
 * "<name>.user" = root), else a borrowed name. */
const char *monproc_user(const struct monproc *m, const struct unik_config *cfg);
/* Checks a run before it is made: the boot command line (arguments and
 * environment) fits the monitor's, the runtime takes that many entries,
 * and the monitor's user exists.  0, or -1 with err (INVALID, or
 * UNAVAILABLE naming the fix for a missing user). */
int monproc_check(const struct monproc *m, const struct unik_run_spec *spec, struct unik_err *err);
/* Starts the monitor for spec; fills vm->pid.  0, or -1 with err (also when
 * the monitor cannot be executed). */
int monproc_start(const struct monproc *m, const struct unik_run_spec *spec, struct unik_vm *vm,
		  struct unik_err *err);
/* SIGTERM, up to timeout_s seconds, then SIGKILL.  Works for processes that
 * are not our children (pidfd).  0, or -1 with err. */
int monproc_stop(const struct monproc *m, const struct unik_run_spec *spec, pid_t pid,
		 int timeout_s, struct unik_err *err);
/* The guest's status and a message, from the status file, wait_status
 * (-1 when unknown) and the monitor's last words in the log.  A monitor
 * failure has exit_code -1 and "failed: unik-hvt: <reason>".  0. */
int monproc_collect(const struct monproc *m, const struct unik_run_spec *spec, int wait_status,
		    struct unik_exit *out, struct unik_err *err);

#endif
