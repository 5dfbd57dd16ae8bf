/* argv.c - the qemu command line and the guest's kernel command line.
 *
 * Machine: microvm with ACPI (its power button is the graceful stop), or
 * for unik-elf images with qemu.disk_bus = nvme, pc (i440FX and PIIX3, the
 * chipset an AWS Nitro instance presents) with an NVMe controller per
 * volume and a virtio-net PCI NIC.  Console: the built-in COM1 into the instance log.
 * Status: a second 16550 at 0x2f8/irq 3 (the guest's ttyS1) into the file
 * `status`.
 */
#include "qemu.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../api/formats.h"
#include "../../lib/portspec.h"
#include "../../lib/qemu_args.h"
#include "../../lib/run.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "../common/guest.h"

#define DEFAULT_MEMORY_MB 128
/* QEMU's user network (slirp): the guest's address, gateway and DNS */
#define USER_NET_ADDRESS "10.0.2.15"
#define USER_NET_PREFIX 24
#define USER_NET_GATEWAY "10.0.2.2"
#define USER_NET_DNS "10.0.2.3"

const char *const qemu_volume_formats[] = { "raw", "qcow2", NULL };

char *qemu_binary(const struct unik_config *cfg, struct unik_err *err)
{
	const char *name = cfg ? unik_config_get(cfg, "qemu.binary", NULL) : NULL;
	char *path;

	if (!name)
		name = "qemu-system-x86_64";
	path = run_which(name);
	if (!path)
		unik_err_set(err, UNIK_E_UNAVAILABLE,
			     "%s not found (apt-get install qemu-system-x86, or set qemu.binary)",
			     name);
	return path;
}

/* A qemu option value: every ',' doubled. */
static void add_opt_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			strbuf_addch(sb, ',');
		strbuf_addch(sb, *s);
	}
}

static void push_opt(struct strv *argv, const char *flag, const char *prefix, const char *value,
		     const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, prefix);
	add_opt_value(&sb, value);
	strbuf_adds(&sb, suffix);
	strv_push(argv, flag);
	strv_push_owned(argv, strbuf_detach(&sb));
}

static int kernel_cmdline(const struct unik_run_spec *spec, int is_linux, const char *accel,
			  struct strbuf *cmd, struct unik_err *err)
{
	const char *extra = spec->cfg ? unik_config_get(spec->cfg, "qemu.kernel_args", "") : "";

	return guest_cmdline(spec, !strcmp(accel, "tcg"), is_linux ? extra : NULL, 0, cmd, err);
}

const char *qemu_user(const struct unik_config *cfg)
{
	const char *conf = cfg ? unik_config_get(cfg, "qemu.user", NULL) : NULL;

	if (conf && *conf)
		return strcmp(conf, "root") ? conf : NULL;
	return geteuid() == 0 ? "unik" : NULL;
}

int qemu_disk_bus(const struct unik_run_spec *spec, struct unik_err *err)
{
	const char *bus = spec->cfg ? unik_config_get(spec->cfg, QEMU_DISK_BUS_KEY, "") : "";

	if (!*bus || !strcmp(bus, "virtio"))
		return QEMU_BUS_VIRTIO;
	if (strcmp(bus, "nvme"))
		return unik_err_set(err, UNIK_E_INVALID, "%s = %s: it is virtio or nvme",
				    QEMU_DISK_BUS_KEY, bus);
	if (!spec->format || strcmp(spec->format, UNIK_FORMAT_UNIK_ELF))
		return unik_err_set(err, UNIK_E_INVALID,
				    "%s = nvme is for unik-elf images (the unik runtime's NVMe "
				    "driver); this image is %s",
				    QEMU_DISK_BUS_KEY,
				    spec->format ? spec->format : "of no format");
	return QEMU_BUS_NVME;
}

