/* spt_platform.c - the runtime as a sandboxed host process (bin/unik-spt).
 *
 * The monitor has mapped guest memory (a memfd) at dmap_base and our own
 * segments at their link addresses, installed spt_signal() for SIGSYS and
 * the fault signals, turned on Syscall User Dispatch for every address
 * outside our text, and loaded a seccomp filter.  Here the platform's
 * operations become host system calls made from our text: console write,
 * clocks (until the TSC takes over: spt_clock.c), ppoll for waiting,
 * setitimer for the preemption timer, exit_group.  The application's pages are mapped from the memfd as the
 * core's page tables change (page_changed); its system calls arrive as
 * SIGSYS, its faults as SIGSEGV & co., the timer as SIGALRM and a stop
 * request as SIGTERM, all in spt_signal().
 */
#include "../../../abi/hvt_abi.h"
#include "../platform.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/blk.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/sched.h"
#include "spt_clock.h"

#define NR_READ 0
#define NR_WRITE 1
#define NR_PREAD64 17
#define NR_PWRITE64 18
#define NR_FDATASYNC 75
#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_SETITIMER 38
#define NR_ARCH_PRCTL 158
#define NR_EXIT_GROUP 231
#define NR_PPOLL 271
#define H_MAP_SHARED 0x01
#define H_MAP_FIXED 0x10
#define H_ARCH_SET_FS 0x1002
#define H_SIGSYS 31
#define H_SIGALRM 14
#define H_SIGTERM 15
#define H_SYS_USER_DISPATCH 2
#define H_POLLIN 1
#define H_EAGAIN 11

/* The kernel's signal frame (asm/sigcontext.h, asm/ucontext.h). */
enum {
	G_R8,
	G_R9,
	G_R10,
	G_R11,
	G_R12,
	G_R13,
	G_R14,
	G_R15,
	G_RDI,
	G_RSI,
	G_RBP,
	G_RBX,
	G_RDX,
	G_RAX,
	G_RCX,
	G_RSP,
	G_RIP,
	G_EFL,
	G_CSGSFS,
	G_ERR,
	G_TRAPNO,
	G_OLDMASK,
	G_CR2,
	G_COUNT
};

struct host_ucontext {
	u64 flags, link;
	u64 ss_sp;
	u32 ss_flags, ss_pad;
	u64 ss_size;
	u64 gregs[G_COUNT];
};

struct host_siginfo {
	s32 signo, err, code, pad;
	u64 addr;
};

struct host_timespec {
	s64 sec, nsec;
};

void spt_main(struct hvt_boot_info *bi) __noreturn;
void spt_signal(int sig, struct host_siginfo *si, struct host_ucontext *uc);
/* spt_start.S and entry.S */
long spt_sleep(void *fds, long nfds, const struct host_timespec *ts);
extern char spt_sleep_check[], spt_sleep_syscall[], spt_sleep_intr[];
extern char spt_syscall_tramp[], spt_fault_tramp[], spt_irq_tramp[];
extern char ret_to_user[], ret_to_user_check[], ret_to_user_end[];
extern u64 spt_fault_addr;

static char cmdline[HVT_CMDLINE_MAX];
static struct boot_info info;
static int console_fd = 1, console_err_fd = -1, status_fd = -1, mem_fd = -1, net_fd = -1;
static int console_in_fd = -1; /* console input (boot info console_in), or -1 */
static u8 net_mac[6];
static u16 net_mtu;
static struct hvt_disk disk_info[HVT_MAX_DISKS];
static struct blkdev disks[HVT_MAX_DISKS];
static u32 ndisks;

static long host6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3, r8 __asm__("r8") = a4, r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static long host3(long nr, long a0, long a1, long a2)
{
	return host6(nr, a0, a1, a2, 0, 0, 0);
}

static void host_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		long w = host3(NR_WRITE, fd, (long)s, (long)n);

		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void spt_console_write(const char *s, size_t n)
{
	host_write_all(console_fd, s, n);
}

/* The second console (the monitor's stderr), or the first when there is none. */
static void spt_console_err(const char *s, size_t n)
{
	host_write_all(console_err_fd >= 0 ? console_err_fd : console_fd, s, n);
}

static void spt_clock_init(void)
{
	spt_clock_setup();
}

