/* qemu.c - the "qemu" provider: one qemu-system-x86_64 (microvm) per
 * instance, started detached so it outlives a daemon restart.
 *
 * The guest reports its program's status as "unik-exit-status=<n>" on its
 * second serial port, which qemu writes to the file `status`; collect()
 * reads it.  stop() presses the ACPI power button over QMP
 * (system_powerdown) once the guest wrote "unik-ready" there: our Linux
 * init then sends SIGTERM to the program, and on a second press after the
 * timeout SIGKILL; qemu itself is killed only if the guest still does not
 * power off.  A unik-elf guest (no ACPI) gets an NMI instead (QMP
 * inject-nmi), which the unik runtime turns into SIGTERM for its program;
 * after the timeout qemu is killed.
 */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/clock.h"
#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "../common/accel.h"
#include "../common/guest.h"
#include "../common/process.h"
#include "../common/spawn.h"

#define BOOT_WATCH_TCG_MS 250 /* qemu's own start-up errors show within this */
#define BOOT_WATCH_KVM_MS 1000 /* and a KVM "emulation failure" usually too */
#define BOOT_READY_KVM_MS 3000 /* Linux under real KVM is ready in well under 1 s */
#define QMP_TIMEOUT_MS 2000
#define SECOND_PRESS_WAIT_MS 3000 /* after the SIGKILL press, for the guest to report */
#define KILL_WAIT_MS 5000
#define READY_LINE UNIK_READY_LINE /* our init listens to the power button */
#define READY_POLL_MS 50

static const char *const qemu_formats[] = { UNIK_FORMAT_LINUX_INITRD, UNIK_FORMAT_UNIK_ELF, NULL };
static const char *const qemu_accels[] = { "kvm", "tcg", NULL };

void qemu_paths_init(struct qemu_paths *p, const char *dir)
{
	p->qmp = xasprintf("%s/qmp.sock", dir);
	p->pid = xasprintf("%s/qemu.pid", dir);
	p->log = xasprintf("%s/qemu.log", dir);
	p->status = xasprintf("%s/status", dir);
	p->killed = xasprintf("%s/killed", dir);
}

void qemu_paths_release(struct qemu_paths *p)
{
	free(p->qmp);
	free(p->pid);
	free(p->log);
	free(p->status);
	free(p->killed);
}

/* The last `max` bytes of `path` from a line start, trimmed; "" if none. */
static void file_tail(const char *path, size_t max, struct strbuf *out)
{
	struct strbuf all = STRBUF_INIT;

	if (fs_read_file(path, &all, NULL) == 0)
		guest_tail_line(all.buf ? all.buf : "", all.len, max, out);
	strbuf_release(&all);
}

static int file_contains(const char *path, const char *needle)
{
	struct strbuf sb = STRBUF_INIT;
	int found = fs_read_file(path, &sb, NULL) == 0 && strstr(strbuf_str(&sb), needle);

	strbuf_release(&sb);
	return found;
}

/* qemu reports a guest KVM cannot run like this, then pauses the VM. */
static int log_has_kvm_failure(const char *log)
{
	return file_contains(log, "emulation failure") || file_contains(log, "KVM internal error");
}

/* Forks and execs qemu in the instance folder (its QMP socket path stays
 * short), its own output into qemu.log; the pid once exec succeeded, or -1. */
static pid_t spawn(const struct unik_run_spec *spec, const struct strv *argv, const char *log,
		   struct unik_err *err)
{
	struct spawn_opts so = {
		.argv = argv->v,
		.out_path = log,
		.out_append = 0,
		.cwd = spec->dir,
		.in_fd = spec->stdin_fd, /* COM4's chardev (argv.c) */
	};
	pid_t pid;

	if (provider_spawn(spec, &so, &pid, err))
		return -1;
	return pid;
}

enum boot_watch { BOOT_RUNNING, BOOT_KVM_FAILED, BOOT_FAILED };

/* Watches a fresh qemu for a moment without reaping it unless it failed.
 * Under KVM a guest it cannot run either makes qemu print "emulation
 * failure" and pause, or (software-nested KVM) crawl: so a Linux guest
 * must say "unik-ready" within BOOT_READY_KVM_MS, else qemu is killed,
 * reaped and BOOT_KVM_FAILED returned (`why` says what was seen).  qemu
 * exiting before the guest reported anything is BOOT_FAILED (reaped, err
 * holds qemu's words). */
