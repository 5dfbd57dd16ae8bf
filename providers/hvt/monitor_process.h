/* monitor_process.h - what the hvt and spt providers share: one process of
 * our own monitor (bin/unik-hvt or bin/unik-spt) per instance.
 *
 * The monitor runs in its own session with the console (its stdout and
 * stderr) appended to spec->log_path.  Its exit status is the guest's; it
 * also writes that status to <spec->dir>/exit-status, so an instance
 * adopted after a daemon restart (no wait status) still gets it.  Exit 255
 * means the monitor failed or stopped the guest; the reason is the last
 * "unik-hvt:"/"unik-spt:" line of the log.
 */
#ifndef UNIK_PROVIDER_MONITOR_PROCESS_H
#define UNIK_PROVIDER_MONITOR_PROCESS_H

#include "../provider.h"

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
/* Starts the monitor for spec; fills vm->pid.  0, or -1 with err (also when
 * the monitor cannot be executed). */
int monproc_start(const struct monproc *m, const struct unik_run_spec *spec, struct unik_vm *vm,
		  struct unik_err *err);
/* SIGTERM, up to timeout_s seconds, then SIGKILL.  Works for processes that
 * are not our children (pidfd).  0, or -1 with err. */
int monproc_stop(const struct monproc *m, const struct unik_run_spec *spec, pid_t pid,
		 int timeout_s, struct unik_err *err);
/* The guest's status from wait_status (or, when -1, from the status file),
 * and a message.  0, or -1 with err. */
int monproc_collect(const struct monproc *m, const struct unik_run_spec *spec, int wait_status,
		    struct unik_exit *out, struct unik_err *err);

#endif
