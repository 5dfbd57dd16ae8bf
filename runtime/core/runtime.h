/* runtime.h - the core's boot flow and process lifetime. */
#ifndef UNIK_RT_RUNTIME_H
#define UNIK_RT_RUNTIME_H

#include "kernel.h"

#define UNIK_RUNTIME_VERSION "0.1"
#define MAX_ARGS 256
#define MAX_DNS 3
#define MAX_MOUNTS 16

/* Ends the program with `status` (0..255), reporting it to the platform. */
void runtime_exit(int status) __noreturn;

/* cmdline.c: the kernel command line, split and decoded. */
struct cmdline {
	char *argv[MAX_ARGS + 1];
	char *envp[MAX_ARGS + 1];
	int argc, envc;
	bool verbose; /* unik.verbose: boot and exit details on the console */
	bool strace; /* unik.strace: every system call on the console */
	bool ring0; /* unik.ring0: run the program at ring 0 (default ring 3) */
	/* Network (docs/networking.md); all NULL/0: no network. */
	const char *net_ip; /* unik.ip=ADDR/PREFIX */
	const char *net_gw; /* unik.gw=ADDR */
	const char *net_dns[MAX_DNS]; /* unik.dns=ADDR, repeatable */
	int ndns;
	bool net_dhcp; /* unik.net=dhcp */
	bool userdata_imds; /* unik.userdata=imds: words from EC2's user data */
	/* Volumes: the decoded "DISK:PATH:FSTYPE:MODE" of each unik.mount=
	 * (abi/boot.h), checked by volume.c. */
	const char *mounts[MAX_MOUNTS];
	int nmounts;
};

/* volume.c: finds the disks (blk_probe), makes /dev/vda... and mounts the
 * volumes of the command line; a volume that cannot be mounted ends the
 * boot with a message naming it (so does any volume of an image without
 * volumes, below). */
void volumes_init(const struct cmdline *c);
/* volume.c: writes back every mounted volume's dirty data and flushes its
 * disk (sync; `final` at exit: the volumes are left clean). */
void volumes_sync(bool final);
/* What those two do.  The image link defines unik_volumes_mount and
 * unik_volumes_write_back (jumps to these) only when the program can reach
 * a volume (compilers/common/syscall_set.c): without them the file systems
 * and the disk drivers stay out of the image. */
void volumes_mount(const struct cmdline *c);
void volumes_write_back(bool final);
__attribute__((weak)) void unik_volumes_mount(const struct cmdline *c);
__attribute__((weak)) void unik_volumes_write_back(bool final);

/* The parsed command line (argv, environment, flags) of this boot. */
const struct cmdline *runtime_cmdline(void);

/* Parses words of `line`: unik.arg=<enc> and unik.env=<enc> (%XX-encoded,
 * see lib/bootargs.h), unik.verbose, unik.strace, unik.ring0, the network
 * words unik.ip=, unik.gw=, unik.dns=, unik.net=dhcp (kept as given; net.c
 * checks them); ignores the rest (the qemu platform reads QEMU's
 * virtio_mmio.device= words itself).
 * argv[0] is `prog`. */
void cmdline_parse(const char *line, const char *prog, struct cmdline *out);
/* The words of user data (unik.userdata=imds): when `line` has unik.arg=
 * words they replace out's arguments (argv[0] stays), when it has unik.env=
 * words they replace its environment; its other words are ignored (the
 * network is up already, the switches are the image's). */
void cmdline_apply_user_data(const char *line, struct cmdline *out);

#endif
