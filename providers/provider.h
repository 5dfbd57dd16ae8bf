/* provider.h - the provider plugin interface.
 *
 * A provider runs images.  Each one is a `const struct unik_provider` in
 * providers/<name>/, listed once in providers/registry.c.  An operation a
 * provider cannot do is NULL: the daemon then answers 501 naming the
 * provider and the operation.  Providers never carry stubs.
 *
 * Process-based providers (qemu, hvt, spt) return the host pid of the VM
 * from start(); the daemon supervises it (pidfd) and calls collect() when it
 * ends.  The daemon owns the instance record; providers own only files in
 * spec->dir.
 *
 * Crash safety: a provider that forks the VM's process tells the daemon its
 * pid through spec->spawned before the child may exec, and the child never
 * execs unless that returned 0 (it waits on a pipe whose end the daemon
 * holds; a daemon killed meanwhile closes it and the child exits).  So a VM
 * process exists only once its pid is in the instance's record.  The VM's
 * process also carries the instance id (on its command line or in the
 * paths of its open files: see supervisor_pid_is_vm) and runs in its own
 * session.
 */
#ifndef UNIK_PROVIDER_H
#define UNIK_PROVIDER_H

#include <sys/types.h>

#include "../lib/config.h"
#include "../lib/error.h"
#include "../lib/strv.h"

enum {
	UNIK_CAP_RUN = 1 << 0, /* start() */
	UNIK_CAP_STOP = 1 << 1, /* stop() */
	UNIK_CAP_RESTART = 1 << 2, /* start() again after exit */
	UNIK_CAP_LOGS = 1 << 3, /* console captured to log_path */
	UNIK_CAP_EXIT_CODE = 1 << 4, /* collect() reports the program's status */
	UNIK_CAP_NETWORK = 1 << 5, /* a NIC on the daemon's tap (net->mode TAP) */
	UNIK_CAP_USERNET = 1 << 6, /* user-mode networking with hostfwd (net->mode USER) */
};

/* How an instance is networked (decided by the daemon, which owns the
 * bridge, the taps, the addresses and the published ports). */
enum unik_net_mode {
	UNIK_NET_NONE = 0, /* no network device */
	UNIK_NET_TAP, /* a tap on the daemon's bridge; ports relayed by the daemon */
	UNIK_NET_USER, /* QEMU user networking; ports via hostfwd (no root needed) */
};

struct unik_net_spec {
	enum unik_net_mode mode;
	const char *tap; /* TAP: the host tap device */
	const char *mac; /* "02:xx:xx:xx:xx:xx" */
	const char *bootargs; /* words for the guest command line (" unik.ip=..") */
	const struct strv *hostfwd; /* USER: QEMU hostfwd rules ("tcp:127.0.0.1:8080-:8080") */
};

/* Everything a provider needs to run one instance.  All borrowed. */
struct unik_run_spec {
	const char *id; /* instance id */
	const char *name; /* instance name */
	const char *dir; /* the instance's private folder (exists) */
	const char *log_path; /* console log file the provider appends to */
	const char *format; /* image format, e.g. "linux-initrd" */
	const char *kernel; /* path of the image's kernel artifact */
	const char *initrd; /* path of the initrd artifact or NULL */
	int memory_mb;
	const struct strv *args;
	const struct strv *env;
	const char *accel; /* "auto", "kvm" or "tcg" */
	const struct unik_net_spec *net; /* NULL or mode NONE: no network */
	int trace, verbose; /* unik-elf images: the runtime's unik.strace, unik.verbose */
	const struct unik_config *cfg;
	/* Called by start() in the parent right after forking the VM's process,
	 * before that process may exec (NULL: nobody to tell).  Non-zero: the
	 * provider kills the child and start() fails with err. */
	int (*spawned)(void *ctx, pid_t pid, struct unik_err *err);
	void *spawned_ctx;
};

/* What start() reports back. */
struct unik_vm {
	pid_t pid; /* host process to supervise, or 0 */
	int ended; /* the VM ran to its end before start() returned: collect now */
	char accel_used[16]; /* what the provider chose, e.g. "tcg" */
	char note[256]; /* why, for the instance's message (may be empty) */
};

/* What collect() reports after the VM process ended. */
struct unik_exit {
	int exit_code; /* the program's status; -1 unknown */
	char message[256]; /* e.g. "exited", "killed", "boot failed: ..." */
};

/* Where an instance's VM stands on the provider's side (see status()). */
enum unik_vm_state {
	UNIK_VM_RUNNING, /* it runs; the pid of its host process, or 0 if none here */
	UNIK_VM_STOPPED, /* it exists but does not run */
	UNIK_VM_GONE, /* the provider has no VM for the instance (removed outside unik) */
};

struct unik_provider {
	const char *name;
	const char *description;
	unsigned caps;
	/* Image formats it can boot, NULL-terminated. */
	const char *const *formats;
	/* Guest memory it boots, in MiB (the daemon refuses others with 400). */
	int min_memory_mb, max_memory_mb;
	/* Values of a run's accel it honours besides "auto", NULL-terminated
	 * (NULL: only "auto"). */
	const char *const *accels;
	/* Checks a run before anything is made for it (the daemon answers 400
	 * with err): what the guest's boot command line can hold, counts of
	 * arguments, ...  spec->net is NULL here.  May be NULL. */
	int (*check)(const struct unik_run_spec *spec, struct unik_err *err);
	/* Usable here?  0, or -1 with the reason in err. */
	int (*probe)(const struct unik_config *cfg, struct unik_err *err);
	/* Boots the instance; fills vm.  Must not block until the guest ends. */
	int (*start)(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err);
	/* Asks the guest to stop, waits up to timeout_s, then forces it. */
	int (*stop)(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		    struct unik_err *err);
	/* After the VM process ended (wait_status from waitpid, or -1 if it was
	 * not our child): works out the program's exit status. */
	int (*collect)(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		       struct unik_err *err);
	/* Removes provider-side state of a stopped instance (may be NULL). */
	int (*remove)(const struct unik_run_spec *spec, struct unik_err *err);
	/* For VMs that live outside the daemon (libvirt domains, which operators
	 * may also drive with their own tools): where the instance's VM stands,
	 * asked of the provider itself (may be NULL).  Fills *state, and *pid
	 * for UNIK_VM_RUNNING (0 when there is no host process to supervise).
	 * -1 with err when the provider cannot tell (e.g. its daemon is down):
	 * the caller then keeps the instance as recorded. */
	int (*status)(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		      struct unik_err *err);
};

extern const struct unik_provider *const unik_providers[];

/* By name or alias ("kvm" is libvirt); NULL if unknown. */
const struct unik_provider *unik_provider_find(const char *name);
/* 1 if the provider boots images of `format`. */
int unik_provider_accepts(const struct unik_provider *p, const char *format);
/* An image's default memory (a build's `memory`): 0 if some provider boots
 * `mb` MiB, else -1 with err (INVALID) naming the range providers take.
 * Runs check it against their provider's own range. */
int unik_providers_check_memory(long long mb, struct unik_err *err);

#endif
