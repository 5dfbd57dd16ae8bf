/* mock.c - the mock providers' operations and vtables (see mock.h). */
#include "mock_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/portspec.h"
#include "../../lib/run.h"
#include "../common/process.h"
#include "../common/spawn.h"

#define MOCK_STOP_WAIT_MS 5000 /* for a mock-proc VM to end after SIGKILL */
#define MOCK_VM_SECONDS "600" /* how long a mock-proc VM runs unless ended */

static const char *const all_formats[] = { UNIK_FORMAT_UNIK_ELF, UNIK_FORMAT_LINUX_INITRD, NULL };
static const char *const elf_formats[] = { UNIK_FORMAT_UNIK_ELF, NULL };
static const char *const mock_accels[] = { "kvm", "tcg", NULL };
static const char *const mock_aliases[] = { "test", NULL };
static const char *const mock_volume_formats[] = { "raw", "qcow2", NULL };
static const char *const proc_volume_formats[] = { "raw", NULL };

/* A line in the instance's console log, as a guest would write. */
static void console_say(const struct unik_run_spec *spec, const char *what)
{
	int fd = open(spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	char line[256];
	int n;

	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "mock: %s %s\n", spec->name ? spec->name : "?", what);
	if (n > 0 && write(fd, line, (size_t)n) < 0)
		n = 0;
	close(fd);
}

/* What the start of `v` was given for the network (mock_lock held). */
static void note_net(struct mock_vm *v, const struct unik_net_spec *net)
{
	v->net_mode = net ? net->mode : UNIK_NET_NONE;
	v->n_ports = net && net->ports ? (int)net->n_ports : 0;
	v->port0[0] = 0;
	if (v->n_ports)
		snprintf(v->port0, sizeof(v->port0), "%s:%d-%d", net->ports[0].host_ip,
			 net->ports[0].host_port, net->ports[0].guest_port);
}

/* One disk of `v` (mock_lock held). */
static void add_disk(struct mock_vm *v, const struct unik_volume_spec *d)
{
	size_t used = strlen(v->disks);

	snprintf(v->disks + used, sizeof(v->disks) - used, "%s%s:%s:%s:%s", used ? " " : "",
		 d->name, d->path, d->read_only ? "ro" : "rw", d->format);
	v->n_disks++;
}

/* The disks the start of `v` was given (mock_lock held). */
static void note_disks(struct mock_vm *v, const struct unik_run_spec *spec)
{
	v->disks[0] = 0;
	v->n_disks = 0;
	for (size_t i = 0; spec->volumes && i < spec->n_volumes; i++)
		add_disk(v, &spec->volumes[i]);
}

static int mock_probe(const struct unik_provider *p, const struct unik_config *cfg,
		      struct unik_err *err)
{
	return mock_enter(p, MOCK_PROBE, err);
}

static int probe_mock(const struct unik_config *cfg, struct unik_err *err)
{
	return mock_probe(&unik_provider_mock, cfg, err);
}

static int probe_proc(const struct unik_config *cfg, struct unik_err *err)
{
	return mock_probe(&unik_provider_mock_proc, cfg, err);
}

static int probe_nostop(const struct unik_config *cfg, struct unik_err *err)
{
	return mock_probe(&unik_provider_mock_nostop, cfg, err);
}

/* Runs refuse more than this many arguments (a provider's own limit). */
#define MOCK_MAX_ARGS 64

static int check_mock(const struct unik_run_spec *spec, struct unik_err *err)
{
	if (mock_enter(&unik_provider_mock, MOCK_CHECK, err))
		return -1;
	if (spec->args && spec->args->n > MOCK_MAX_ARGS)
		return unik_err_set(err, UNIK_E_INVALID, "mock takes at most %d arguments",
				    MOCK_MAX_ARGS);
	return 0;
}

/* mock and mock-nostop: a VM in the table, no host process. */
static int start_memory(const struct unik_provider *p, const struct unik_run_spec *spec,
			struct unik_vm *vm, struct unik_err *err)
{
	struct mock_vm *v;
	int code;

