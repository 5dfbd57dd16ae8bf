/* provider.h - the provider plugin interface.
 *
 * A provider runs images.  Each one is a `const struct unik_provider` in
 * providers/<name>/, listed once in providers/registry.c.  The daemon calls
 * it only through providers/dispatch.h, the one place that knows what a
 * NULL operation means: an operation a provider cannot do is NULL, and a
 * request that needs it gets 501 naming the provider and the operation.
 * Providers never carry stubs.  What a provider can do (the capabilities
 * `GET /v1/providers` lists) is derived from its operations and fields.
 *
 * Process-based providers (qemu, hvt, spt) return the host pid of the VM
 * from start(); the daemon supervises it (pidfd) and calls collect() when it
 * ends.  The daemon owns the instance record; providers own only files in
 * spec->dir.  Calls for different instances run at the same time (the
 * daemon holds no lock across them); calls for one instance never do.
 *
 * Crash safety: a provider that forks the VM's process tells the daemon its
 * pid through spec->spawned before the child may exec, and the child never
 * execs unless that returned 0 (it waits on a pipe whose end the daemon
 * holds; a daemon killed meanwhile closes it and the child exits).  So a VM
 * process exists only once its pid is in the instance's record.  The VM's
 * process also carries the instance id (on its command line or in the
 * paths of its open files: see supervisor_pid_is_vm) and runs in its own
 * session.  providers/common/spawn.h does all of this.
 */
#ifndef UNIK_PROVIDER_H
#define UNIK_PROVIDER_H

#include <stddef.h>
#include <sys/types.h>

#include "../lib/config.h"
#include "../lib/error.h"
#include "../lib/strv.h"

/* How an instance is networked.  The daemon decides and owns the host's
 * side (the bridge, the taps, the addresses, the published ports); the
 * provider attaches the guest to what it is given. */
enum unik_net_mode {
	UNIK_NET_NONE = 0, /* no network device */
	UNIK_NET_TAP, /* a tap on the daemon's bridge; its ports are relayed by the daemon */
	UNIK_NET_USER, /* no bridge here: the provider's own user-mode network, which
			* publishes the ports itself and gives the guest its address */
	UNIK_NET_BRIDGE, /* the provider attaches an interface of its own making (Xen's
			  * vif back end) to the daemon's bridge; the daemon gives the
			  * bridge's name, the MAC and the address, and relays the ports
			  * as for TAP.  Chosen only for providers without TAP. */
};

/* A provider's net_modes bit for mode `m`. */
#define UNIK_NET_MODE_BIT(m) (1u << (m))

struct portspec;

struct unik_net_spec {
	enum unik_net_mode mode;
	const char *mac; /* "02:xx:xx:xx:xx:xx" */
	/* TAP: the host's tap device; TAP and BRIDGE: the guest's address on the bridge */
	const char *tap;
	const char *bridge; /* BRIDGE: the daemon's bridge to attach to (e.g. "unik0") */
	const char *address; /* dotted IPv4; USER: NULL, the provider's network decides */
	int prefix; /* of address */
	const char *gateway;
	/* the DNS server the guest is told, or NULL (USER: the provider's own) */
	const char *dns;
	/* USER: the ports to publish (host address and port to the guest's
	 * port, TCP), each through the provider's own mechanism.  TAP, BRIDGE:
	 * none (the daemon relays them itself). */
	const struct portspec *ports;
	size_t n_ports;
};

/* One volume of a run (docs/volumes.md): a disk the guest mounts.  The
 * guest finds its disks in the order of spec->volumes (disk 0 first: the
 * order of the monitors' --block options, of QEMU's virtio-blk devices,
 * of libvirt's <disk> elements) and mounts disk i as the boot word
 * " unik.mount=<enc>" of "i:PATH:FSTYPE:ro|rw" says (abi/boot.h;
 * providers/common/guest.h writes these words).  All borrowed. */
struct unik_volume_spec {
	const char *name; /* the volume's name, for messages */
	const char *disk; /* path of its disk file, in `format` */
	const char *format; /* "raw", "qcow2" or "vmdk": one of the provider's volume_formats */
	const char *path; /* absolute mount path in the guest */
	const char *fstype; /* "ext2", "ext4" or "fat" */
	int read_only; /* the disk is given read-only, and mounted so */
};

/* Everything a provider needs to run one instance.  All borrowed. */
#define UNIK_CONSOLE_INPUT 1
#define UNIK_CONSOLE_INPUT_EOT 2

