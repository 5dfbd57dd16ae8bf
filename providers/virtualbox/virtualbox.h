/* virtualbox.h - the "virtualbox" provider: unik-elf images booted by
 * VirtualBox from a bootable disk (providers/common/disk_stage.h), driven
 * with VBoxManage (issue 14; docs/providers/virtualbox.md).
 *
 * An instance is the VM "unik-<id>", registered with its files in the
 * instance's folder: a SATA (AHCI) controller with the boot disk (VDI,
 * staged with the instance's command line) on port 0 and the volumes
 * (flat VMDK descriptors over their raw disks) on the next ports, COM1
 * into the instance's log, COM2 into a status file (the exit status, as on
 * QEMU), an Intel PRO/1000 (82540EM) bridged to the daemon's bridge when it
 * has a network.  Started headless; the daemon supervises the VM's
 * VBoxHeadless process; stopped with the ACPI power button, then
 * powered off. */
#ifndef UNIK_PROVIDERS_VIRTUALBOX_H
#define UNIK_PROVIDERS_VIRTUALBOX_H

#include "../../lib/strbuf.h"
#include "../../lib/strv.h"
#include "../provider.h"

extern const struct unik_provider unik_provider_virtualbox;

#define VBOX_MAX_VOLUMES 8

/* vboxmanage.c: the VBoxManage binary (key virtualbox.vboxmanage). */
const char *vbox_manage(const struct unik_config *cfg);
/* Runs VBoxManage with args (NULL-terminated): 0, or -1 with err. */
int vbox_run(const struct unik_config *cfg, const char *const *args, int timeout_s,
	     struct strbuf *out, struct unik_err *err);

/* The files of an instance's VM, in its folder. */
struct vbox_files {
	char boot_raw[4096], boot_vdi[4096], status[4096];
	char vol[VBOX_MAX_VOLUMES][4096]; /* the volumes' VMDK descriptors */
};
void vbox_files(const struct unik_run_spec *spec, struct vbox_files *f);

/* vboxmanage.c: the argument lists of the VM's set-up, in order, each one
 * VBoxManage call (pushed as strv's into `calls`, which the caller frees
 * with vbox_calls_free); INVALID for what cannot go on a command line. */
struct vbox_calls {
	struct strv *v;
	size_t n;
};
int vbox_setup_calls(const struct unik_run_spec *spec, const char *name, const struct vbox_files *f,
		     struct vbox_calls *calls, struct unik_err *err);
void vbox_calls_free(struct vbox_calls *calls);

/* vmdk.c: a monolithicFlat VMDK descriptor at `out` whose one extent is
 * the raw disk `raw` (its size a multiple of 512): VirtualBox then reads
 * and writes the raw file itself. */
int vbox_write_flat_vmdk(const char *raw, int read_only, const char *out, struct unik_err *err);

#endif
