/* libvirt.c - the "libvirt" provider (alias "kvm"): each instance is a
 * persistent libvirt domain, so operators see it with virsh and friends.
 *
 * start() (re)defines the domain from the instance, starts it and returns
 * the pid of the domain's qemu, which the daemon supervises like the qemu
 * provider's: libvirt's qemu is not the daemon's child, but a pidfd works
 * on any process.  The guest reports its program's status on its second
 * serial port (the file `status`); collect() reads it.  stop() presses the
 * ACPI power button (virDomainShutdown) once the guest listens, and
 * destroys the domain after the timeout.  remove() undefines it.
 */
#include "libvirt.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "../../api/formats.h"
#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/xalloc.h"
#include "../common/accel.h"
#include "../common/guest.h"
#include "../common/process.h"

#define READY_LINE UNIK_READY_LINE /* our Linux init listens to the power button */
#define BOOT_READY_KVM_MS 3000 /* Linux under real KVM is ready in well under 1 s */
#define INACTIVE_WAIT_MS 5000 /* libvirt's cleanup after its qemu ended */
#define SECOND_PRESS_WAIT_MS 3000
#define DESTROY_WAIT_MS 5000
#define POLL_MS 20

static const char *const lv_formats[] = { UNIK_FORMAT_LINUX_INITRD, UNIK_FORMAT_UNIK_ELF, NULL };
static const char *const lv_aliases[] = { "kvm", NULL }; /* UniK's name for it */
static const char *const lv_accels[] = { "kvm", "tcg", NULL };

/* Paths of our files in the instance folder. */
struct lv_files {
	char *status;
	char *killed;
	char *xml;
};

static void files_init(struct lv_files *f, const char *dir)
{
	f->status = xasprintf("%s/status", dir);
	f->killed = xasprintf("%s/killed", dir);
	f->xml = xasprintf("%s/domain.xml", dir);
}

static void files_release(struct lv_files *f)
{
	free(f->status);
	free(f->killed);
	free(f->xml);
}

/* Waits until `dom` is inactive, at most `ms`; 1 if it is. */
static int wait_inactive(virDomainPtr dom, int ms)
{
	long long end = clock_now_ms() + ms;

	for (;;) {
		int active = virDomainIsActive(dom);

		if (active == 0)
			return 1;
		if (active < 0 || clock_now_ms() >= end)
			return 0;
		clock_sleep_ms(POLL_MS);
	}
}

/* Something to wait on for "the VM ended": the qemu process when we know
 * it (a pidfd), else libvirt's view of the domain. */
struct vm_watch {
	virDomainPtr dom;
	int pidfd;
};

static void watch_init(struct vm_watch *w, virDomainPtr dom, pid_t pid, const char *id)
{
	w->dom = dom;
	w->pidfd = proc_pidfd(pid);
	/* checked with the pidfd held: the pid cannot be reused meanwhile */
	if (w->pidfd >= 0 && !lv_pid_is_instance(pid, id)) {
		close(w->pidfd);
		w->pidfd = -1;
	}
}

static void watch_release(struct vm_watch *w)
{
	if (w->pidfd >= 0)
		close(w->pidfd);
}

/* 1 if the VM ended within `ms`. */
static int watch_gone(struct vm_watch *w, int ms)
{
	if (w->pidfd < 0)
		return wait_inactive(w->dom, ms);
	return proc_wait_gone(w->pidfd, ms) == 1;
}

/* The machine type: config libvirt.machine, "auto" (default) meaning
 * microvm with pc as the fallback. */
static const char *machine_wanted(const struct unik_config *cfg)
{
	return cfg ? unik_config_get(cfg, "libvirt.machine", "auto") : "auto";
}

/* Defines the domain for `spec` on `machine` and writes its XML to our
 * file; *dom gets the new reference.  On failure *vir_code is libvirt's
 * error code (0 when libvirt was not asked). */
