/* xen.c - the "xen" provider (see xen.h). */
#include "xen.h"

#include <dirent.h>
#include <jansson.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/fsutil.h"
#include "../../lib/run.h"
#include "../common/guest.h"
#include "../common/process.h"
#include "../common/spawn.h"

#define XL_TIMEOUT_S 60
/* Xen's limit for a PVH guest's command line (MAX_GUEST_CMDLINE), with its NUL. */
#define XEN_CMDLINE_MAX 1024
#define XEN_MIN_MEMORY_MB 4
#define XEN_MAX_MEMORY_MB (1024 * 1024)
#define XEN_MAX_VOLUMES 8 /* xvda..xvdh: the runtime's blkfront takes 8 */

static const char *const xen_formats[] = { UNIK_FORMAT_UNIK_ELF, NULL };
/* blkback (the `phy` back end: xl's block script puts a file on a loop
 * device) serves raw disks; qcow2 would need QEMU in dom0 (qdisk). */
static const char *const xen_volume_formats[] = { "raw", NULL };

static void domain_name(const struct unik_run_spec *spec, char *buf, size_t size)
{
	snprintf(buf, size, "unik-%s", spec->id);
}

/* Strings that go between double quotes in the xl config file. */
static int quotable(const char *s)
{
	return !strpbrk(s, "\"\\\n\r");
}

/* Names and addresses that go into a vif spec ("mac=...,bridge=..."). */
static int vif_word(const char *s)
{
	if (!s || !*s || strlen(s) > 32)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') &&
		    !(*s >= '0' && *s <= '9') && !strchr("_.:-", *s))
			return 0;
	return 1;
}

/* The domain's network interface: a vif whose back end (vifD.0 in dom0)
 * the toolstack's vif-bridge script enslaves to the daemon's bridge. */
static int vif_line(const struct unik_run_spec *spec, struct strbuf *cfg, struct unik_err *err)
{
	const struct unik_net_spec *net = spec->net;

	if (!net || net->mode == UNIK_NET_NONE)
		return 0;
	if (net->mode != UNIK_NET_BRIDGE)
		return unik_err_set(err, UNIK_E_UNSUPPORTED,
				    "xen: the guest can only be attached to a bridge");
	if (!vif_word(net->mac) || !vif_word(net->bridge))
		return unik_err_set(err, UNIK_E_INVALID,
				    "xen: the MAC '%s' or bridge '%s' cannot go into a vif spec",
				    net->mac ? net->mac : "", net->bridge ? net->bridge : "");
	strbuf_addf(cfg, "vif = [ \"mac=%s,bridge=%s\" ]\n", net->mac, net->bridge);
	return 0;
}

static int xen_probe(const struct unik_config *cfg, struct unik_err *err)
{
	static const char *const info[] = { "info", NULL };
	struct strbuf out = STRBUF_INIT;
	int rc = xen_xl_run(cfg, info, 20, &out, err);

	strbuf_release(&out);
	if (rc < 0) {
		char why[UNIK_ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", err->msg);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "not a Xen dom0 (`%s info` fails): %s",
				    xen_xl(cfg), why);
	}
	return 0;
}

static int cmdline(const struct unik_run_spec *spec, struct strbuf *out, struct unik_err *err)
{
	if (guest_cmdline(spec, 0, NULL, 1, out, err) < 0)
		return -1;
	if (out->len >= XEN_CMDLINE_MAX)
		return unik_err_set(
		    err, UNIK_E_INVALID,
		    "the guest's command line (%zu bytes) exceeds Xen's %d: fewer or "
		    "shorter arguments and environment",
		    out->len, XEN_CMDLINE_MAX - 1);
	if (!quotable(strbuf_str(out)))
		return unik_err_set(err, UNIK_E_INVALID,
				    "the guest's command line has a quote, "
				    "backslash or newline");
	return 0;
}

static int xen_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc = cmdline(spec, &cmd, err);

	strbuf_release(&cmd);
	return rc;
}