struct unik_run_spec {
	const char *id; /* instance id */
	const char *name; /* instance name */
	const char *dir; /* the instance's private folder (exists) */
	const char *log_path; /* console log file the provider appends to */
	/* The second console log: the guest's standard error, the runtime's and
	 * the monitor's own lines, for providers whose console keeps the two
	 * apart (hvt, spt); the rest write everything to log_path. */
	const char *err_path;
	const char *format; /* image format: UNIK_FORMAT_* (api/formats.h) */
	const char *kernel; /* path of the image's kernel artifact */
	const char *initrd; /* path of the initrd artifact or NULL */
	int memory_mb;
	const struct strv *args;
	const struct strv *env;
	const char *accel; /* "auto" or one of the provider's accels */
	const struct unik_net_spec *net; /* NULL or mode NONE: no network */
	int trace, verbose; /* unik-elf images: the runtime's unik.strace, unik.verbose */
	/* The volumes, in disk order (none unless the provider has
	 * volume_formats; at most its max_volumes). */
	const struct unik_volume_spec *volumes;
	size_t n_volumes;
	/* The guest's disk index of the first volume (the DISK of its
	 * unik.mount= word): 0, unless the guest sees other disks first (a VM
	 * booted from a disk of its own: the provider sets 1 in its copy). */
	int disk_base;
	/* Providers with a boot_disk_format: the image's staged disk in that
	 * format (daemon/stagings.c), booting the image's default command line.
	 * Shared by every instance of the image and never written: a provider
	 * boots a copy (disk_stage_set_cmdline gives the copy this run's
	 * command line).  NULL otherwise. */
	const char *boot_disk;
	/* The image's companion for this provider (its companion_compiler's
	 * build, api/types.h), or NULL: its format, kernel and staged disk in
	 * boot_disk_format.  The provider chooses between the two per run. */
	const char *companion_format;
	const char *companion_kernel;
	const char *companion_disk;
	/* Providers with publish(): the reference publish() returned for the
	 * image (e.g. "ami-0123 snap-4567"), made before the first start of an
	 * instance of it.  NULL otherwise. */
	const char *published;
	const struct unik_config *cfg;
	/* The read end of the instance's console input (a pipe the daemon
	 * writes), for providers with console_input; 0: none (the daemon's own
	 * fd 0 is never an instance's), the program's standard input is at end
	 * of file. */
	int stdin_fd;
	/* Called by start() in the parent right after forking the VM's process,
	 * before that process may exec (NULL: nobody to tell).  Non-zero: the
	 * provider kills the child and start() fails with err. */
	int (*spawned)(void *ctx, pid_t pid, struct unik_err *err);
	void *spawned_ctx;
};

/* An image copied to the provider's side (an AWS AMI: a snapshot of its
 * staged disk, registered), for providers whose VMs boot only from images
 * kept there.  All borrowed. */
struct unik_publish_spec {
	const char *image_id;
	const char *image_name; /* "name:tag", or NULL */
	const char *digest; /* the image's manifest digest, "sha256:<hex>" */
	const char *format; /* image format: UNIK_FORMAT_* */
	const char *kernel; /* path of the image's kernel artifact */
	/* with a boot_disk_format: the image's staged disk in it, else NULL */
	const char *disk;
	/* A folder of the provider's own for this image and this provider:
	 * it exists, outlives daemon restarts and is removed with the image, so
	 * a publish cut short (the daemon stopped) resumes from what it left
	 * there. */
	const char *dir;
	int memory_mb; /* the image's default memory (0: none) */
	/* The image's companion for this provider (as in the run spec), or
	 * NULL; companion_digest: its manifest digest as an image of its own.
	 * publish makes its copy too, and its reference names both. */
	const char *companion_format;
	const char *companion_kernel;
	const char *companion_disk;
	const char *companion_digest;
	const struct unik_config *cfg;
	/* Called with a line of progress now and then ("block 12/40"), or NULL. */
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
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
	/* Other names it answers to, NULL-terminated (may be NULL). */
	const char *const *aliases;
	/* Its rank for runs that name no provider under
	 * daemon.default_provider = auto: the usable provider of the highest
	 * rank that boots the image's format is chosen.  0: never chosen so. */
	int auto_priority;
	/* Image formats it can boot (UNIK_FORMAT_*), NULL-terminated. */
	const char *const *formats;
	/* Guest memory it boots, in MiB (the daemon refuses others with 400). */
	int min_memory_mb, max_memory_mb;
	/* Values of a run's accel it honours besides "auto", NULL-terminated
	 * (NULL: only "auto"). */
	const char *const *accels;
	/* The staged disk its VMs boot from: "raw" (providers/common/
	 * disk_stage.h), which the daemon stages once per image and passes as
	 * spec->boot_disk; NULL: its VMs boot spec->kernel. */
	const char *boot_disk_format;
	/* The compiler whose build of an image's sources it also wants, for
	 * the machines the image's own build does not run on (aws: "linux",
	 * for instance types whose network the unik runtime does not drive).
	 * `unik build --provider NAME` makes that build too, when it is not
	 * the image's own compiler, and keeps it as the image's companion
	 * (api/types.h); the provider picks between the two at start.  NULL:
	 * it wants none. */
	const char *companion_compiler;
	/* The configuration key whose value is the accel of runs that name
	 * none ("qemu.accel"); NULL: "auto". */
	const char *accel_key;
	/* 1 if the guest's console is appended to spec->log_path. */
	int console_log;
	/* Non-zero if it feeds spec->stdin_fd to the guest's console input
	 * (the program's standard input: unik run -i): UNIK_CONSOLE_INPUT,
	 * or UNIK_CONSOLE_INPUT_EOT when the guest learns the end of the input
	 * from a last byte 0x04 (a serial port has no end of file: qemu). */
	int console_input;
	/* The network modes it attaches: UNIK_NET_MODE_BIT(UNIK_NET_TAP) | ... */
	unsigned net_modes;
	/* The disk formats of volumes it attaches ("raw", "qcow2", "vmdk"),
	 * NULL-terminated, its default first ("<name>.volume_format" in the
	 * configuration may choose another of them for read-only volumes; a
	 * read-write volume is always its master, raw: docs/volumes.md).
	 * NULL: it attaches no volumes (a run with volumes gets 501). */
	const char *const *volume_formats;
	/* How many volumes one instance may have on it (with volume_formats). */
	int max_volumes;