int qemu_check(const struct unik_run_spec *spec, struct unik_err *err)
{
	struct strbuf cmd = STRBUF_INIT;
	int is_linux = spec->format && !strcmp(spec->format, UNIK_FORMAT_LINUX_INITRD);
	const char *user = qemu_user(spec->cfg);
	int rc;

	if (guest_check_image(spec, "qemu", err) < 0 || guest_check_memory(spec, "qemu", err) < 0 ||
	    qemu_disk_bus(spec, err) < 0)
		return -1;
	/* the longer of the two: tcg adds the TSC rate for Linux */
	rc = kernel_cmdline(spec, is_linux, "tcg", &cmd, err);
	strbuf_release(&cmd);
	if (rc < 0)
		return -1;
	if (user && !getpwnam(user))
		return unik_err_set(
		    err, UNIK_E_UNAVAILABLE,
		    "qemu would run as user '%s' (-runas), which does not exist: "
		    "create it (scripts/install-deps does: useradd --system "
		    "--user-group --groups kvm --shell /usr/sbin/nologin %s) or set "
		    "qemu.user = root",
		    user, user);
	return 0;
}

/* The guest's NIC: a virtio-net (virtio-mmio on microvm, PCI on pc) on the
 * daemon's tap, or on QEMU's user network with the published ports as
 * hostfwd rules. */
static void push_net(const struct unik_net_spec *net, int pci, struct strv *argv)
{
	struct strbuf sb = STRBUF_INIT;

	if (!net || net->mode == UNIK_NET_NONE)
		return;
	if (net->mode == UNIK_NET_TAP) {
		strbuf_addf(&sb, "tap,id=net0,ifname=%s,script=no,downscript=no", net->tap);
	} else {
		strbuf_adds(&sb, "user,id=net0");
		for (size_t i = 0; net->ports && i < net->n_ports; i++)
			strbuf_addf(&sb, ",hostfwd=%s:%s:%d-:%d", portspec_proto(&net->ports[i]),
				    net->ports[i].host_ip, net->ports[i].host_port,
				    net->ports[i].guest_port);
	}
	strv_push(argv, "-netdev");
	strv_push_owned(argv, strbuf_detach(&sb));
	strv_push(argv, "-device");
	strv_push_owned(argv, xasprintf("%s,netdev=net0,mac=%s",
					pci ? "virtio-net-pci" : "virtio-net-device", net->mac));
}

/* The volumes: a drive each (QEMU reports I/O errors to the guest rather
 * than pausing it) and a virtio-blk device on it, or an NVMe controller (its
 * namespace 1; slots in command-line order), in disk order. */
static void push_volumes(const struct unik_run_spec *spec, int bus, struct strv *argv)
{
	for (size_t i = 0; spec->volumes && i < spec->n_volumes; i++) {
		const struct unik_volume_spec *v = &spec->volumes[i];
		char tail[128];

		snprintf(tail, sizeof(tail),
			 ",if=none,id=vol%zu,format=%s,readonly=%s,cache=writeback,"
			 "werror=report,rerror=report",
			 i, v->format, v->read_only ? "on" : "off");
		push_opt(argv, "-drive", "file=", v->disk, tail);
		strv_push(argv, "-device");
		if (bus == QEMU_BUS_NVME)
			strv_push_owned(argv,
					xasprintf("nvme,serial=unik-vol%zu,drive=vol%zu", i, i));
		else
			strv_push_owned(argv, xasprintf("virtio-blk-device,drive=vol%zu", i));
	}
}

/* `spec` as the guest sees it: on the user network, with QEMU's addresses
 * (`user` holds the network spec `out` points to). */
static void with_user_net(const struct unik_run_spec *spec, struct unik_run_spec *out,
			  struct unik_net_spec *user)
{
	*out = *spec;
	if (!spec->net || spec->net->mode != UNIK_NET_USER)
		return;
	*user = *spec->net;
	user->address = USER_NET_ADDRESS;
	user->prefix = USER_NET_PREFIX;
	user->gateway = USER_NET_GATEWAY;
	if (!user->dns || !*user->dns)
		user->dns = USER_NET_DNS;
	out->net = user;
}