static int write_config(const struct unik_run_spec *spec, const char *name, const char *path,
			struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT, cfg = STRBUF_INIT;
	int rc = -1;

	if (cmdline(spec, &cmd, err) < 0)
		goto out;
	if (!spec->kernel || !quotable(spec->kernel)) {
		unik_err_set(err, UNIK_E_INVALID,
			     "the image's kernel path cannot be put in an xl "
			     "config");
		goto out;
	}
	strbuf_addf(&cfg,
		    "# unik instance %s (written by unikd; the domain is removed when it ends)\n"
		    "name = \"%s\"\ntype = \"pvh\"\nmemory = %d\nvcpus = 1\nkernel = \"%s\"\n"
		    "extra = \"%s\"\non_poweroff = \"destroy\"\non_reboot = \"destroy\"\n"
		    "on_crash = \"destroy\"\n",
		    spec->id, name, spec->memory_mb, spec->kernel, strbuf_str(&cmd));
	if (spec->n_volumes > XEN_MAX_VOLUMES) {
		unik_err_set(err, UNIK_E_INVALID, "xen: at most %d volumes per instance",
			     XEN_MAX_VOLUMES);
		goto out;
	}
	/* The disks in volume order (xvda, xvdb, ...: the order blkfront
	 * registers them, the DISK of the unik.mount= words).  target= comes
	 * last: xl takes the rest of the spec as the path. */
	if (spec->n_volumes)
		strbuf_addf(&cfg, "disk = [");
	for (size_t i = 0; i < spec->n_volumes; i++) {
		const struct unik_volume_spec *v = &spec->volumes[i];

		if (!v->disk || !quotable(v->disk) || strchr(v->disk, '\'')) {
			unik_err_set(
			    err, UNIK_E_INVALID,
			    "xen: the disk path of volume %s cannot be put in an xl config",
			    v->name ? v->name : "?");
			goto out;
		}
		strbuf_addf(&cfg, "%s\"format=raw, vdev=xvd%c, access=%s, target=%s\"",
			    i ? ", " : " ", (char)('a' + i), v->read_only ? "ro" : "rw", v->disk);
	}
	if (spec->n_volumes)
		strbuf_addf(&cfg, " ]\n");
	if (vif_line(spec, &cfg, err) < 0)
		goto out;
	rc = fs_write_file_atomic(path, cfg.buf, cfg.len, 0600, err);
out:
	strbuf_release(&cmd);
	strbuf_release(&cfg);
	return rc;
}

/* Until the console process holds the domain's console (a pty), so no
 * output is written before anyone reads it: at most 3 s. */
static void wait_console_open(pid_t pid)
{
	char dir[64], link[64], target[256];

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (int i = 0; i < 300; i++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int found = 0;

		if (!d)
			return; /* gone: collect says why */
		while ((e = readdir(d)) && !found) {
			ssize_t n;

			snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = 0;
				found = !strncmp(target, "/dev/pts/", 9);
			}
		}
		closedir(d);
		if (found)
			return;
		usleep(10 * 1000);
	}
}

static void destroy(const struct unik_run_spec *spec, const char *name)
{
	const char *args[] = { "destroy", name, NULL };
	struct unik_err ignored = { 0 };

	xen_xl_run(spec->cfg, args, XL_TIMEOUT_S, NULL, &ignored);
}

static int xen_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	char name[96], path[4096];
	const char *create[] = { "create", "-p", path, NULL };
	const char *unpause[] = { "unpause", name, NULL };
	char *console[] = { NULL, "console", name, NULL };
	struct spawn_opts o = { 0 };
	struct strbuf out = STRBUF_INIT;
	pid_t pid;
	int rc;

	if (guest_check_image(spec, "xen", err) < 0)
		return -1;
	domain_name(spec, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/xl.cfg", spec->dir);
	if (write_config(spec, name, path, err) < 0)
		return -1;
	if (xen_xl_run(spec->cfg, create, XL_TIMEOUT_S, &out, err) < 0) {
		strbuf_release(&out);
		destroy(spec, name);
		return -1;
	}
	strbuf_release(&out);
	console[0] = run_which(xen_xl(spec->cfg));
	if (!console[0]) {
		destroy(spec, name);
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "xen: %s is not in PATH",
				    xen_xl(spec->cfg));
	}
	o.argv = console;
	o.out_path = spec->log_path;
	o.out_append = 1;
	o.cwd = spec->dir;
	rc = provider_spawn(spec, &o, &pid, err);
	free(console[0]);
	if (rc < 0) {
		destroy(spec, name);
		return -1;
	}
	wait_console_open(pid);
	if (xen_xl_run(spec->cfg, unpause, XL_TIMEOUT_S, NULL, err) < 0) {
		destroy(spec, name);
		return -1; /* the console process ends with the domain */
	}
	vm->pid = pid;
	snprintf(vm->note, sizeof(vm->note), "domain %s", name);
	return 0;
}

/* Asks the program to stop (xl shutdown: SIGTERM in the guest), waits for
 * the domain to go (its console process ends with it), then destroys it. */
