/* virtualbox.c - the "virtualbox" provider (see virtualbox.h). */
#include "virtualbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/fsutil.h"
#include "../common/disk_stage.h"
#include "../common/guest.h"
#include "../common/process.h"

#define VBOX_TIMEOUT_S 60
#define VBOX_MIN_MEMORY_MB 8
#define VBOX_MAX_MEMORY_MB (1024 * 1024)
#define FIND_PID_TRIES 100 /* x 100 ms: VBoxHeadless shows up after startvm */

static const char *const vbox_formats[] = { UNIK_FORMAT_UNIK_ELF, NULL };
/* read-write volumes are their raw disks (a flat VMDK descriptor over each) */
static const char *const vbox_volume_formats[] = { "raw", NULL };

static void vm_name(const struct unik_run_spec *spec, char *buf, size_t size)
{
	snprintf(buf, size, "unik-%s", spec->id);
}

static int vbox_probe(const struct unik_config *cfg, struct unik_err *err)
{
	static const char *const version[] = { "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = vbox_run(cfg, version, 20, &out, err);

	strbuf_release(&out);
	if (rc < 0) {
		char why[UNIK_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "VirtualBox is not usable here (`%s --version` fails): %s",
				    vbox_manage(cfg), why);
	}
	return 0;
}

/* The guest's command line: the boot disk is the first disk it finds (SATA
 * port 0), the volumes follow. */
static int cmdline(const struct unik_run_spec *spec, struct strbuf *out, struct unik_err *err)
{
	struct unik_run_spec s = *spec;

	s.disk_base = 1;
	return guest_cmdline(&s, 0, NULL, 1, out, err);
}

static int vbox_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc = cmdline(spec, &cmd, err);

	strbuf_release(&cmd);
	if (rc == 0 && spec->n_volumes > VBOX_MAX_VOLUMES)
		rc = unik_err_set(err, UNIK_E_INVALID, "virtualbox: at most %d volumes",
				  VBOX_MAX_VOLUMES);
	return rc;
}

/* The pid of the VM's VBoxHeadless ("--comment NAME --startvm UUID", as
 * `startvm --type headless` starts it), or 0. */
static pid_t headless_pid(const char *name)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char path[64], buf[8192];
		const char *argv0, *base;
		ssize_t n;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		/* VBoxHeadless itself, or a script of that name (its interpreter
		 * comes first) */
		argv0 = buf;
		base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
		if (strcmp(base, "VBoxHeadless") && strlen(buf) + 1 < (size_t)n) {
			argv0 = buf + strlen(buf) + 1;
			base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
		}
		if (strcmp(base, "VBoxHeadless"))
			continue;
		for (ssize_t i = 0; i < n;) {
			const char *arg = buf + i;
			size_t len = strlen(arg);

			if (!strcmp(arg, "--comment") && i + (ssize_t)len + 1 < n &&
			    !strcmp(buf + i + len + 1, name))
				found = (pid_t)strtol(e->d_name, NULL, 10);
			i += (ssize_t)len + 1;
		}
	}
	closedir(d);
	return found;
}

static void unregister(const struct unik_run_spec *spec, const char *name)
{
	const char *poweroff[] = { "controlvm", name, "poweroff", NULL };
	const char *unreg[] = { "unregistervm", name, "--delete", NULL };
	struct vbox_files f;
	struct unik_err ignored = { 0 };

	memset(&f, 0, sizeof(f)); /* cppcheck cannot see snprintf fill it */
	vbox_files(spec, &f);
	vbox_run(spec->cfg, poweroff, VBOX_TIMEOUT_S, NULL, &ignored);
	/* the volumes first leave the VM (and the media registry), so that
	 * --delete takes only the boot disk and the VM's own files */
	for (size_t i = 0; i < spec->n_volumes && i < VBOX_MAX_VOLUMES; i++) {
		char port[16];
		const char *detach[] = { "storageattach", name,	    "--storagectl",
					 "SATA",	  "--port", port,
					 "--device",	  "0",	    "--medium",
					 "none",	  NULL };
		const char *close_medium[] = { "closemedium", "disk", f.vol[i], NULL };

		snprintf(port, sizeof(port), "%zu", i + 1);
		vbox_run(spec->cfg, detach, VBOX_TIMEOUT_S, NULL, &ignored);
		vbox_run(spec->cfg, close_medium, VBOX_TIMEOUT_S, NULL, &ignored);
	}
	vbox_run(spec->cfg, unreg, VBOX_TIMEOUT_S, NULL, &ignored);
}