int qemu_argv_build(const struct unik_run_spec *run, const struct qemu_paths *p, const char *binary,
		    const char *accel, struct strv *argv, struct unik_err *err)
{
	struct unik_run_spec guest_view, *spec = &guest_view;
	struct unik_net_spec user;
	struct strbuf cmd = STRBUF_INIT;
	int is_linux = run->format && !strcmp(run->format, UNIK_FORMAT_LINUX_INITRD);
	int is_elf = run->format && !strcmp(run->format, UNIK_FORMAT_UNIK_ELF);
	const char *append;
	int rc = -1, bus;

	with_user_net(run, &guest_view, &user);
	if (guest_check_image(spec, "qemu", err) < 0 || (bus = qemu_disk_bus(spec, err)) < 0)
		goto cleanup;
	if (kernel_cmdline(spec, is_linux, accel, &cmd, err) < 0)
		goto cleanup;
	append = strbuf_str(&cmd);
	while (*append == ' ')
		append++;

	strv_push(argv, binary);
	if (spec->name && !strchr(spec->name, ','))
		push_opt(argv, "-name", "", spec->name, "");
	/* Linux guests get ACPI for the power button (graceful stop); the unik
	 * runtime finds its virtio-mmio devices in the virtio_mmio.device= words
	 * QEMU adds to the command line only when ACPI is off */
	qemu_args_vm(argv,
		     bus == QEMU_BUS_NVME ? "pc"
		     : is_linux		  ? "microvm,acpi=on"
					  : "microvm,acpi=off",
		     accel, spec->memory_mb > 0 ? spec->memory_mb : DEFAULT_MEMORY_MB);
	strv_push(argv, "-kernel");
	strv_push(argv, spec->kernel);
	if (spec->initrd) {
		strv_push(argv, "-initrd");
		strv_push(argv, spec->initrd);
	}
	strv_push(argv, "-append");
	strv_push(argv, append);
	push_opt(argv, "-chardev", "file,id=console,append=on,path=", spec->log_path, "");
	strv_push(argv, "-serial");
	strv_push(argv, "chardev:console");
	push_opt(argv, "-chardev", "file,id=status,path=", p->status, "");
	strv_push(argv, "-device");
	strv_push(argv, "isa-serial,chardev=status,iobase=0x2f8,irq=3");
	if (is_elf) {
		strv_push(argv, "-device");
		strv_push(argv, "isa-debug-exit,iobase=0xf4,iosize=0x04");
	}
	if (is_elf && spec->stdin_fd > 0) {
		/* COM4: the unik runtime's console input, from our stdin (the pipe
		 * the daemon writes); the guest never writes it */
		strv_push(argv, "-chardev");
		strv_push(argv, "stdio,id=conin,signal=off");
		strv_push(argv, "-device");
		strv_push(argv, "isa-serial,chardev=conin,iobase=0x2e8,irq=3");
	}
	if (is_elf && spec->err_path) {
		/* COM3: the unik runtime's second console, the program's stderr */
		push_opt(argv, "-chardev", "file,id=errcon,append=on,path=", spec->err_path, "");
		strv_push(argv, "-device");
		strv_push(argv, "isa-serial,chardev=errcon,iobase=0x3e8,irq=4");
	}
	push_volumes(spec, bus, argv);
	push_net(spec->net, bus == QEMU_BUS_NVME, argv);
	/* relative to qemu's cwd, the instance folder (socket paths are short) */
	push_opt(argv, "-qmp", "unix:", "qmp.sock", ",server=on,wait=off");
	strv_push(argv, "-pidfile");
	strv_push(argv, p->pid);
	if (qemu_user(spec->cfg)) {
		/* after opening /dev/kvm, the tap, the files and the sockets */
		strv_push(argv, "-runas");
		strv_push(argv, qemu_user(spec->cfg));
	}
	rc = 0;
cleanup:
	strbuf_release(&cmd);
	return rc;
}