static int xen_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		    struct unik_err *err)
{
	char name[96];
	const char *shutdown[] = { "shutdown", name, NULL };
	struct unik_err ignored = { 0 };
	int pidfd = pid > 0 ? proc_pidfd(pid) : -1, gone = 0;

	domain_name(spec, name, sizeof(name));
	if (xen_xl_run(spec->cfg, shutdown, XL_TIMEOUT_S, NULL, &ignored) == 0 && pidfd >= 0)
		gone = proc_wait_gone(pidfd, timeout_s > 0 ? timeout_s * 1000 : 0) == 1;
	if (!gone) {
		destroy(spec, name);
		if (pidfd >= 0 && proc_wait_gone(pidfd, 5000) != 1 && pid > 0)
			kill(pid, SIGKILL); /* a console process that outlived its domain */
	}
	if (pidfd >= 0)
		close(pidfd);
	return 0;
}

static int xen_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		       struct unik_err *err)
{
	char name[96];
	int code;

	/* The console ends with the domain; should it have ended for another
	 * reason, the domain goes too: nothing runs that the daemon forgot. */
	domain_name(spec, name, sizeof(name));
	destroy(spec, name);
	code = guest_status_read(spec->log_path);
	out->exit_code = code;
	snprintf(out->message, sizeof(out->message), "%s",
		 code >= 0 ? "exited" : "the domain ended without an exit status (see its log)");
	return 0;
}

static int xen_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	char name[96];

	domain_name(spec, name, sizeof(name));
	destroy(spec, name); /* nothing when it is gone already */
	return 0;
}

/* The pid of the instance's console process (`xl console unik-<id>`, which
 * execs xenconsole): the process whose standard output is the instance's
 * log, or 0. */
static pid_t console_pid(const char *log_path)
{
	char want[4096];
	DIR *d;
	struct dirent *e;
	pid_t found = 0;

	if (!realpath(log_path, want) || !(d = opendir("/proc")))
		return 0;
	while (!found && (e = readdir(d))) {
		char path[64], target[4096];
		ssize_t n;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/1", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, want))
			found = (pid_t)strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	return found;
}

/* The domain's state from `xl list -l unik-<id>` (a JSON array of the
 * domains named, each with its domid): listed = running (its config has
 * on_poweroff/on_crash = destroy, so a domain that ended is gone). */
static int xen_status(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		      struct unik_err *err)
{
	char name[96];
	const char *list[] = { "list", "-l", name, NULL };
	struct strbuf out = STRBUF_INIT;
	json_error_t jerr;
	json_t *doc, *dom;
	int rc = 0;

	domain_name(spec, name, sizeof(name));
	*pid = 0;
	if (xen_xl_run(spec->cfg, list, XL_TIMEOUT_S, &out, err) < 0) {
		int missing = out.buf && strstr(out.buf, "invalid domain identifier");

		strbuf_release(&out);
		if (!missing)
			return -1;
		unik_err_clear(err);
		*state = UNIK_VM_GONE;
		return 0;
	}
	doc = json_loadb(out.buf ? out.buf : "", out.len, 0, &jerr);
	dom = json_is_array(doc) ? json_array_get(doc, 0) : NULL;
	if (!json_is_object(dom) || !json_is_integer(json_object_get(dom, "domid"))) {
		rc = unik_err_set(err, UNIK_E_INTERNAL,
				  "xen: `xl list -l %s` did not give a domain (JSON: %s)", name,
				  doc ? "no domid" : jerr.text);
	} else {
		*state = UNIK_VM_RUNNING;
		*pid = console_pid(spec->log_path);
	}
	json_decref(doc);
	strbuf_release(&out);
	return rc;
}

const struct unik_provider unik_provider_xen = {
	.name = "xen",
	.description = "unik-elf images as Xen PVH domains (xl in dom0)",
	.auto_priority = 25, /* on a dom0 the hypervisor is Xen: before spt, after hvt */
	.formats = xen_formats,
	.min_memory_mb = XEN_MIN_MEMORY_MB,
	.max_memory_mb = XEN_MAX_MEMORY_MB,
	.accels = NULL,
	.console_log = 1,
	.volume_formats = xen_volume_formats,
	.max_volumes = XEN_MAX_VOLUMES,
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_BRIDGE), /* a vif on the daemon's bridge */
	.check = xen_check,
	.probe = xen_probe,
	.start = xen_start,
	.stop = xen_stop,
	.collect = xen_collect,
	.remove = xen_remove,
	.status = xen_status,
};