static u64 spt_monotonic_ns(void)
{
	return spt_clock_monotonic();
}

static u64 spt_wall_ns(void)
{
	return spt_clock_wall();
}

static u64 spt_clock_res_ns(void)
{
	return 1;
}

static const char *spt_clock_source(void)
{
	return spt_clock_source_name();
}

static u64 spt_clock_hz(void)
{
	return 1000000000UL;
}

struct host_pollfd {
	s32 fd;
	s16 events, revents;
};

/* Console input: host ppoll says whether read(2) would block (the fd is
 * the monitor's stdin, maybe a terminal: it is not made non-blocking). */
static long spt_console_read(void *buf, size_t n)
{
	struct host_timespec zero = { 0, 0 };
	struct host_pollfd pfd = { console_in_fd, H_POLLIN, 0 };
	long r;

	if (console_in_fd < 0)
		return -ENODEV;
	do
		r = host6(NR_PPOLL, (long)&pfd, 1, (long)&zero, 0, 0, 0);
	while (r == -EINTR);
	if (r == 0)
		return 0;
	do
		r = host3(NR_READ, console_in_fd, (long)buf, (long)n);
	while (r == -EINTR);
	if (r == -H_EAGAIN)
		return 0;
	return r > 0 ? r : -1; /* end of input, or an error: no more */
}

/* Sleeps in the host until the deadline, a frame on the tap, console input
 * (while the core wants it) or a signal (the timer, a stop request);
 * callers loop. */
static void spt_wait_until(u64 deadline_ns)
{
	u64 now = spt_monotonic_ns(), left;
	struct host_timespec ts;
	struct host_pollfd pfd[2];
	int nfd = 0;

	if (now >= deadline_ns)
		return;
	if (net_fd >= 0)
		pfd[nfd++] = (struct host_pollfd){ net_fd, H_POLLIN, 0 };
	if (console_in_fd >= 0 && console_in_wanted())
		pfd[nfd++] = (struct host_pollfd){ console_in_fd, H_POLLIN, 0 };
	left = deadline_ns - now;
	ts.sec = (s64)(left / 1000000000UL);
	ts.nsec = (s64)(left % 1000000000UL);
	spt_sleep(nfd ? pfd : NULL, nfd, &ts);
}

/* The preemption timer: the host's ITIMER_REAL, one shot. */
static void spt_timer_set(u64 deadline_ns)
{
	struct {
		s64 int_sec, int_usec, sec, usec;
	} it = { 0, 0, 0, 0 };

	if (deadline_ns != ~0UL) {
		u64 now = spt_monotonic_ns();
		u64 us = deadline_ns > now ? (deadline_ns - now + 999) / 1000 : 1;

		it.sec = (s64)(us / 1000000);
		it.usec = (s64)(us % 1000000);
	}
	host3(NR_SETITIMER, 0, (long)&it, 0);
}

static int spt_net_open(u8 mac[6], u32 *mtu)
{
	if (net_fd < 0 || !net_mtu)
		return -ENODEV;
	memcpy(mac, net_mac, 6);
	*mtu = net_mtu;
	return 0;
}

/* Runtime memory is host memory here: frames go straight to the tap. */
static int spt_net_send(const void *frame, size_t len)
{
	long w;

	do
		w = host3(NR_WRITE, net_fd, (long)frame, (long)len);
	while (w == -EINTR);
	if (w == -H_EAGAIN)
		return -EAGAIN;
	return w == (long)len ? 0 : -EIO;
}

static long spt_net_recv(void *buf, size_t size)
{
	long r;

	if (net_fd < 0)
		return 0; /* no device: waits also end for signals */
	do
		r = host3(NR_READ, net_fd, (long)buf, (long)size);
	while (r == -EINTR);
	return r > 0 ? r : 0;
}

/* Disks: the host fds the monitor opened (only pread64, pwrite64 and
 * fdatasync on them pass its filter).  Runtime and program memory are host
 * memory here, so the host reads and writes the buffer itself. */
static int spt_blk_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	const struct hvt_disk *hd = d->priv;
	u64 off = sector * HVT_SECTOR_SIZE;
	u8 *p = buf;

	while (len) {
		long n = host6(write ? NR_PWRITE64 : NR_PREAD64, hd->fd, (long)p, (long)len,
			       (long)off, 0, 0);

		if (n == -EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		off += (u64)n;
		len -= (u64)n;
	}
	return 0;
}

