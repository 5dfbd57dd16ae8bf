/* spt.c - the "spt" provider: unik-elf images run by bin/unik-spt as
 * ordinary host processes confined by seccomp (no KVM needed).  One
 * process per instance; see providers/common/monitor_process.h. */
#include "spt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "../../api/formats.h"
#include "../common/monitor_process.h"

static const struct monproc spt_monitor = { "spt", "unik-spt", "process" };
static const char *const spt_formats[] = { UNIK_FORMAT_UNIK_ELF, NULL };

/* spt needs Syscall User Dispatch (Linux 5.11+) and the monitor binary. */
static int spt_probe(const struct unik_config *cfg, struct unik_err *err)
{
	char *bin;

	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "this kernel lacks Syscall User Dispatch (Linux 5.11+): %s",
				    strerror(errno));
	bin = monproc_binary(&spt_monitor, cfg, err);
	if (!bin)
		return -1;
	free(bin);
	return 0;
}

static int spt_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	return monproc_check(&spt_monitor, spec, err);
}

static int spt_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	return monproc_start(&spt_monitor, spec, vm, err);
}

static int spt_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		    struct unik_err *err)
{
	return monproc_stop(&spt_monitor, spec, pid, timeout_s, err);
}

static int spt_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		       struct unik_err *err)
{
	return monproc_collect(&spt_monitor, spec, wait_status, out, err);
}

const struct unik_provider unik_provider_spt = {
	.name = "spt",
	.description = "unik-elf images as sandboxed host processes (unik-spt, seccomp; no KVM)",
	.auto_priority = 20, /* where hvt cannot run (no KVM) */
	.formats = spt_formats,
	.min_memory_mb = MONPROC_MIN_MEMORY_MB,
	.max_memory_mb = MONPROC_MAX_MEMORY_MB,
	.accels = NULL, /* a process: neither kvm nor tcg */
	.console_log = 1,
	.console_input = UNIK_CONSOLE_INPUT, /* unik-hvt/unik-spt --stdin */
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP),
	.volume_formats = monproc_volume_formats,
	.max_volumes = MONPROC_MAX_VOLUMES,
	.check = spt_check,
	.probe = spt_probe,
	.start = spt_start,
	.stop = spt_stop,
	.collect = spt_collect,
	.remove = NULL,
};