static int define_domain(virConnectPtr conn, const struct unik_run_spec *spec,
			 const struct lv_files *f, const char *virt_type, const char *machine,
			 virDomainPtr *dom, int *vir_code, struct unik_err *err)
{
	struct strbuf cmdline = STRBUF_INIT, xml = STRBUF_INIT;
	char *name = lv_domain_name(spec->name);
	struct lv_domain_def def = {
		.name = name,
		.id = spec->id,
		.instance = spec->name,
		.virt_type = virt_type,
		.machine = machine,
		.kernel = spec->kernel,
		.initrd = spec->initrd,
		.console_path = spec->log_path,
		.status_path = f->status,
		.memory_mb = spec->memory_mb,
		.debug_exit = spec->format && !strcmp(spec->format, UNIK_FORMAT_UNIK_ELF),
		.acpi = !spec->format || strcmp(spec->format, UNIK_FORMAT_UNIK_ELF),
		.disks = spec->volumes,
		.n_disks = spec->n_volumes,
	};
	int rc = -1;

	*vir_code = 0;
	if (!strcmp(machine, "pc") && fs_exists(LV_QBOOT_ROM))
		def.firmware = LV_QBOOT_ROM;
	if (spec->cfg)
		def.emulator = unik_config_get(spec->cfg, "libvirt.emulator", NULL);
	if (spec->net && spec->net->mode == UNIK_NET_TAP) {
		def.net_tap = spec->net->tap;
		def.net_mac = spec->net->mac;
	}
	if (lv_kernel_cmdline(spec, virt_type, &cmdline, err) < 0)
		goto cleanup;
	def.cmdline = strbuf_str(&cmdline);
	lv_domain_xml(&def, &xml);
	fs_write_file_atomic(f->xml, xml.buf, xml.len, 0644, NULL);
	*dom = virDomainDefineXML(conn, strbuf_str(&xml));
	if (!*dom) {
		virErrorPtr e = virGetLastError();

		*vir_code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
		lv_err(err, UNIK_E_INTERNAL, "libvirt refused domain %s (machine %s)", name,
		       machine);
		goto cleanup;
	}
	rc = 0;
cleanup:
	strbuf_release(&cmdline);
	strbuf_release(&xml);
	free(name);
	return rc;
}

/* Defines the domain on the configured machine; with "auto", microvm and
 * else pc (then `note` says why). */
static int define_auto(virConnectPtr conn, const struct unik_run_spec *spec,
		       const struct lv_files *f, const char *virt_type, virDomainPtr *dom,
		       char *note, size_t note_len, struct unik_err *err)
{
	const char *want = machine_wanted(spec->cfg);
	struct unik_err first = UNIK_ERR_INIT;
	int code;

	if (strcmp(want, "auto"))
		return define_domain(conn, spec, f, virt_type, want, dom, &code, err);
	if (define_domain(conn, spec, f, virt_type, "microvm", dom, &code, &first) == 0)
		return 0;
	/* only a machine this libvirt cannot configure is worth another try */
	if (code != VIR_ERR_XML_ERROR && code != VIR_ERR_CONFIG_UNSUPPORTED &&
	    code != VIR_ERR_XML_DETAIL) {
		*err = first;
		return -1;
	}
	if (define_domain(conn, spec, f, virt_type, "pc", dom, &code, err) < 0)
		return -1;
	snprintf(note, note_len, "machine pc because %s", first.msg);
	return 0;
}

/* After a KVM start of a Linux guest: 1 if it booted (said "unik-ready" or
 * already ended), 0 with `why` if KVM cannot run it (kvm_pvm: "emulation
 * failure", or a crawl). */
static int kvm_booted(const struct unik_run_spec *spec, virDomainPtr dom, const char *status,
		      char *why, size_t len)
{
	char *name = lv_domain_name(spec->name);
	long long end = clock_now_ms() + BOOT_READY_KVM_MS;
	int ok = 0;

	for (;;) {
		int state = 0, reason = 0;

		if (lv_file_contains(status, READY_LINE) || guest_status_read(status) >= 0) {
			ok = 1;
			break;
		}
		if (lv_qemu_log_contains(spec->cfg, name, "emulation failure") ||
		    lv_qemu_log_contains(spec->cfg, name, "KVM internal error") ||
		    (virDomainGetState(dom, &state, &reason, 0) == 0 &&
		     state == VIR_DOMAIN_PAUSED)) {
			snprintf(why, len, "kvm could not run the guest (emulation failure)");
			break;
		}
		if (clock_now_ms() >= end) {
			snprintf(why, len, "the guest did not boot under kvm within %d ms",
				 BOOT_READY_KVM_MS);
			break;
		}
		if (virDomainIsActive(dom) == 0) { /* ended on its own: collect() tells */
			ok = 1;
			break;
		}
		clock_sleep_ms(POLL_MS);
	}
	free(name);
	return ok;
}

/* The domain of `spec` if it is ours and may be (re)defined: not running
 * (waiting a moment for libvirt to notice a qemu that just ended).  *dom
 * is NULL when there is none yet. */
static int domain_prepare(virConnectPtr conn, const struct unik_run_spec *spec, virDomainPtr *dom,
			  struct unik_err *err)
{
	enum lv_owner owner;
	char *name = lv_domain_name(spec->name);
	int rc = -1;

