/* hvt_main.c - bin/unik-hvt: runs one unik image in a minimal KVM VM.
 *
 * Steps, in order: command line; /dev/kvm, VM, memory, vCPU; the image and
 * boot info; long-mode state; the status file; privilege drop; the seccomp
 * filter; the vCPU loop.  The exit status is the guest's (0..255), or 255
 * when the monitor failed or had to stop the guest (the reason is printed
 * on stderr and written to the status file).  See docs/monitor.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvt.h"

static struct mon_opts opts = { .prog = "unik-hvt" };

#ifdef __SANITIZE_ADDRESS__
/* The leak check at exit starts a thread: the seccomp filter forbids it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}
#endif
static int status_fd = -1;

static void __attribute__((noreturn)) die_why(const char *why)
{
	mon_fail(opts.prog, status_fd, why);
}

int main(int argc, char **argv)
{
	struct hvt h = {
		.kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .net_fd = -1, .console_in_fd = -1
	};
	struct mon_net net;
	struct mon_image img;
	struct hvt_boot_info *bi;
	unsigned uid = 0, gid = 0;
	char why[MON_WHY];
	int rc, status = MON_EXIT_FAILURE;

	rc = mon_opts_parse(&opts, argc, argv, why);
	if (rc > 0)
		return 0;
	if (opts.status_file) {
		char open_why[MON_WHY];

		if (mon_open_status_file(opts.status_file, &status_fd, open_why) < 0)
			die_why(open_why);
	}
	if (rc < 0)
		die_why(why);
	if (opts.user && mon_user_lookup(opts.user, &uid, &gid, why) < 0)
		die_why(why);
	if (mon_net_open(&opts, &net, why) < 0)
		die_why(why);
	h.net_fd = net.fd;
	if (mon_disks_open(&opts, h.disks, why) < 0)
		die_why(why);
	h.ndisks = opts.nblocks;
	h.console_in_fd = opts.console_in ? STDIN_FILENO : -1;
	if (hvt_kvm_create(&h, opts.mem_size, why) < 0)
		die_why(why);
	if (mon_image_load(opts.image, h.mem, h.mem_size, &img, why) < 0)
		die_why(why);
	if (!img.hvt_entry) {
		snprintf(why, sizeof(why), "%s: the image has no hvt entry point", opts.image);
		die_why(why);
	}
	/* The read-only segments (the runtime's text, the program's payload)
	 * from the image file, copy-on-write: their pages are the page
	 * cache's, shared by every instance of the image (KVM maps the host
	 * pages; a guest write would get a private copy).  The loaded copy is
	 * dropped with the pages it replaces.  Else the copy stays. */
	mon_image_share_ro(opts.image, &img, h.mem);
	bi = mon_boot_info(h.mem, h.mem_size, img.image_end, opts.cmdline);
	bi->tsc_hz = h.tsc_hz;
	memcpy(bi->net_mac, net.mac, sizeof(bi->net_mac));
	bi->net_mtu = net.mtu;
	bi->ndisks = (uint32_t)h.ndisks;
	bi->console_in = h.console_in_fd >= 0;
	bi->console_in_fd = -1;
	for (int i = 0; i < h.ndisks; i++)
		bi->disks[i] =
		    (struct hvt_disk){ -1, h.disks[i].ro ? HVT_DISK_RO : 0, h.disks[i].size };
	if (hvt_kvm_setup_vcpu(&h, &img, bi, why) < 0)
		die_why(why);
	if (hvt_events_init(&h, why) < 0)
		die_why(why);
	if (opts.user && mon_drop_privileges(uid, gid, why) < 0)
		die_why(why);
	hvt_kvm_stamp_clocks(&h, bi);
	mon_trim_heap();
	{
		struct mon_hvt_filter f = { h.vcpu_fd, status_fd, h.net_fd,
					    h.disks,   h.ndisks,  h.console_in_fd };

		if (mon_seccomp_hvt(&f, why) < 0)
			die_why(why);
	}
	if (opts.debug_forbidden_syscall) {
		static const char msg[] =
		    "unik-hvt: debug: making a forbidden system call (openat)\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) /* not stdio: see mon_fail */
			die_why("stderr is gone");
		mon_forbidden_syscall();
		die_why("the forbidden system call was allowed: the seccomp filter is not active");
	}
	if (hvt_kvm_run(&h, &status, why) == HVT_STOPPED) {
		char stopped[MON_WHY];

		snprintf(stopped, sizeof(stopped), "guest stopped: %.*s", MON_WHY - 32, why);
		die_why(stopped);
	}
	mon_exit(status_fd, status);
}