	/* The operations.  Each may be NULL; the daemon calls them only through
	 * providers/dispatch.h, which answers UNSUPPORTED (501) for a NULL one
	 * that the request needs, and says what a NULL one means otherwise. */

	/* Checks a run before anything is made for it (the daemon answers 400
	 * with err): what the guest's boot command line can hold, counts of
	 * arguments, ...  spec->net is NULL here.  NULL: nothing to check. */
	int (*check)(const struct unik_run_spec *spec, struct unik_err *err);
	/* Usable here?  0, or -1 with the reason in err.  NULL: always. */
	int (*probe)(const struct unik_config *cfg, struct unik_err *err);
	/* Boots the instance; fills vm.  Must not block until the guest ends. */
	int (*start)(const struct unik_run_spec *spec, struct unik_vm *vm, struct unik_err *err);
	/* Asks the guest to stop, waits up to timeout_s, then forces it. */
	int (*stop)(const struct unik_run_spec *spec, pid_t pid, int timeout_s,
		    struct unik_err *err);
	/* After the VM process ended (wait_status from waitpid, or -1 if it was
	 * not our child): works out the program's exit status.  NULL: the
	 * process's own exit status is the program's. */
	int (*collect)(const struct unik_run_spec *spec, int wait_status, struct unik_exit *out,
		       struct unik_err *err);
	/* Removes provider-side state of a stopped instance.  NULL: it keeps
	 * none outside spec->dir. */
	int (*remove)(const struct unik_run_spec *spec, struct unik_err *err);
	/* For VMs that live outside the daemon (libvirt domains, which operators
	 * may also drive with their own tools): where the instance's VM stands,
	 * asked of the provider itself.  Fills *state, and *pid for
	 * UNIK_VM_RUNNING (0 when there is no host process to supervise).  -1
	 * with err when the provider cannot tell (e.g. its daemon is down): the
	 * caller then keeps the instance as recorded.  NULL: the VM is the host
	 * process whose pid start() returned, and the daemon watches it. */
	int (*status)(const struct unik_run_spec *spec, enum unik_vm_state *state, pid_t *pid,
		      struct unik_err *err);
	/* Hot-plug: gives the running VM of `spec` (host process `pid`, or 0)
	 * the volume `vol` as its next disk (index spec->n_volumes), mounted by
	 * the guest at vol->path; detach_volume takes the disk of `vol` (one of
	 * spec->volumes) away again after the guest let go of it.  NULL: volumes
	 * are attached to and detached from stopped instances only (a request
	 * for a running one gets 501). */
	int (*attach_volume)(const struct unik_run_spec *spec, pid_t pid,
			     const struct unik_volume_spec *vol, struct unik_err *err);
	int (*detach_volume)(const struct unik_run_spec *spec, pid_t pid,
			     const struct unik_volume_spec *vol, struct unik_err *err);
	/* Images kept on the provider's side.  publish makes the provider's
	 * copy of an image and writes its reference (printable, no newline)
	 * to ref[ref_size]; the daemon keeps it with the image and passes it
	 * to every start as spec->published.  It may take minutes and must
	 * resume what an earlier call left in spec->dir.  unpublish removes
	 * the copy `ref` names (the image is being removed); removing one
	 * already gone is not an error.  NULL publish: its VMs boot the
	 * image's artifacts themselves (NULL unpublish then: nothing to
	 * remove). */
	int (*publish)(const struct unik_publish_spec *spec, char *ref, size_t ref_size,
		       struct unik_err *err);
	int (*unpublish)(const struct unik_publish_spec *spec, const char *ref,
			 struct unik_err *err);
};

#endif