/* The boot disk: a copy of the image's staged disk (the daemon's, cached
 * per image) booting this instance's command line, as a VDI. */
static int stage_boot_disk(const struct unik_run_spec *spec, const struct vbox_files *f,
			   struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc;

	if (cmdline(spec, &cmd, err) < 0) {
		strbuf_release(&cmd);
		return -1;
	}
	unlink(f->boot_raw);
	unlink(f->boot_vdi);
	if (!spec->boot_disk)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "virtualbox: no staged boot disk given");
	else
		rc = fs_copy_file(spec->boot_disk, f->boot_raw, 0600, err);
	if (rc == 0)
		rc = disk_stage_set_cmdline(f->boot_raw, strbuf_str(&cmd), spec->dir, err);
	if (rc == 0)
		rc = disk_convert(f->boot_raw, "vdi", f->boot_vdi, err);
	unlink(f->boot_raw);
	strbuf_release(&cmd);
	return rc;
}

static int vbox_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	char name[96];
	const char *start[] = { "startvm", name, "--type", "headless", NULL };
	struct vbox_calls calls = { 0 };
	struct vbox_files f;
	pid_t pid = 0;

	if (guest_check_image(spec, "virtualbox", err) < 0)
		return -1;
	vm_name(spec, name, sizeof(name));
	memset(&f, 0, sizeof(f)); /* cppcheck cannot see snprintf fill it */
	vbox_files(spec, &f);
	unregister(spec, name); /* a VM left from an earlier start of this instance */
	unlink(f.status);
	if (stage_boot_disk(spec, &f, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_volumes; i++)
		if (vbox_write_flat_vmdk(spec->volumes[i].disk, spec->volumes[i].read_only,
					 f.vol[i], err) < 0)
			return -1;
	if (vbox_setup_calls(spec, name, &f, &calls, err) < 0)
		goto fail;
	for (size_t i = 0; i < calls.n; i++)
		if (vbox_run(spec->cfg, (const char *const *)calls.v[i].v, VBOX_TIMEOUT_S, NULL,
			     err) < 0)
			goto fail;
	vbox_calls_free(&calls);
	if (vbox_run(spec->cfg, start, VBOX_TIMEOUT_S, NULL, err) < 0)
		goto fail;
	for (int i = 0; i < FIND_PID_TRIES && !pid; i++) {
		pid = headless_pid(name);
		if (!pid)
			usleep(100 * 1000);
	}
	if (!pid) {
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "virtualbox: the VM started but its VBoxHeadless process is not "
			     "to be found");
		goto fail;
	}
	vm->pid = pid;
	snprintf(vm->note, sizeof(vm->note), "VM %s", name);
	return 0;
fail:
	vbox_calls_free(&calls);
	unregister(spec, name);
	return -1;
}

/* The ACPI power button (the runtime stops the program with SIGTERM), then
 * after the timeout a power-off. */