static int spt_blk_flush(struct blkdev *d)
{
	const struct hvt_disk *hd = d->priv;
	long r;

	do
		r = host3(NR_FDATASYNC, hd->fd, 0, 0);
	while (r == -EINTR);
	return r ? -EIO : 0;
}

static const struct blk_ops spt_blk_ops = {
	.rw = spt_blk_rw,
	.flush = spt_blk_flush,
};

void spt_blk_disks(void)
{
	for (u32 i = 0; i < ndisks; i++) {
		struct blkdev *d = &disks[i];

		d->ops = &spt_blk_ops;
		d->priv = &disk_info[i];
		d->sectors = disk_info[i].size / HVT_SECTOR_SIZE;
		d->sector_size = HVT_SECTOR_SIZE;
		d->max_io = 1U << 30;
		d->ro = disk_info[i].flags & HVT_DISK_RO;
		ksnprintf(d->name, sizeof(d->name), "spt disk %u", i);
		blk_register(d);
	}
}

static void __noreturn spt_exit(int status)
{
	if (status_fd >= 0) {
		char line[16];
		int n = ksnprintf(line, sizeof(line), "%d\n", status);

		host3(NR_WRITE, status_fd, (long)line, n);
	}
	for (;;)
		host3(NR_EXIT_GROUP, status, 0, 0);
}

/* The core's page tables are software-only here: mirror each change into
 * the host's mappings of guest memory. */
static int spt_page_changed(u64 va, u64 pa, int prot)
{
	long r;

	if (!pa)
		return (int)host3(NR_MUNMAP, (long)va, PAGE_SIZE, 0) ? -1 : 0;
	r = host6(NR_MMAP, (long)va, PAGE_SIZE, prot, H_MAP_SHARED | H_MAP_FIXED, mem_fd, (long)pa);
	return r == (long)va ? 0 : -1;
}

static void spt_set_fs(u64 base)
{
	host3(NR_ARCH_PRCTL, H_ARCH_SET_FS, (long)base, 0);
}

static const struct platform_ops spt_platform = {
	.name = "spt",
	.console_write = spt_console_write,
	.console_err_write = spt_console_err,
	.console_read = spt_console_read,
	.clock_init = spt_clock_init,
	.monotonic_ns = spt_monotonic_ns,
	.wall_ns = spt_wall_ns,
	.clock_res_ns = spt_clock_res_ns,
	.wait_until = spt_wait_until,
	.wait_sees_rx = true,
	.timer_set = spt_timer_set,
	.exit = spt_exit,
	.clock_source = spt_clock_source,
	.clock_hz = spt_clock_hz,
	.page_changed = spt_page_changed,
	.set_fs = spt_set_fs,
	.net_open = spt_net_open,
	.net_send = spt_net_send,
	.net_recv = spt_net_recv,
	.blk_probe = spt_blk_probe,
};

static void frame_from(struct trap_frame *tf, const u64 *g, u64 vector)
{
	*tf = (struct trap_frame){
		.r15 = g[G_R15],
		.r14 = g[G_R14],
		.r13 = g[G_R13],
		.r12 = g[G_R12],
		.r11 = g[G_R11],
		.r10 = g[G_R10],
		.r9 = g[G_R9],
		.r8 = g[G_R8],
		.rbp = g[G_RBP],
		.rdi = g[G_RDI],
		.rsi = g[G_RSI],
		.rdx = g[G_RDX],
		.rcx = g[G_RCX],
		.rbx = g[G_RBX],
		.rax = g[G_RAX],
		.vector = vector,
		.error = vector < 32 ? g[G_ERR] : 0,
		.rip = g[G_RIP],
		.cs = 0x33,
		.rflags = g[G_EFL],
		.rsp = g[G_RSP],
		.ss = 0x2b,
	};
}

/* Leaves the host's signal frame for the thread's kernel stack: the
 * program's registers become its trap_frame there, and the handler returns
 * into `tramp` on that stack (clean flags, the program's FPU state still
 * in the CPU after the host's rt_sigreturn). */
