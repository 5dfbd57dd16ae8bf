/* spt_main.c - bin/unik-spt: runs one unik image as a sandboxed process.
 *
 * Guest memory is a memfd mapped at dmap_base (a range the runtime leaves
 * to us, abi/hvt_abi.h); the image is loaded into it as into a VM's RAM and
 * the runtime's own segments are mapped again at their link addresses.
 * Then: the runtime's signal handler for SIGSYS, the fault signals, SIGALRM
 * (its preemption timer) and SIGTERM (a stop request for the program), on
 * an alternate stack in guest memory; Syscall User Dispatch, so that every
 * system call made outside the runtime's text (the program's) becomes a
 * SIGSYS served by the runtime; privilege drop; the seccomp filter; and a
 * jump to the spt entry, which never returns.  From then on this process
 * is the guest: it exits with the guest's status.  See docs/monitor.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#ifdef __GLIBC__
#include <sys/rseq.h>
#endif
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor.h"

#define TASK_TOP 0x7ffffffff000UL
#define SA_RESTORER 0x04000000 /* not exported by glibc */
#define DMAP_TRIES 32
#define DMAP_STEP (16UL << 30)

/* The kernel's struct sigaction (with sa_restorer; not glibc's). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static struct mon_opts opts = { .prog = "unik-spt" };
static int status_fd = -1;

static void __attribute__((noreturn)) die_why(const char *why)
{
	mon_fail(opts.prog, status_fd, why);
}

static void __attribute__((noreturn)) die_errno(const char *what)
{
	char why[MON_WHY];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(errno));
	die_why(why);
}

/* Guest memory: a memfd of mem_size bytes, mapped where the runtime's
 * address-space layout leaves room (abi/hvt_abi.h). */
static uint8_t *map_guest_memory(int mem_fd, uint64_t mem_size)
{
	for (int i = 0; i < DMAP_TRIES; i++) {
		uint64_t at = HVT_SPT_DMAP_MIN + (uint64_t)i * DMAP_STEP;
		void *p;

		if (at + mem_size > HVT_SPT_DMAP_MAX)
			break;
		p = mmap((void *)at, mem_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, mem_fd, 0);
		if (p == (void *)at)
			return p;
		if (p != MAP_FAILED)
			munmap(p, mem_size); /* an old kernel ignored the hint */
	}
	return NULL;
}

/* The runtime's own segments at their link addresses: text read-execute,
 * the rest read-write.  The text's whole pages come from the image file
 * (shared with every instance of the image in the page cache) when it can
 * be mapped, at both its addresses, and the copy the loader made in guest
 * memory is released; the runtime never writes its text.  Else, and for a
 * partial last page, from guest memory. */
static void map_runtime(int mem_fd, uint8_t *mem, const struct mon_image *img)
{
	uint64_t ts = img->text_start, te = (img->text_end + 4095) & ~4095UL;
	uint64_t re = (img->rt_end + 4095) & ~4095UL, shared = 0;

	if (!ts || ts != img->rt_start || te > re)
		die_why("the image's runtime segments are not laid out as expected");
	if (mon_image_share_text(opts.image, img, (void *)ts, PROT_READ | PROT_EXEC,
				 MAP_FIXED_NOREPLACE)) {
		shared = mon_image_share_text(opts.image, img, mem + ts, PROT_READ | PROT_WRITE,
					      MAP_FIXED);
		if (shared)
			fallocate(mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)ts,
				  (off_t)shared);
		else
			munmap((void *)ts, te - ts);
	}
	if (shared < te - ts && mmap((void *)(ts + shared), te - ts - shared, PROT_READ | PROT_EXEC,
				     MAP_SHARED | MAP_FIXED_NOREPLACE, mem_fd,
				     (off_t)(ts + shared)) != (void *)(ts + shared))
		die_errno("mapping the runtime's text");
	if (re > te && mmap((void *)te, re - te, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED_NOREPLACE, mem_fd, (off_t)te) != (void *)te)
		die_errno("mapping the runtime's data");
}

static void set_handler(int sig, const struct mon_image *img)
{
	struct kernel_sigaction sa = {
		.handler = (void *)img->spt_signal,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)img->spt_restorer,
		.mask = 0,
	};

	if (syscall(SYS_rt_sigaction, sig, &sa, NULL, sizeof(sa.mask)) < 0)
		die_errno("installing the runtime's signal handler");
}

/* What the runtime unmaps at entry: everything of ours but guest memory and
 * its own segments. */
static void plan_unmap(struct hvt_boot_info *bi, const struct mon_image *img, uint64_t dmap,
		       uint64_t mem_size)
{
	uint64_t re = (img->rt_end + 4095) & ~4095UL;

	bi->unmap[0] = (struct hvt_range){ 0x10000, img->rt_start };
	bi->unmap[1] = (struct hvt_range){ re, dmap };
	bi->unmap[2] = (struct hvt_range){ dmap + mem_size, TASK_TOP };
	bi->nunmap = 3;
}

/* The kernel writes the thread's rseq area (in glibc's TLS) on every return
 * to user mode; the runtime unmaps glibc, so unregister it first. */
