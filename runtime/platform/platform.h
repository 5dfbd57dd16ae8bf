/* platform.h - what the core needs from a platform (boot environment).
 *
 * A platform boots the CPU, hands the core a `struct boot_info`, and
 * provides a console, a clock, a way to wait and a way to exit.  The core
 * never touches devices itself.  Platforms live in platform/<name>/: qemu
 * (microvm and pc, booted through PVH), hvt and spt (our monitors, through
 * abi/hvt_abi.h).  See docs/runtime.md,
 * "Adding a platform".
 */
#ifndef UNIK_RT_PLATFORM_H
#define UNIK_RT_PLATFORM_H

#include "../core/kernel.h"

#define BOOT_MAX_RAM 32

struct mem_region {
	u64 base;
	u64 size;
};

struct boot_info {
	const char *cmdline; /* NUL-terminated, owned by the platform */
	struct mem_region ram[BOOT_MAX_RAM]; /* usable RAM, ascending */
	int nram;
	const char *platform; /* e.g. "qemu-pvh" */
	bool ram_zeroed; /* RAM outside the image reads as zeros at boot */
	bool hosted; /* a host process (spt): no privileged instructions, the
		      * program runs at the runtime's privilege */
	/* The platform mapped the program as its load plan says (hvt: the
	 * monitor, abi/hvt_abi.h struct hvt_program), taking the RAM frames
	 * below taken_end; the core only reserves its segments. */
	bool program_mapped;
	u64 taken_end;
};

/* The core's entry point, called once by the platform on the boot stack. */
void runtime_main(const struct boot_info *bi) __noreturn;

/* A platform's operations.  One image carries every platform; its entry
 * point sets `platform` before anything else runs. */
struct platform_ops {
	const char *name;
	/* Writes n bytes to the console (any runtime or mapped user address);
	 * never fails. */
	void (*console_write)(const char *s, size_t n);
	/* The same for the second console, where the program's standard error
	 * and the runtime's own lines go; NULL: console_write takes them. */
	void (*console_err_write)(const char *s, size_t n);
	/* Console input (the program's standard input from the host), NULL:
	 * none.  Takes up to n waiting bytes into buf (runtime memory) without
	 * blocking: the bytes, 0 when none is waiting, -1 once the input has
	 * ended, -ENODEV when the host gave the guest none. */
	long (*console_read)(void *buf, size_t n);
	/* Calibrates the clock; called once, before the other clock functions. */
	void (*clock_init)(void);
	/* Nanoseconds since boot; monotonic. */
	u64 (*monotonic_ns)(void);
	/* Nanoseconds since the Unix epoch. */
	u64 (*wall_ns)(void);
	/* Resolution of the clocks, in ns. */
	u64 (*clock_res_ns)(void);
	/* Waits until monotonic_ns() >= deadline, or until the network device
	 * has input (or some other event: a stop request from the host, which
	 * it reports with sched_irq_stop()): it may return early, and callers
	 * loop.  Sleeps without spinning where the platform can (hlt with a
	 * timer interrupt, a blocking monitor call, host ppoll).  It may use
	 * the timer of timer_set.  Console input ends it too while
	 * console_in_wanted() says so. */
	void (*wait_until)(u64 deadline_ns);
	/* True when wait_until returns at once while a received frame waits
	 * (level-triggered: spt's ppoll on the tap), so a waiter need not poll
	 * the device before it sleeps; false where a frame that came before
	 * the wait may not end it (an interrupt already taken). */
	bool wait_sees_rx;
	/* Arms the one-shot timer (replacing the previous deadline): once
	 * monotonic_ns() >= deadline_ns an interrupt or host signal calls
	 * sched_irq_timer(), preempting the program if it runs.  ~0 may leave
	 * it unarmed.  NULL: no preemption (threads run until they block). */
	void (*timer_set)(u64 deadline_ns);
	/* Stops the machine reporting `status` to the host; never returns. */
	void (*exit)(int status); /* never returns */
	/* What the clock was calibrated against (e.g. "pit"), and its rate. */
	const char *(*clock_source)(void);
	u64 (*clock_hz)(void);
	/* Hosted platforms (spt) only, NULL elsewhere: the page-table entry of
	 * va now maps frame pa with prot (pa == 0: unmapped); returns 0 or -1. */
	int (*page_changed)(u64 va, u64 pa, int prot);
	/* Hosted platforms only: sets the application's %fs base. */
	void (*set_fs)(u64 base);
	/* The network device; NULL when the platform has none.  net_open finds
	 * and starts it: 0 with its MAC address and MTU filled in, or -ENODEV
	 * when there is none.  Call once, before the other two. */
	int (*net_open)(u8 mac[6], u32 *mtu);
	/* Sends one Ethernet frame [frame, frame + len) (no FCS, len <= MTU +
	 * 14); 0, or -EAGAIN when the device queue is full, or -EIO. */
	int (*net_send)(const void *frame, size_t len);
	/* Receives one frame into [buf, buf + size) (size >= MTU + 14): its
	 * length, or 0 when none is waiting.  buf is in runtime memory. */
	long (*net_recv)(void *buf, size_t size);
	/* Finds the platform's disks and blk_register()s each, in the order
	 * the host gave them (core/blk.h); called once at boot (volume.c:
	 * /dev/vdX and the unik.mount= volumes).  NULL: no disks. */
	void (*blk_probe)(void);
};

/* The platforms' blk_probe: the image link defines each (a jump to the
 * platform's *_blk_disks) only when the program can reach a volume
 * (compilers/common/syscall_set.c, runtime/core/syscall_table.h); NULL
 * otherwise, and --gc-sections leaves the disk drivers out. */
__attribute__((weak)) void qemu_blk_probe(void);
__attribute__((weak)) void hvt_blk_probe(void);
__attribute__((weak)) void spt_blk_probe(void);
void qemu_blk_disks(void);
void hvt_blk_disks(void);
void spt_blk_disks(void);

/* core/console.c, for wait_until: true while console input is open and the
 * core has room for more of it (else waiting on it would never sleep). */
bool console_in_wanted(void);

/* The running platform; set first thing by its entry point. */
extern const struct platform_ops *platform;

static inline void plat_console_write(const char *s, size_t n)
{
	platform->console_write(s, n);
}

static inline void plat_console_err(const char *s, size_t n)
{
	if (platform->console_err_write)
		platform->console_err_write(s, n);
	else
		platform->console_write(s, n);
}

/* Requires plat_clock_init(). */
static inline u64 plat_monotonic_ns(void)
{
	return platform->monotonic_ns();
}

static inline u64 plat_wall_ns(void)
{
	return platform->wall_ns();
}

static inline u64 plat_clock_res_ns(void)
{
	return platform->clock_res_ns();
}

static inline void plat_wait_until(u64 deadline_ns)
{
	platform->wait_until(deadline_ns);
}

static inline __noreturn void plat_exit(int status)
{
	platform->exit(status);
	__builtin_unreachable();
}

static inline void plat_clock_init(void)
{
	platform->clock_init();
}

static inline const char *plat_clock_source(void)
{
	return platform->clock_source();
}

static inline u64 plat_clock_hz(void)
{
	return platform->clock_hz();
}

#endif