static int vbox_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		     struct unik_err *err)
{
	char name[96];
	const char *button[] = { "controlvm", name, "acpipowerbutton", NULL };
	const char *poweroff[] = { "controlvm", name, "poweroff", NULL };
	struct unik_err ignored = { 0 };
	int pidfd = pid > 0 ? proc_pidfd(pid) : -1, gone = 0;

	vm_name(spec, name, sizeof(name));
	if (timeout_s > 0 && vbox_run(spec->cfg, button, VBOX_TIMEOUT_S, NULL, &ignored) == 0 &&
	    pidfd >= 0)
		gone = proc_wait_gone(pidfd, timeout_s * 1000) == 1;
	if (!gone) {
		vbox_run(spec->cfg, poweroff, VBOX_TIMEOUT_S, NULL, &ignored);
		if (pidfd >= 0 && proc_wait_gone(pidfd, 10000) != 1 && pid > 0)
			kill(pid, SIGKILL);
	}
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

static int vbox_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
			struct unik_err *err)
{
	struct vbox_files f;
	int code;

	memset(&f, 0, sizeof(f)); /* cppcheck cannot see snprintf fill it */
	vbox_files(spec, &f);
	code = guest_status_read(f.status);
	out->exit_code = code;
	snprintf(out->message, sizeof(out->message), "%s",
		 code >= 0 ? "exited" : "the VM ended without an exit status (see its log)");
	return 0;
}

static int vbox_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	char name[96];

	vm_name(spec, name, sizeof(name));
	unregister(spec, name);
	return 0;
}

/* VMState="..." of `showvminfo --machinereadable`. */
static int vbox_status(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		       struct unik_err *err)
{
	char name[96];
	const char *info[] = { "showvminfo", name, "--machinereadable", NULL };
	struct strbuf out = STRBUF_INIT;
	const char *s, *e;

	vm_name(spec, name, sizeof(name));
	*pid = 0;
	if (vbox_run(spec->cfg, info, VBOX_TIMEOUT_S, &out, err) < 0) {
		int missing = out.buf && (strstr(out.buf, "Could not find a registered machine") ||
					  strstr(out.buf, "VBOX_E_OBJECT_NOT_FOUND"));

		strbuf_release(&out);
		if (!missing)
			return -1;
		*state = UNIK_VM_GONE;
		return 0;
	}
	s = strstr(strbuf_str(&out), "\nVMState=\"");
	if (!s && !strncmp(strbuf_str(&out), "VMState=\"", 9))
		s = strbuf_str(&out) - 1;
	if (!s) {
		strbuf_release(&out);
		return unik_err_set(err, UNIK_E_INTERNAL, "virtualbox: showvminfo has no VMState");
	}
	s += 10;
	e = strchr(s, '"');
	if (e &&
	    (!strncmp(s, "running", (size_t)(e - s)) || !strncmp(s, "paused", (size_t)(e - s)) ||
	     !strncmp(s, "starting", (size_t)(e - s)))) {
		*state = UNIK_VM_RUNNING;
		*pid = headless_pid(name);
	} else {
		*state = UNIK_VM_STOPPED;
	}
	strbuf_release(&out);
	return 0;
}

const struct unik_provider unik_provider_virtualbox = {
	.name = "virtualbox",
	.description = "unik-elf images as VirtualBox VMs booted from a disk (VBoxManage)",
	.auto_priority = 0, /* chosen only by name: a laptop's KVM providers come first */
	.formats = vbox_formats,
	.min_memory_mb = VBOX_MIN_MEMORY_MB,
	.max_memory_mb = VBOX_MAX_MEMORY_MB,
	.boot_disk_format = "raw", /* the daemon's cached staging: a copy per start */
	.console_log = 1,
	.net_modes =
	    UNIK_NET_MODE_BIT(UNIK_NET_BRIDGE), /* the 82540EM bridged to the daemon's bridge */
	.volume_formats = vbox_volume_formats,
	.max_volumes = VBOX_MAX_VOLUMES,
	.check = vbox_check,
	.probe = vbox_probe,
	.start = vbox_start,
	.stop = vbox_stop,
	.collect = vbox_collect,
	.remove = vbox_remove,
	.status = vbox_status,
};