	if (lv_domain_lookup(conn, spec, dom, &owner, err) < 0)
		goto cleanup;
	if (owner == LV_FOREIGN) {
		unik_err_set(err, UNIK_E_CONFLICT,
			     "libvirt domain %s exists and is not this unik instance's (its "
			     "metadata lacks id %s): rename the instance or undefine the domain",
			     name, spec->id);
		goto cleanup;
	}
	if (*dom && !wait_inactive(*dom, INACTIVE_WAIT_MS)) {
		unik_err_set(err, UNIK_E_CONFLICT, "libvirt domain %s is already running", name);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (rc < 0 && *dom) {
		virDomainFree(*dom);
		*dom = NULL;
	}
	free(name);
	return rc;
}

/* What can be checked before the domain is defined: the image's artifacts,
 * the memory, the kernel command line (the longer, TCG one). */
static int lv_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	int rc;

	if (guest_check_image(spec, "libvirt", err) < 0 ||
	    guest_check_memory(spec, "libvirt", err) < 0)
		return -1;
	rc = lv_kernel_cmdline(spec, "qemu", &cmd, err);
	strbuf_release(&cmd);
	return rc;
}

static int lv_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	struct lv_files f;
	char *name = lv_domain_name(spec->name);
	const char *accel;
	char why[160], machine_note[160] = "";
	int unwatched;
	int rc = -1;

	memset(vm, 0, sizeof(*vm));
	files_init(&f, spec->dir);
	if (guest_check_image(spec, "libvirt", err) < 0)
		goto cleanup;
	if (spec->net && spec->net->mode != UNIK_NET_NONE &&
	    (spec->net->mode != UNIK_NET_TAP || !spec->net->tap || !spec->net->mac)) {
		unik_err_set(err, UNIK_E_UNSUPPORTED,
			     "libvirt domains get a network only on the daemon's bridge (a tap), "
			     "not through QEMU user networking");
		goto cleanup;
	}
	if (accel_choose(accel_wanted(spec, LV_ACCEL_KEY), &accel, vm->note, sizeof(vm->note),
			 err) < 0 ||
	    lv_connect(spec->cfg, &conn, err) < 0 || domain_prepare(conn, spec, &dom, err) < 0)
		goto cleanup;
	for (int attempt = 0;; attempt++) {
		const char *virt_type = !strcmp(accel, "kvm") ? "kvm" : "qemu";

		unlink(f.status);
		unlink(f.killed);
		if (dom)
			virDomainFree(dom);
		dom = NULL;
		if (define_auto(conn, spec, &f, virt_type, &dom, machine_note, sizeof(machine_note),
				err) < 0)
			goto cleanup;
		if (virDomainCreate(dom) < 0) {
			lv_err(err, UNIK_E_INTERNAL, "libvirt cannot start domain %s", name);
			goto cleanup;
		}
		if (strcmp(accel, "kvm") || !is_linux ||
		    kvm_booted(spec, dom, f.status, why, sizeof(why)))
			break;
		virDomainDestroy(dom);
		if (attempt > 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "guest failed under kvm and tcg");
			goto cleanup;
		}
		accel = "tcg";
		snprintf(vm->note, sizeof(vm->note), "tcg (domain type qemu) because %s", why);
	}
	vm->pid = lv_qemu_pid(spec->cfg, name, spec->id);
	/* A unikernel can finish in milliseconds, before its pid is looked up;
	 * libvirt then shows the domain active until it has seen qemu go. */
	if (!vm->pid && wait_inactive(dom, INACTIVE_WAIT_MS))
		vm->ended = 1;
	unwatched = !vm->pid && !vm->ended;
	snprintf(vm->accel_used, sizeof(vm->accel_used), "%s", accel);
	if (machine_note[0] || unwatched) {
		size_t n = strlen(vm->note);

		snprintf(vm->note + n, sizeof(vm->note) - n, "%s%s%s", n ? "; " : "", machine_note,
			 unwatched ? "its qemu is not on this host: unikd polls libvirt" : "");
	}
	rc = 0;
cleanup:
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	files_release(&f);
	free(name);
	return rc;
}

/* Waits until the guest said READY_LINE (0) or ended (1), at most until `end`. */
static int wait_ready(struct vm_watch *w, const char *status, long long end)
{
	while (!lv_file_contains(status, READY_LINE) && clock_now_ms() < end)
		if (watch_gone(w, 50))
			return 1;
	return 0;
}

/* Presses the power button and waits for the VM to end before `end`, then
 * presses again (our init then SIGKILLs the program); 1 if it ended. */