static enum boot_watch boot_watch(pid_t pid, const struct qemu_paths *p, const char *accel,
				  int is_linux, char *why, size_t why_len, struct unik_err *err)
{
	int is_kvm = !strcmp(accel, "kvm");
	int need_ready = is_kvm && is_linux;
	long long end = clock_now_ms() + (need_ready ? BOOT_READY_KVM_MS
					  : is_kvm   ? BOOT_WATCH_KVM_MS
						     : BOOT_WATCH_TCG_MS);
	struct strbuf tail = STRBUF_INIT;
	enum boot_watch r = BOOT_RUNNING;

	for (;;) {
		siginfo_t si;
		int exited, timed_out;

		memset(&si, 0, sizeof(si));
		exited = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			 si.si_pid == pid;
		timed_out = clock_now_ms() >= end;
		if (is_kvm && log_has_kvm_failure(p->log)) {
			snprintf(why, why_len, "kvm could not run the guest (emulation failure)");
			r = BOOT_KVM_FAILED;
		} else if (need_ready && timed_out && !exited &&
			   !file_contains(p->status, READY_LINE)) {
			snprintf(why, why_len, "the guest did not boot under kvm within %d ms",
				 BOOT_READY_KVM_MS);
			r = BOOT_KVM_FAILED;
		}
		if (r == BOOT_KVM_FAILED) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			break;
		}
		if (exited) {
			if (guest_status_read(p->status) >= 0)
				break;
			waitpid(pid, NULL, 0);
			file_tail(p->log, 200, &tail);
			if (tail.len)
				unik_err_set(err, UNIK_E_INTERNAL, "qemu exited at once: %s",
					     strbuf_str(&tail));
			else
				unik_err_set(err, UNIK_E_INTERNAL,
					     "the guest ended during its boot without an exit "
					     "status (a Linux image given too little memory "
					     "does this; try more with -m)");
			r = BOOT_FAILED;
			break;
		}
		if (timed_out || (need_ready && file_contains(p->status, READY_LINE)))
			break;
		clock_sleep_ms(20);
	}
	strbuf_release(&tail);
	return r;
}

static void remove_files(const struct qemu_paths *p, int with_log)
{
	unlink(p->status);
	unlink(p->killed);
	unlink(p->qmp);
	unlink(p->pid);
	if (with_log)
		unlink(p->log);
}

static int qemu_start(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	struct qemu_paths p;
	struct strv argv = STRV_INIT;
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	const char *accel;
	char *binary = NULL;
	char why[160];
	pid_t pid = -1;
	int rc = -1;

	memset(vm, 0, sizeof(*vm));
	qemu_paths_init(&p, spec->dir);
	binary = qemu_binary(spec->cfg, err);
	if (!binary || accel_choose(accel_wanted(spec, QEMU_ACCEL_KEY), &accel, vm->note,
				    sizeof(vm->note), err) < 0)
		goto cleanup;
	for (int attempt = 0;; attempt++) {
		enum boot_watch w;

		remove_files(&p, 0);
		strv_release(&argv);
		if (qemu_argv_build(spec, &p, binary, accel, &argv, err) < 0)
			goto cleanup;
		pid = spawn(spec, &argv, p.log, err);
		if (pid < 0)
			goto cleanup;
		w = boot_watch(pid, &p, accel, is_linux, why, sizeof(why), err);
		if (w == BOOT_FAILED)
			goto cleanup;
		if (w == BOOT_RUNNING)
			break;
		if (attempt > 0) {
			unik_err_set(err, UNIK_E_INTERNAL, "guest failed under kvm and tcg");
			goto cleanup;
		}
		accel = "tcg";
		snprintf(vm->note, sizeof(vm->note), "tcg because %s", why);
	}
	vm->pid = pid;
	snprintf(vm->accel_used, sizeof(vm->accel_used), "%s", accel);
	rc = 0;
cleanup:
	strv_release(&argv);
	free(binary);
	qemu_paths_release(&p);
	return rc;
}

/* 1 if `pid` is the qemu of this instance (its command line names our pid
 * file): after a daemon restart the pid may belong to someone else. */
static int pid_is_ours(pid_t pid, const struct qemu_paths *p)
{
	return proc_cmdline_has(pid, p->pid);
}

/* Waits until the guest wrote READY_LINE (0) or ended (1), at most until
 * `end`. */
static int wait_ready(int pidfd, const struct qemu_paths *p, long long end)
{
	while (!file_contains(p->status, READY_LINE) && clock_now_ms() < end)
		if (proc_wait_gone(pidfd, READY_POLL_MS) == 1)
			return 1;
	return 0;
}