static void unregister_rseq(void)
{
#ifdef __GLIBC__
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;

	if (__rseq_size == 0)
		return; /* glibc did not register one */
	/* The length must be the registered one: glibc registers at least 32. */
	if (syscall(SYS_rseq, area, __rseq_size < 32 ? 32 : __rseq_size, RSEQ_FLAG_UNREGISTER,
		    RSEQ_SIG) < 0 &&
	    syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) < 0)
		die_errno("unregistering rseq");
#endif /* musl registers none */
}

static void __attribute__((noreturn)) enter(uint64_t entry, struct hvt_boot_info *bi)
{
	__asm__ volatile("xor %%ebp, %%ebp\n\t"
			 "jmp *%0"
			 :
			 : "r"(entry), "D"(bi)
			 : "memory");
	__builtin_unreachable();
}

int main(int argc, char **argv)
{
	struct mon_image img;
	struct mon_net net;
	struct mon_disk disks[HVT_MAX_DISKS];
	struct hvt_boot_info *bi;
	unsigned uid = 0, gid = 0;
	char why[MON_WHY];
	uint8_t *mem;
	int rc, mem_fd;
	stack_t ss;

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
#ifdef __SANITIZE_ADDRESS__
	die_why("this build uses AddressSanitizer, whose shadow memory covers the guest's "
		"address space; use the release build");
#endif
	if (opts.user && mon_user_lookup(opts.user, &uid, &gid, why) < 0)
		die_why(why);
	if (mon_net_open(&opts, &net, why) < 0)
		die_why(why);
	if (mon_disks_open(&opts, disks, why) < 0)
		die_why(why);
	mem_fd = memfd_create("unik-guest", MFD_CLOEXEC);
	if (mem_fd < 0 || ftruncate(mem_fd, (off_t)opts.mem_size) < 0)
		die_errno("guest memory");
	mem = map_guest_memory(mem_fd, opts.mem_size);
	if (!mem)
		die_why("no room for guest memory in this process's address space");
	if (mon_image_load(opts.image, mem, opts.mem_size, &img, why) < 0)
		die_why(why);
	if (!img.spt_entry || !img.spt_signal || !img.spt_restorer) {
		snprintf(why, sizeof(why), "%s: the image has no spt entry points", opts.image);
		die_why(why);
	}
	map_runtime(mem_fd, mem, &img);
	bi = mon_boot_info(mem, opts.mem_size, img.image_end, opts.cmdline);
	bi->dmap_base = (uint64_t)mem;
	bi->console_fd = STDOUT_FILENO;
	bi->console_err_fd = STDERR_FILENO; /* the filter lets stderr be written */
	bi->status_fd = status_fd;
	bi->console_in = opts.console_in ? 1 : 0;
	bi->console_in_fd = opts.console_in ? STDIN_FILENO : -1;
	bi->mem_fd = mem_fd;
	bi->net_fd = net.fd;
	memcpy(bi->net_mac, net.mac, sizeof(bi->net_mac));
	bi->net_mtu = net.mtu;
	bi->sud_selector = (uint64_t)(mem + HVT_SPT_SELECTOR_GPA);
	bi->ndisks = (uint32_t)opts.nblocks;
	for (int i = 0; i < opts.nblocks; i++)
		bi->disks[i] =
		    (struct hvt_disk){ disks[i].fd, disks[i].ro ? HVT_DISK_RO : 0, disks[i].size };
	plan_unmap(bi, &img, (uint64_t)mem, opts.mem_size);

	ss = (stack_t){ .ss_sp = mem + HVT_SPT_ALTSTACK_GPA, .ss_size = HVT_SPT_ALTSTACK_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		die_errno("sigaltstack");
	set_handler(SIGSYS, &img);
	set_handler(SIGSEGV, &img);
	set_handler(SIGBUS, &img);
	set_handler(SIGFPE, &img);
	set_handler(SIGILL, &img);
	set_handler(SIGTRAP, &img);
	set_handler(SIGALRM, &img); /* the runtime's preemption timer */
	set_handler(SIGTERM, &img); /* a stop request: SIGTERM for the program */
	unregister_rseq();
	/* The switch stays "allow" until the runtime flips it at entry. */
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, img.text_start,
		  img.text_end - img.text_start, mem + HVT_SPT_SELECTOR_GPA) < 0)
		die_errno("Syscall User Dispatch (Linux 5.11 or later)");
	if (opts.user && mon_drop_privileges(uid, gid, why) < 0)
		die_why(why);
	{
		struct mon_spt_filter f = { STDOUT_FILENO, status_fd,	 mem_fd,	   net.fd,
					    disks,	   opts.nblocks, bi->console_in_fd };

		mon_trim_heap();
		if (mon_seccomp_spt(&f, why) < 0)
			die_why(why);
	}
	if (opts.debug_forbidden_syscall) {
		static const char msg[] =
		    "unik-spt: debug: making a forbidden system call (openat)\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			die_why("stderr is gone");
		mon_forbidden_syscall();
		die_why("the forbidden system call was allowed: the seccomp filter is not active");
	}
	enter(img.spt_entry, bi);
}