static int shutdown_graceful(virDomainPtr dom, struct vm_watch *w, const char *status, int is_linux,
			     long long end)
{
	/* a press before our init listens is lost: wait until it says so */
	if (is_linux && wait_ready(w, status, end))
		return 1;
	if (virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0)
		return 0;
	if (watch_gone(w, (int)(end > clock_now_ms() ? end - clock_now_ms() : 0)))
		return 1;
	return virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0 &&
	       watch_gone(w, SECOND_PRESS_WAIT_MS);
}

static int lv_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s, struct unik_err *err)
{
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	enum lv_owner owner;
	struct vm_watch w = { NULL, -1 };
	struct lv_files f;
	char *name = lv_domain_name(spec->name);
	int rc = -1;

	files_init(&f, spec->dir);
	if (lv_connect(spec->cfg, &conn, err) < 0 ||
	    lv_domain_lookup(conn, spec, &dom, &owner, err) < 0)
		goto cleanup;
	if (owner != LV_OURS || virDomainIsActive(dom) == 0) {
		rc = 0; /* nothing of ours runs */
		goto cleanup;
	}
	watch_init(&w, dom, pid, spec->id);
	/* unik-elf guests run without ACPI (see domain_xml.c): no power button */
	if (timeout_s > 0 && is_linux &&
	    shutdown_graceful(dom, &w, f.status, is_linux,
			      clock_now_ms() + (long long)timeout_s * 1000)) {
		/* qemu has gone: stopped means shut off in virsh too */
		wait_inactive(dom, INACTIVE_WAIT_MS);
		rc = 0;
		goto cleanup;
	}
	fs_write_file_atomic(f.killed, "9\n", 2, 0644, NULL);
	if (virDomainDestroy(dom) < 0 && virDomainIsActive(dom) != 0) {
		lv_err(err, UNIK_E_INTERNAL, "cannot destroy domain %s", name);
		goto cleanup;
	}
	if (!watch_gone(&w, DESTROY_WAIT_MS)) {
		unik_err_set(err, UNIK_E_INTERNAL, "domain %s survived virDomainDestroy", name);
		goto cleanup;
	}
	wait_inactive(dom, INACTIVE_WAIT_MS);
	rc = 0;
cleanup:
	watch_release(&w);
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	files_release(&f);
	free(name);
	return rc;
}

/* Why the domain ended without an exit status, from libvirt's view: its
 * shut-off reason (waiting a moment for libvirt to see its qemu end) or
 * that the domain is gone. */
static void ended_how(const struct unik_run_spec *spec, struct unik_exit *out)
{
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	enum lv_owner owner = LV_NONE;
	struct unik_err err = UNIK_ERR_INIT;
	char *name = lv_domain_name(spec->name);
	struct strbuf tail = STRBUF_INIT;
	int state = 0, reason = 0;

	if (lv_connect(spec->cfg, &conn, &err) == 0 &&
	    lv_domain_lookup(conn, spec, &dom, &owner, &err) == 0 && owner == LV_OURS &&
	    wait_inactive(dom, INACTIVE_WAIT_MS))
		virDomainGetState(dom, &state, &reason, 0);
	if (owner != LV_OURS && !err.msg[0]) {
		out->exit_code = 128 + SIGKILL;
		snprintf(out->message, sizeof(out->message),
			 "killed: libvirt domain %s was removed outside unik", name);
		goto cleanup;
	}
	if (state == VIR_DOMAIN_SHUTOFF && reason == VIR_DOMAIN_SHUTOFF_DESTROYED) {
		out->exit_code = 128 + SIGKILL;
		snprintf(out->message, sizeof(out->message),
			 "killed: libvirt domain %s was destroyed outside unik", name);
		goto cleanup;
	}
	if (lv_qemu_log_contains(spec->cfg, name, "emulation failure")) {
		snprintf(out->message, sizeof(out->message),
			 "boot failed: kvm cannot run this guest (emulation failure); use accel "
			 "tcg");
		goto cleanup;
	}
	lv_qemu_log_tail(spec->cfg, name, 120, &tail);
	snprintf(out->message, sizeof(out->message),
		 "boot failed: no exit status from the guest (domain %s%s%s)%s%s", name,
		 err.msg[0] ? ": " : "", err.msg, tail.len ? ": " : "", strbuf_str(&tail));
cleanup:
	strbuf_release(&tail);
	free(name);
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
}