static int qemu_stop(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		     struct unik_err *err)
{
	struct unik_err qerr = UNIK_ERR_INIT;
	struct qemu_paths p;
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	int pidfd = -1, rc = -1;
	long long end;

	qemu_paths_init(&p, spec->dir);
	pidfd = proc_pidfd(pid);
	if (pidfd < 0) {
		rc = pid <= 0 || errno == ESRCH
			 ? 0 /* already gone */
			 : unik_err_set(err, UNIK_E_INTERNAL, "cannot watch pid %d: %s", (int)pid,
					strerror(errno));
		goto cleanup;
	}
	/* Checked with the pidfd held, so the pid cannot be reused meanwhile. */
	if (!pid_is_ours(pid, &p)) {
		rc = 0; /* ended (a zombie has no command line) or not ours any more */
		goto cleanup;
	}
	end = clock_now_ms() + (long long)timeout_s * 1000;
	/* A press before our init listens is lost: wait until it says so. */
	if (timeout_s > 0 && is_linux && wait_ready(pidfd, &p, end)) {
		rc = 0;
		goto cleanup;
	}
	if (timeout_s > 0 && qmp_execute(p.qmp, is_linux ? "system_powerdown" : "inject-nmi",
					 QMP_TIMEOUT_MS, &qerr) == 0) {
		if (proc_wait_gone(pidfd, (int)(end > clock_now_ms() ? end - clock_now_ms() : 0)) ==
		    1) {
			rc = 0;
			goto cleanup;
		}
		/* Second press: the init SIGKILLs the program and still reports. */
		if (is_linux &&
		    qmp_execute(p.qmp, "system_powerdown", QMP_TIMEOUT_MS, &qerr) == 0 &&
		    proc_wait_gone(pidfd, SECOND_PRESS_WAIT_MS) == 1) {
			rc = 0;
			goto cleanup;
		}
	}
	fs_write_file_atomic(p.killed, "9\n", 2, 0644, NULL);
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH) {
		unik_err_set(err, UNIK_E_INTERNAL, "cannot kill pid %d: %s", (int)pid,
			     strerror(errno));
		goto cleanup;
	}
	if (proc_wait_gone(pidfd, KILL_WAIT_MS) != 1) {
		unik_err_set(err, UNIK_E_INTERNAL, "pid %d survived SIGKILL", (int)pid);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	qemu_paths_release(&p);
	return rc;
}

static int qemu_collect(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
			struct unik_err *err)
{
	struct qemu_paths p;
	struct strbuf tail = STRBUF_INIT;
	int code, killed_sig = 0;

	qemu_paths_init(&p, spec->dir);
	out->exit_code = -1;
	out->message[0] = '\0';
	code = guest_status_read(p.status);
	if (code >= 0) {
		out->exit_code = code;
		snprintf(out->message, sizeof(out->message), "exited");
		goto cleanup;
	}
	/* unik-elf guests may use isa-debug-exit: qemu exits (value << 1) | 1. */
	if (spec->format && !strcmp(spec->format, UNIK_FORMAT_UNIK_ELF) && wait_status >= 0 &&
	    WIFEXITED(wait_status) && (WEXITSTATUS(wait_status) & 1) && fs_file_size(p.log) == 0) {
		out->exit_code = WEXITSTATUS(wait_status) >> 1;
		snprintf(out->message, sizeof(out->message), "exited");
		goto cleanup;
	}
	if (fs_exists(p.killed))
		killed_sig = SIGKILL;
	else if (wait_status >= 0 && WIFSIGNALED(wait_status))
		killed_sig = WTERMSIG(wait_status);
	if (killed_sig) {
		out->exit_code = 128 + killed_sig;
		snprintf(out->message, sizeof(out->message), "killed");
		goto cleanup;
	}
	if (log_has_kvm_failure(p.log)) {
		snprintf(
		    out->message, sizeof(out->message),
		    "boot failed: kvm cannot run this guest (emulation failure); use accel tcg");
		goto cleanup;
	}
	file_tail(p.log, 120, &tail);
	if (tail.len)
		snprintf(out->message, sizeof(out->message),
			 "boot failed: no exit status from the guest: %s", strbuf_str(&tail));
	else
		snprintf(out->message, sizeof(out->message),
			 "boot failed: no exit status from the guest (for a linux-initrd image, "
			 "qemu.kernel_args = loglevel=7 shows the kernel's messages)");
cleanup:
	strbuf_release(&tail);
	qemu_paths_release(&p);
	return 0;
}

static int qemu_remove(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct qemu_paths p;

	qemu_paths_init(&p, spec->dir);
	remove_files(&p, 1);
	qemu_paths_release(&p);
	return 0;
}

/* On success err->msg (code UNIK_E_OK) says what accel auto picks. */
static int qemu_probe(const struct unik_config *cfg, struct unik_err *err)
{
	char why[160];
	char *binary = qemu_binary(cfg, err);

	if (!binary)
		return -1;
	free(binary);
	if (accel_kvm_usable(why, sizeof(why)))
		unik_err_set(err, UNIK_E_OK, "kvm usable: auto picks kvm");
	else
		unik_err_set(err, UNIK_E_OK, "kvm not usable (%s): auto picks tcg", why);
	return 0;
}

const struct unik_provider unik_provider_qemu = {
	.name = "qemu",
	.description = "qemu-system-x86_64 microvm, one process per instance (kvm or tcg)",
	.auto_priority = 10, /* after hvt and spt: Linux images, or no monitor here */
	.formats = qemu_formats,
	.min_memory_mb = GUEST_MIN_MEMORY_MB,
	.max_memory_mb = GUEST_MAX_MEMORY_MB,
	.accels = qemu_accels,
	.accel_key = QEMU_ACCEL_KEY,
	.console_log = 1,
	.console_input = UNIK_CONSOLE_INPUT_EOT, /* COM4; unik-elf images */
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP) | UNIK_NET_MODE_BIT(UNIK_NET_USER),
	.volume_formats = qemu_volume_formats,
	.max_volumes = QEMU_MAX_VOLUMES,
	.check = qemu_check,
	.probe = qemu_probe,
	.start = qemu_start,
	.stop = qemu_stop,
	.collect = qemu_collect,
	.remove = qemu_remove,
};