static void divert(u64 *g, u64 vector, char *tramp)
{
	struct trap_frame *tf = arch_user_frame();

	frame_from(tf, g, vector);
	g[G_RSP] = (u64)tf;
	g[G_RIP] = (u64)tramp;
	g[G_EFL] = 0x202;
}

/* Every host signal the runtime gets: a system call of the program
 * (Syscall User Dispatch), a fault of the program or of the runtime, the
 * timer (SIGALRM), a stop request (SIGTERM). */
void spt_signal(int sig, struct host_siginfo *si, struct host_ucontext *uc)
{
	u64 *g = uc->gregs, rip = g[G_RIP];
	bool in_runtime = arch_in_runtime(rip);
	struct trap_frame tf;
	u64 cr2 = g[G_CR2], vector;

	if (sig == H_SIGALRM || sig == H_SIGTERM) {
		if (sig == H_SIGALRM)
			sched_irq_timer();
		else
			sched_irq_stop();
		if (!in_runtime) {
			divert(g, IRQ_VECTOR_BASE, spt_irq_tramp); /* preempt the program */
		} else if (rip >= (u64)ret_to_user_check && rip < (u64)ret_to_user_end) {
			/* about to enter the program: go round once more */
			g[G_RIP] = (u64)ret_to_user;
			g[G_RSP] = (u64)arch_user_frame();
		} else if (rip >= (u64)spt_sleep_check && rip <= (u64)spt_sleep_syscall) {
			g[G_RIP] = (u64)spt_sleep_intr; /* do not go to sleep */
		}
		return;
	}
	if (sig == H_SIGSYS && si->code == H_SYS_USER_DISPATCH) {
		divert(g, FRAME_SYSCALL, spt_syscall_tramp);
		return;
	}
	vector = sig == H_SIGSYS ? 13 : g[G_TRAPNO] < 32 ? g[G_TRAPNO] : 13;
	if (!in_runtime) {
		/* demand paging right here; anything else as a VM would */
		if (vector == 14 && !vm_fault(cr2, g[G_ERR] & 2))
			return;
		spt_fault_addr = cr2;
		divert(g, vector, spt_fault_tramp);
		return;
	}
	frame_from(&tf, g, vector);
	trap_handle(&tf, vector == 14 ? cr2 : 0);
}

void spt_main(struct hvt_boot_info *bi)
{
	platform = &spt_platform;
	console_fd = bi->console_fd;
	if (bi->magic != HVT_BOOT_MAGIC || bi->abi_version != HVT_ABI_VERSION) {
		kprintf("unikernel: the monitor speaks hvt ABI %u, this runtime %u\n",
			bi->abi_version, HVT_ABI_VERSION);
		spt_exit(EXIT_PANIC);
	}
	console_err_fd = bi->console_err_fd;
	console_in_fd = bi->console_in ? bi->console_in_fd : -1;
	status_fd = bi->status_fd;
	mem_fd = bi->mem_fd;
	net_fd = bi->net_fd;
	net_mtu = bi->net_mtu;
	memcpy(net_mac, bi->net_mac, 6);
	ndisks = MIN(bi->ndisks, (u32)HVT_MAX_DISKS);
	memcpy(disk_info, bi->disks, sizeof(disk_info));
	dmap_base = bi->dmap_base;
	/* Nothing of the monitor is used from here on: give its address space
	 * to the application. */
	for (u32 i = 0; i < bi->nunmap && i < HVT_SPT_MAX_UNMAP; i++)
		host3(NR_MUNMAP, (long)bi->unmap[i].start,
		      (long)(bi->unmap[i].end - bi->unmap[i].start), 0);
	if (bi->cmdline && bi->cmdline < bi->mem_size - HVT_CMDLINE_MAX)
		strlcpy(cmdline, phys_to_virt(bi->cmdline), sizeof(cmdline));
	/* From now on the application's system calls come to spt_signal(). */
	*(volatile u8 *)bi->sud_selector = 1; /* SYSCALL_DISPATCH_FILTER_BLOCK */
	info.ram[0] = (struct mem_region){ 0, bi->mem_size };
	info.nram = 1;
	info.cmdline = cmdline;
	info.platform = "spt";
	info.ram_zeroed = true; /* a fresh memfd reads as zeros */
	info.hosted = true;
	cpu_features_init();
	runtime_main(&info);
}