static int lv_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		      struct unik_err *err)
{
	struct lv_files f;
	int code;

	files_init(&f, spec->dir);
	out->exit_code = -1;
	out->message[0] = '\0';
	code = guest_status_read(f.status);
	if (code >= 0) {
		out->exit_code = code;
		snprintf(out->message, sizeof(out->message), "exited");
	} else if (fs_exists(f.killed)) {
		out->exit_code = 128 + SIGKILL;
		snprintf(out->message, sizeof(out->message), "killed");
	} else {
		ended_how(spec, out);
	}
	files_release(&f);
	return 0;
}

static int lv_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	enum lv_owner owner;
	struct lv_files f;
	char *name = lv_domain_name(spec->name);
	int rc = -1;

	files_init(&f, spec->dir);
	if (lv_connect(spec->cfg, &conn, err) < 0 ||
	    lv_domain_lookup(conn, spec, &dom, &owner, err) < 0)
		goto cleanup;
	if (owner == LV_OURS) {
		if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0) {
			lv_err(err, UNIK_E_INTERNAL, "cannot destroy domain %s", name);
			goto cleanup;
		}
		if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
						    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA) < 0) {
			lv_err(err, UNIK_E_INTERNAL, "cannot undefine domain %s", name);
			goto cleanup;
		}
	}
	unlink(f.status);
	unlink(f.killed);
	unlink(f.xml);
	rc = 0;
cleanup:
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	files_release(&f);
	free(name);
	return rc;
}

static int lv_status(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		     struct unik_err *err)
{
	virConnectPtr conn = NULL;
	virDomainPtr dom = NULL;
	enum lv_owner owner;
	char *name = lv_domain_name(spec->name);
	int active, rc = -1;

	*pid = 0;
	if (lv_connect(spec->cfg, &conn, err) < 0 ||
	    lv_domain_lookup(conn, spec, &dom, &owner, err) < 0)
		goto cleanup;
	if (owner != LV_OURS) {
		*state = UNIK_VM_GONE;
		rc = 0;
		goto cleanup;
	}
	active = virDomainIsActive(dom);
	if (active < 0) {
		lv_err(err, UNIK_E_INTERNAL, "cannot ask libvirt about domain %s", name);
		goto cleanup;
	}
	*state = active ? UNIK_VM_RUNNING : UNIK_VM_STOPPED;
	if (active)
		*pid = lv_qemu_pid(spec->cfg, name, spec->id);
	rc = 0;
cleanup:
	if (dom)
		virDomainFree(dom);
	if (conn)
		virConnectClose(conn);
	free(name);
	return rc;
}

/* On success err->msg (code UNIK_E_OK) names the URI, libvirt's version
 * and what accel auto picks. */
static int lv_probe(const struct unik_config *cfg, struct unik_err *err)
{
	virConnectPtr conn = NULL;
	unsigned long version = 0;
	char why[160];

	if (lv_connect(cfg, &conn, err) < 0)
		return -1;
	if (virConnectGetLibVersion(conn, &version) < 0) {
		lv_err(err, UNIK_E_UNAVAILABLE, "libvirt at %s does not answer", lv_uri(cfg));
		virConnectClose(conn);
		return -1;
	}
	virConnectClose(conn);
	if (accel_kvm_usable(why, sizeof(why)))
		unik_err_set(err, UNIK_E_OK, "libvirt %lu.%lu.%lu at %s: auto picks kvm",
			     version / 1000000, version / 1000 % 1000, version % 1000, lv_uri(cfg));
	else
		unik_err_set(err, UNIK_E_OK,
			     "libvirt %lu.%lu.%lu at %s: kvm not usable (%s): auto picks tcg",
			     version / 1000000, version / 1000 % 1000, version % 1000, lv_uri(cfg),
			     why);
	return 0;
}

static const char *const lv_volume_formats[] = { "raw", "qcow2", NULL };

const struct unik_provider unik_provider_libvirt = {
	.name = "libvirt",
	.description = "persistent libvirt domains named unik-<name> (libvirt.uri; kvm or tcg)",
	.aliases = lv_aliases,
	.auto_priority = 0, /* only when asked for: domains outlive unik */
	.formats = lv_formats,
	.min_memory_mb = GUEST_MIN_MEMORY_MB,
	.max_memory_mb = GUEST_MAX_MEMORY_MB,
	.accels = lv_accels,
	.accel_key = LV_ACCEL_KEY,
	.console_log = 1,
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP),
	.volume_formats = lv_volume_formats,
	.max_volumes = LV_MAX_VOLUMES,
	.check = lv_check,
	.probe = lv_probe,
	.start = lv_start,
	.stop = lv_stop,
	.collect = lv_collect,
	.remove = lv_remove,
	.status = lv_status,
};