	memset(vm, 0, sizeof(*vm));
	if (mock_enter(p, MOCK_START, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_get(spec->id);
	if (v->running) {
		pthread_mutex_unlock(&mock_lock);
		return unik_err_set(err, UNIK_E_CONFLICT, "%s: the VM of %s already runs", p->name,
				    spec->name);
	}
	v->running = 1;
	v->exit_code = -1;
	v->ended_by_test = 0;
	note_net(v, spec->net);
	note_disks(v, spec);
	snprintf(v->published, sizeof(v->published), "%s", spec->published ? spec->published : "");
	if (mock_take_end_during_start(&code)) {
		v->running = 0;
		v->exit_code = code;
		v->ended_by_test = 1;
		vm->ended = 1;
	}
	pthread_mutex_unlock(&mock_lock);
	snprintf(vm->accel_used, sizeof(vm->accel_used), "mock");
	console_say(spec, "started");
	return 0;
}

static int start_mock(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	return start_memory(&unik_provider_mock, spec, vm, err);
}

static int start_nostop(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	return start_memory(&unik_provider_mock_nostop, spec, vm, err);
}

static int stop_mock(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		     struct unik_err *err)
{
	struct mock_vm *v;

	if (mock_enter(&unik_provider_mock, MOCK_STOP, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	if (v && v->running) {
		v->running = 0;
		if (!v->ended_by_test)
			v->exit_code = timeout_s > 0 ? 128 + SIGTERM : 128 + SIGKILL;
	}
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

static int collect_vm(const struct unik_provider *p, const struct unik_run_spec *spec,
		      int wait_status, struct unik_exit *out, struct unik_err *err)
{
	struct mock_vm *v;

	if (mock_enter(p, MOCK_COLLECT, err))
		return -1;
	out->exit_code = -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	if (v) {
		v->running = 0;
		if (!v->ended_by_test && wait_status != -1 && WIFSIGNALED(wait_status))
			v->exit_code = 128 + WTERMSIG(wait_status);
		out->exit_code = v->exit_code;
		snprintf(out->message, sizeof(out->message), "%s",
			 v->ended_by_test ? "exited" : "stopped");
	} else {
		snprintf(out->message, sizeof(out->message), "%s has no VM of %s", p->name,
			 spec->name);
	}
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

static int collect_mock(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
			struct unik_err *err)
{
	return collect_vm(&unik_provider_mock, spec, wait_status, out, err);
}

static int collect_proc(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
			struct unik_err *err)
{
	return collect_vm(&unik_provider_mock_proc, spec, wait_status, out, err);
}

static int collect_nostop(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
			  struct unik_err *err)
{
	return collect_vm(&unik_provider_mock_nostop, spec, wait_status, out, err);
}

static int remove_vm(const struct unik_provider *p, const struct unik_run_spec *spec,
		     struct unik_err *err)
{
	struct mock_vm *v;
	int rc = 0;

	if (mock_enter(p, MOCK_REMOVE, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	if (v && v->running) /* the daemon removes only what it stopped */
		rc = unik_err_set(err, UNIK_E_INTERNAL, "%s: the VM of %s still runs", p->name,
				  spec->name);
	else
		mock_vm_forget(spec->id);
	pthread_mutex_unlock(&mock_lock);
	return rc;
}

static int remove_mock(const struct unik_run_spec *spec, struct unik_err *err)
{
	return remove_vm(&unik_provider_mock, spec, err);
}

static int remove_proc(const struct unik_run_spec *spec, struct unik_err *err)
{
	return remove_vm(&unik_provider_mock_proc, spec, err);
}

static int status_mock(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		       struct unik_err *err)
{
	struct mock_vm *v;

	*pid = 0;
	if (mock_enter(&unik_provider_mock, MOCK_STATUS, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	*state = !v ? UNIK_VM_GONE : v->running ? UNIK_VM_RUNNING : UNIK_VM_STOPPED;
	pthread_mutex_unlock(&mock_lock);
	return 0;
}

/* Hot-plug on the running in-memory VM: the disk is added to (or taken
 * from) its list. */
static int attach_mock(const struct unik_run_spec *spec, pid_t pid,
		       const struct unik_volume_spec *vol, struct unik_err *err)
{
	struct mock_vm *v;
	int rc = 0;

	if (mock_enter(&unik_provider_mock, MOCK_ATTACH_VOLUME, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	if (!v || !v->running)
		rc = unik_err_set(err, UNIK_E_INTERNAL, "mock: no VM of %s runs", spec->name);
	else
		add_disk(v, vol);
	pthread_mutex_unlock(&mock_lock);
	return rc;
}

static int detach_mock(const struct unik_run_spec *spec, pid_t pid,
		       const struct unik_volume_spec *vol, struct unik_err *err)
{
	struct mock_vm *v;
	int rc = 0;

	if (mock_enter(&unik_provider_mock, MOCK_DETACH_VOLUME, err))
		return -1;
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_find(spec->id);
	if (!v || !v->running) {
		rc = unik_err_set(err, UNIK_E_INTERNAL, "mock: no VM of %s runs", spec->name);
	} else {
		/* the spec lists the disks it keeps: the VM now has those */
		v->disks[0] = 0;
		v->n_disks = 0;
		for (size_t i = 0; i < spec->n_volumes; i++)
			if (strcmp(spec->volumes[i].name, vol->name))
				add_disk(v, &spec->volumes[i]);
	}
	pthread_mutex_unlock(&mock_lock);
	return rc;
}

/* mock-proc: the VM is a `sleep` whose output goes to the console log
 * (which names the instance's folder: the daemon re-adopts it by that). */
static int start_proc(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err)
{
	char *sleep_bin = NULL;
	/* bounded: a test that dies without its clean-up leaves nothing for long */
	char *argv[] = { NULL, (char *)MOCK_VM_SECONDS, NULL };
	struct spawn_opts so = { .argv = argv, .out_path = spec->log_path, .out_append = 1 };
	struct mock_vm *v;
	pid_t pid;
	int code, ended, rc = -1;

	memset(vm, 0, sizeof(*vm));
	if (mock_enter(&unik_provider_mock_proc, MOCK_START, err))
		return -1;
	sleep_bin = run_which("sleep");
	if (!sleep_bin)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "mock-proc: no sleep in PATH");
	argv[0] = sleep_bin;
	console_say(spec, "starting");
	if (provider_spawn(spec, &so, &pid, err))
		goto cleanup;
	ended = mock_take_end_during_start(&code);
	if (ended) {
		int pidfd = proc_pidfd(pid);

		/* gone before start() returns; not reaped: the supervisor does */
		kill(pid, SIGKILL);
		if (pidfd >= 0) {
			proc_wait_gone(pidfd, MOCK_STOP_WAIT_MS);
			close(pidfd);
		}
	}
	pthread_mutex_lock(&mock_lock);
	v = mock_vm_get(spec->id);
	v->running = !ended;
	v->pid = pid;
	v->exit_code = ended ? code : -1;
	v->ended_by_test = ended;
	note_net(v, spec->net);
	note_disks(v, spec);
	pthread_mutex_unlock(&mock_lock);
	vm->pid = pid;
	snprintf(vm->accel_used, sizeof(vm->accel_used), "process");
	rc = 0;
cleanup:
	free(sleep_bin);
	return rc;
}

static int stop_proc(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		     struct unik_err *err)
{
	int pidfd, gone = 1;

	if (mock_enter(&unik_provider_mock_proc, MOCK_STOP, err))
		return -1;
	pidfd = proc_pidfd(pid);
	if (pidfd < 0)
		return errno == ESRCH ? 0
				      : unik_err_set(err, UNIK_E_INTERNAL, "mock-proc: pidfd: %s",
						     strerror(errno));
	if (timeout_s > 0) {
		kill(pid, SIGTERM);
		gone = proc_wait_gone(pidfd, timeout_s * 1000) == 1;
	}
	if (timeout_s <= 0 || !gone) {
		kill(pid, SIGKILL);
		gone = proc_wait_gone(pidfd, MOCK_STOP_WAIT_MS) == 1;
	}
	close(pidfd);
	if (!gone)
		return unik_err_set(err, UNIK_E_INTERNAL, "mock-proc: pid %d did not end",
				    (int)pid);
	return 0;
}

const struct unik_provider unik_provider_mock = {
	.name = "mock",
	.description = "in-memory VMs for the daemon's unit tests",
	.aliases = mock_aliases,
	.auto_priority = 20,
	.formats = all_formats,
	.min_memory_mb = 2,
	.max_memory_mb = 4096,
	.accels = mock_accels,
	.accel_key = "mock.accel",
	.console_log = 1,
	.net_modes = UNIK_NET_MODE_BIT(UNIK_NET_TAP) | UNIK_NET_MODE_BIT(UNIK_NET_USER),
	.volume_formats = mock_volume_formats,
	.max_volumes = 4,
	.check = check_mock,
	.probe = probe_mock,
	.start = start_mock,
	.stop = stop_mock,
	.collect = collect_mock,
	.remove = remove_mock,
	.status = status_mock,
	.attach_volume = attach_mock,
	.detach_volume = detach_mock,
	.publish = mock_publish,
	.unpublish = mock_unpublish,
};

const struct unik_provider unik_provider_mock_proc = {
	.name = "mock-proc",
	.description = "VMs that are host processes (sleep), for the daemon's unit tests",
	.auto_priority = 10,
	.formats = elf_formats,
	.min_memory_mb = 2,
	.max_memory_mb = 4096,
	.console_log = 1,
	.volume_formats = proc_volume_formats,
	.max_volumes = 2,
	.probe = probe_proc,
	.start = start_proc,
	.stop = stop_proc,
	.collect = collect_proc,
	.remove = remove_proc,
};

const struct unik_provider unik_provider_mock_nostop = {
	.name = "mock-nostop",
	.description = "a mock that starts VMs but cannot stop them",
	.formats = elf_formats,
	.min_memory_mb = 2,
	.max_memory_mb = 4096,
	.probe = probe_nostop,
	.start = start_nostop,
	.collect = collect_nostop,
};

const struct unik_provider unik_provider_mock_none = {
	.name = "mock-none",
	.description = "a mock without a single operation",
	.formats = elf_formats,
	.min_memory_mb = 2,
	.max_memory_mb = 4096,
};
