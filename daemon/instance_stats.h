/* instance_stats.h - CPU and memory of a running instance's VM, read from
 * the host process that is the VM (providers without a status() op: their
 * VM is the process start() returned, see providers/provider.h). */
#ifndef UNIKD_INSTANCE_STATS_H
#define UNIKD_INSTANCE_STATS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/error.h"

struct unikd;

/* One process's counters: CPU time (user + system, /proc/PID/stat) and
 * resident memory (VmRSS, /proc/PID/status).  0, or -1 with err. */
struct proc_sample {
	int64_t cpu_ns;
	int64_t rss_bytes;
	int threads;
	int64_t at_ns; /* CLOCK_MONOTONIC when taken */
};
int proc_sample_read(pid_t pid, struct proc_sample *out, struct unik_err *err);

/* Samples instance `id`'s VM twice, `interval_ms` apart (the CPU
 * percentage is over that interval; may pass 100 with several threads).
 * *out: a NEW InstanceStats object.  Errors: NOT_FOUND, CONFLICT (not
 * running), UNSUPPORTED (the provider's VM is no host process here). */
int instance_stats(struct unikd *d, const char *id, int interval_ms, json_t **out,
		   struct unik_err *err);

#endif
