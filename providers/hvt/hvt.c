/* hvt.c - the "hvt" provider: unik-elf images in bin/unik-hvt, our own
 * minimal KVM monitor (one process, one VM, one vCPU per instance).
 * docs/monitor.md describes the monitor, docs/security.md its confinement. */
#include "hvt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../common/monitor_process.h"

static const struct monproc hvt_monitor = { "hvt", "unik-hvt", "kvm" };
static const char *const hvt_formats[] = { UNIK_FORMAT_UNIK_ELF, NULL };
static const char *const hvt_accels[] = { "kvm", NULL }; /* always KVM: tcg is qemu's */

int hvt_kvm_usable(struct unik_err *err)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;

	if (kvm < 0)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "/dev/kvm: %s", strerror(errno));
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		close(kvm);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "/dev/kvm: unsupported API version");
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		int e = errno;

		close(kvm);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "/dev/kvm: cannot create a VM: %s",
				    strerror(e));
	}
	close(vm);
	close(kvm);
	return 0;
}

static int hvt_probe(const struct unik_config *cfg, struct unik_err *err)
{
	char *bin;

	if (hvt_kvm_usable(err) < 0)
		return -1;
	bin = monproc_binary(&hvt_monitor, cfg, err);
	if (!bin)
		return -1;
	free(bin);
	return 0;
}

static int hvt_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	return monproc_check(&hvt_monitor, spec, err);
}

static int hvt_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	return monproc_start(&hvt_monitor, spec, vm, err);
}

static int hvt_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		    struct unik_err *err)
{
	return monproc_stop(&hvt_monitor, spec, pid, timeout_s, err);
}

static int hvt_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		       struct unik_err *err)
{
	return monproc_collect(&hvt_monitor, spec, wait_status, out, err);
}

const struct unik_provider unik_provider_hvt = {
	.name = "hvt",
	.description = "unik-elf images in unik-hvt, a minimal KVM monitor (ms boots, ~1.5 MB)",
	.auto_priority = 30, /* first: KVM, millisecond boots */
	.formats = hvt_formats,
	.min_memory_mb = MONPROC_MIN_MEMORY_MB,
	.max_memory_mb = MONPROC_MAX_MEMORY_MB,
	.accels = hvt_accels,
	.console_log = 1,
	.console_input = UNIK_CONSOLE_INPUT, /* unik-hvt/unik-spt --stdin */
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP),
	.volume_formats = monproc_volume_formats,
	.max_volumes = MONPROC_MAX_VOLUMES,
	.check = hvt_check,
	.probe = hvt_probe,
	.start = hvt_start,
	.stop = hvt_stop,
	.collect = hvt_collect,
	.remove = NULL,
};
