/* qemu.h - internals of the "qemu" provider, shared by its files.
 *
 * One qemu-system-x86_64 process per instance, machine microvm.  Files in
 * the instance folder:
 *   qmp.sock   QMP (graceful stop: system_powerdown)
 *   qemu.pid   written by qemu
 *   qemu.log   qemu's own stdout/stderr
 *   status     the guest's second serial port: "unik-exit-status=<n>"
 *   killed     written by stop() when it had to kill qemu: the signal number
 * The console (first serial port) is appended to spec->log_path.  Each
 * volume is a -drive with a virtio-blk-device on it, in disk order (the
 * first device takes the highest virtio-mmio transport, whose
 * virtio_mmio.device= word QEMU writes first on the kernel command line);
 * with qemu.disk_bus = nvme the machine is pc and each volume an NVMe
 * controller, in slot order.
 */
#ifndef UNIK_PROVIDER_QEMU_H
#define UNIK_PROVIDER_QEMU_H

#include <stddef.h>

#include "../../lib/strv.h"
#include "../provider.h"

#define QEMU_ACCEL_KEY "qemu.accel" /* the accel of runs that name none (also libvirt's) */
#define QEMU_DISK_BUS_KEY "qemu.disk_bus" /* virtio (the default) or nvme */
enum { QEMU_BUS_VIRTIO, QEMU_BUS_NVME };
/* Volumes: one virtio-blk device each.  microvm has 8 virtio-mmio
 * transports; the NIC takes one. */
#define QEMU_MAX_VOLUMES 6
extern const char *const qemu_volume_formats[]; /* raw (the default), qcow2 */

struct qemu_paths {
	char *qmp;
	char *pid;
	char *log;
	char *status;
	char *killed;
};

/* Fills `p` with new strings for the files in `dir`. */
void qemu_paths_init(struct qemu_paths *p, const char *dir);
void qemu_paths_release(struct qemu_paths *p);

/* The qemu binary: config qemu.binary (default qemu-system-x86_64) found in
 * PATH, as a new string; NULL with err when there is none. */
char *qemu_binary(const struct unik_config *cfg, struct unik_err *err);

/* The user qemu drops to (-runas) once it set the VM up: config qemu.user,
 * by default `unik` when the daemon is root; NULL for none ("root", or not
 * root).  Borrowed. */
const char *qemu_user(const struct unik_config *cfg);

/* The bus of the volumes (config qemu.disk_bus): QEMU_BUS_VIRTIO
 * (virtio-blk on microvm), or QEMU_BUS_NVME (an NVMe controller each on
 * pc: unik-elf images only); -1 with err for another value or image. */
int qemu_disk_bus(const struct unik_run_spec *spec, struct unik_err *err);

/* Checks a run before it is made: the image has its artifacts, the memory
 * can be allocated here, the kernel command line fits, qemu's user exists.
 * 0, or -1 with err. */
int qemu_check(const struct unik_run_spec *spec, struct unik_err *err);

/* The whole qemu command line for `spec` with `accel` ("kvm" or "tcg").
 * On the user network (spec->net USER) the guest gets QEMU's addresses
 * and the published ports become hostfwd rules. */
int qemu_argv_build(const struct unik_run_spec *spec, const struct qemu_paths *p,
		    const char *binary, const char *accel, struct strv *argv, struct unik_err *err);

/* Connects to the QMP socket at `path`, negotiates capabilities and runs
 * the command `execute` (e.g. "system_powerdown"); waits at most
 * timeout_ms for each answer.  -1 with err if QMP is unreachable or the
 * command failed. */
int qmp_execute(const char *path, const char *execute, int timeout_ms, struct unik_err *err);

extern const struct unik_provider unik_provider_qemu;

#endif
