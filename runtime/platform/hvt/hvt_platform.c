/* hvt_platform.c - the runtime on bin/unik-hvt, our own KVM monitor.
 *
 * No devices: console, clocks, waiting, the timer and exit are calls to the
 * monitor (abi/hvt_abi.h), each one port write carrying the guest-physical
 * address of the call's struct.  Time is the TSC at the rate the monitor
 * reports, anchored to the host's wall clock at boot; waiting blocks in the
 * monitor (the host sleeps) instead of spinning.  The monitor interrupts
 * the program (vector HVT_IRQ_TIMER) when the timer expires, and with
 * HVT_IRQ_STOP (or a POLL answer) when the host asks it to stop.  The
 * monitor sets up the CPU state and the boot page tables this image asks
 * for (hvt_prepare below, abi/hvt_abi.h version 6): the boot skips them.
 */
#include "../../../abi/hvt_abi.h"
#include "../platform.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/blk.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/sched.h"

void hvt_main(u64 boot_info_gpa) __noreturn;

/* The boot tables of boot/pvh.S, and the boot stack. */
extern u64 pml4[512], pdpt_low[512], pd_low[512], pt_low[512], pdpt_dmap[512], pd_dmap[4 * 512];
extern char boot_stack_top[];
/* The page tables of the program's stack top (hvt_start.S). */
extern u64 pdpt_stack[512], pd_stack[512], pt_stack[512];

/* What unik-hvt sets up before the vCPU first runs (hvt_start.S's note
 * HVT_NOTE_HVT_PREPARE names it): the state cpu_init and the boot page
 * tables of pvh.S would make, the direct map of all guest memory. */
const struct hvt_prepare hvt_prepare = {
	.gdt = (u64)cpu_gdt,
	.idt = (u64)idt_table,
	.tss = (u64)&cpu_tss,
	.gdt_size = sizeof(cpu_gdt),
	.idt_size = IDT_VECTORS * 16,
	.tss_size = sizeof(cpu_tss),
	.code_sel = CPU_SEL_CODE,
	.data_sel = CPU_SEL_DATA,
	.tss_sel = CPU_SEL_TSS,
	.dmap_slot = 256,
	.star = CPU_STAR,
	.lstar = (u64)syscall_entry,
	.fmask = CPU_FMASK,
	.stack_top = (u64)boot_stack_top,
	.pml4 = (u64)pml4,
	.pdpt_low = (u64)pdpt_low,
	.pd_low = (u64)pd_low,
	.pt_low = (u64)pt_low,
	.pdpt_dmap = (u64)pdpt_dmap,
	.pd_dmap = (u64)pd_dmap,
	.stack_va = STACK_TOP - PAGE_SIZE,
	.pdpt_stack = (u64)pdpt_stack,
	.pd_stack = (u64)pd_stack,
	.pt_stack = (u64)pt_stack,
};

/* The program unik-hvt maps for us (hvt_start.S's note HVT_NOTE_HVT_PROGRAM
 * names it): the packer's load plan (none: the weak symbol is 0) and the
 * program file, the payload of core/main.c. */
extern const struct app_plan unik_app_plan __attribute__((weak));
extern const u8 unik_app_elf[], unik_app_elf_end[];
const struct hvt_program hvt_program = {
	.plan = (u64)&unik_app_plan,
	.file = (u64)unik_app_elf,
	.file_end = (u64)unik_app_elf_end,
};

static struct boot_info info;
static u64 tsc_hz, tsc_boot, ns_mult; /* ns = (tsc delta * ns_mult) >> 32 */
static u64 wall_boot_ns, host_mono_boot_ns;
static u64 bi_wall_ns, bi_mono_ns, bi_tsc; /* the boot info's clocks (version 5) */
static struct hvt_disk disk_table[HVT_MAX_DISKS];
static u32 ndisk_table;

/* Our call structs live in .bss, inside the runtime's 1:1 window, so their
 * virtual address is their guest-physical address. */
static struct hvt_call_walltime c_walltime;
static struct hvt_call_console_write c_console;
static struct hvt_call_poll c_poll;
static struct hvt_call_halt c_halt;
static struct hvt_call_timer c_timer;
static struct hvt_call_net_write c_net_write;
static struct hvt_call_net_read c_net_read;
static struct hvt_call_block_rw c_block;
static struct hvt_call_console_read c_console_read;
static bool console_in; /* the boot info's console_in */
static struct blkdev disks[HVT_MAX_DISKS];
static u8 net_mac[6];
static u16 net_mtu;

static void hvt_call(unsigned nr, void *arg)
{
	__asm__ volatile("outl %0, %1"
			 :
			 : "a"((u32)(u64)arg), "Nd"((u16)(HVT_PIO_BASE + nr))
			 : "memory");
}

/* The guest-physical address behind va, or ~0 when it is not mapped. */
static u64 gpa_of(u64 va)
{
	u64 pa;

	if (va >= dmap_base)
		return va - dmap_base;
	if (va >= HVT_IMAGE_MIN && va < USER_MIN)
		return va; /* the runtime's 1:1 window */
	pa = arch_lookup_page(va);
	return pa ? pa + (va & ~PAGE_MASK) : ~0UL;
}

static void console_flush(unsigned call, u64 gpa, u64 len)
{
	if (!len)
		return;
	c_console.data = gpa;
	c_console.len = len;
	hvt_call(call, &c_console);
}

/* One call per physically contiguous run (user buffers are page-mapped):
 * CONSOLE_WRITE (standard output) or CONSOLE_ERR. */
static void console_out(unsigned call, const char *s, size_t n)
{
	u64 va = (u64)s, run_gpa = 0, run_len = 0;

	if ((va & ~PAGE_MASK) + n <= PAGE_SIZE) { /* within one page: one call */
		run_gpa = gpa_of(va);
		if (run_gpa != ~0UL)
			console_flush(call, run_gpa, n);
		return;
	}
	while (n) {
		u64 chunk = MIN((u64)n, PAGE_SIZE - (va & ~PAGE_MASK)), gpa = gpa_of(va);

		if (gpa == ~0UL)
			break; /* callers check user buffers; never hand the monitor junk */
		if (run_len && gpa != run_gpa + run_len) {
			console_flush(call, run_gpa, run_len);
			run_len = 0;
		}
		if (!run_len)
			run_gpa = gpa;
		run_len += chunk;
		va += chunk;
		n -= chunk;
	}
	console_flush(call, run_gpa, run_len);
}

static void hvt_console_write(const char *s, size_t n)
{
	console_out(HVT_CALL_CONSOLE_WRITE, s, n);
}

static void hvt_console_err(const char *s, size_t n)
{
	console_out(HVT_CALL_CONSOLE_ERR, s, n);
}

static void walltime(void)
{
	hvt_call(HVT_CALL_WALLTIME, &c_walltime);
}

/* The monitor read its clocks and our TSC together just before we ran:
 * time since then is TSC ticks, and no call is needed. */
static void hvt_clock_init(void)
{
	tsc_boot = bi_tsc ? bi_tsc : rdtsc();
	if (bi_wall_ns) {
		wall_boot_ns = bi_wall_ns;
		host_mono_boot_ns = bi_mono_ns;
	} else {
		walltime();
		wall_boot_ns = c_walltime.wall_ns;
		host_mono_boot_ns = c_walltime.mono_ns;
	}
	if (tsc_hz)
		ns_mult = (1000000000UL << 32) / tsc_hz;
}

static u64 hvt_monotonic_ns(void)
{
	if (!tsc_hz) {
		walltime();
		return c_walltime.mono_ns - host_mono_boot_ns;
	}
	return (u64)(((unsigned __int128)(rdtsc() - tsc_boot) * ns_mult) >> 32);
}

static u64 hvt_wall_ns(void)
{
	return wall_boot_ns + hvt_monotonic_ns();
}

static u64 hvt_clock_res_ns(void)
{
	return 1;
}

static const char *hvt_clock_source(void)
{
	return tsc_hz ? "tsc (rate from the monitor)" : "monitor calls";
}

static u64 hvt_clock_hz(void)
{
	return tsc_hz ? tsc_hz : 1000000000UL;
}

/* Console input: buf is runtime memory (the core's buffer in .bss). */
static long hvt_console_read(void *buf, size_t n)
{
	u64 gpa = gpa_of((u64)buf);

	if (!console_in)
		return -ENODEV;
	if (gpa == ~0UL)
		return 0;
	c_console_read.data = gpa;
	c_console_read.size = n;
	hvt_call(HVT_CALL_CONSOLE_READ, &c_console_read);
	if (c_console_read.ret || c_console_read.eof)
		return -1;
	return (long)MIN(c_console_read.len, (u64)n);
}

/* The monitor sleeps until the deadline, a frame on the tap, console input
 * (while the core wants it), the timer or a stop request; callers loop. */
static void hvt_wait_until(u64 deadline_ns)
{
	u64 now = hvt_monotonic_ns();

	if (now >= deadline_ns)
		return;
	c_poll.timeout_ns = deadline_ns - now;
	c_poll.want = console_in && console_in_wanted() ? HVT_READY_CONSOLE : 0;
	hvt_call(HVT_CALL_POLL, &c_poll);
	if (c_poll.ready_set & HVT_READY_STOP)
		sched_irq_stop();
}

static void hvt_timer_set(u64 deadline_ns)
{
	u64 now = hvt_monotonic_ns();

	c_timer.timeout_ns = deadline_ns == ~0UL ? 0 : deadline_ns > now ? deadline_ns - now : 1;
	hvt_call(HVT_CALL_TIMER, &c_timer);
}

static void timer_irq(int vector)
{
	sched_irq_timer();
}

static void stop_irq(int vector)
{
	sched_irq_stop();
}

static int hvt_net_open(u8 mac[6], u32 *mtu)
{
	if (!net_mtu)
		return -ENODEV;
	memcpy(mac, net_mac, 6);
	*mtu = net_mtu;
	return 0;
}

/* Frame buffers are physically contiguous (the runtime's .bss or lwIP's
 * heap in the direct map), so one gpa describes them. */
static int hvt_net_send(const void *frame, size_t len)
{
	u64 gpa = gpa_of((u64)frame);

	if (gpa == ~0UL)
		return -EIO;
	c_net_write.data = gpa;
	c_net_write.len = len;
	hvt_call(HVT_CALL_NET_WRITE, &c_net_write);
	return c_net_write.ret;
}

static long hvt_net_recv(void *buf, size_t size)
{
	u64 gpa = gpa_of((u64)buf);

	if (gpa == ~0UL || !net_mtu)
		return 0; /* no device: waits also end for the timer */
	c_net_read.data = gpa;
	c_net_read.size = size;
	hvt_call(HVT_CALL_NET_READ, &c_net_read);
	return c_net_read.ret ? 0 : (long)c_net_read.len;
}

/* Disks: one BLOCK_READ/BLOCK_WRITE call per physically contiguous run of
 * the buffer (program buffers are page-mapped). */
static int hvt_blk_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	u64 va = (u64)buf, off = sector * HVT_SECTOR_SIZE;

	while (len) {
		u64 gpa, run = blk_phys_run(va, len, &gpa);

		if (!run)
			return -EIO; /* never hand the monitor an unmapped address */
		if (run < len)
			run -= run % HVT_SECTOR_SIZE ?: 0;
		if (!run || run % HVT_SECTOR_SIZE) {
			/* a sector split across discontiguous pages: bounce it */
			static u8 bounce[HVT_SECTOR_SIZE];

			if (write)
				memcpy(bounce, (void *)va, HVT_SECTOR_SIZE);
			c_block = (struct hvt_call_block_rw){ .disk = (u32)(u64)d->priv,
							      .offset = off,
							      .data = blk_phys((u64)bounce),
							      .len = HVT_SECTOR_SIZE };
			hvt_call(write ? HVT_CALL_BLOCK_WRITE : HVT_CALL_BLOCK_READ, &c_block);
			if (c_block.ret)
				return -EIO;
			if (!write)
				memcpy((void *)va, bounce, HVT_SECTOR_SIZE);
			run = HVT_SECTOR_SIZE;
		} else {
			c_block = (struct hvt_call_block_rw){
				.disk = (u32)(u64)d->priv, .offset = off, .data = gpa, .len = run
			};
			hvt_call(write ? HVT_CALL_BLOCK_WRITE : HVT_CALL_BLOCK_READ, &c_block);
			if (c_block.ret)
				return -EIO;
		}
		va += run;
		off += run;
		len -= run;
	}
	return 0;
}

static int hvt_blk_flush(struct blkdev *d)
{
	c_block = (struct hvt_call_block_rw){ .disk = (u32)(u64)d->priv, .flags = HVT_BLOCK_FLUSH };
	hvt_call(HVT_CALL_BLOCK_WRITE, &c_block);
	return c_block.ret ? -EIO : 0;
}

static const struct blk_ops hvt_blk_ops = {
	.rw = hvt_blk_rw,
	.flush = hvt_blk_flush,
};

/* The disks are the boot info's table (version 5): no call. */
void hvt_blk_disks(void)
{
	for (u32 i = 0; i < ndisk_table; i++) {
		struct blkdev *d = &disks[i];

		d->ops = &hvt_blk_ops;
		d->priv = (void *)(u64)i; /* the monitor's disk number */
		d->sectors = disk_table[i].size / HVT_SECTOR_SIZE;
		d->sector_size = HVT_SECTOR_SIZE;
		d->max_io = 1U << 30;
		d->ro = disk_table[i].flags & HVT_DISK_RO;
		ksnprintf(d->name, sizeof(d->name), "hvt disk %u", i);
		blk_register(d);
	}
}

static void __noreturn hvt_exit(int status)
{
	c_halt.status = status;
	hvt_call(HVT_CALL_HALT, &c_halt);
	cpu_halt_forever();
}

static const struct platform_ops hvt_platform = {
	.name = "hvt",
	.console_write = hvt_console_write,
	.console_err_write = hvt_console_err,
	.console_read = hvt_console_read,
	.clock_init = hvt_clock_init,
	.monotonic_ns = hvt_monotonic_ns,
	.wall_ns = hvt_wall_ns,
	.clock_res_ns = hvt_clock_res_ns,
	.wait_until = hvt_wait_until,
	.timer_set = hvt_timer_set,
	.exit = hvt_exit,
	.clock_source = hvt_clock_source,
	.clock_hz = hvt_clock_hz,
	.net_open = hvt_net_open,
	.net_send = hvt_net_send,
	.net_recv = hvt_net_recv,
	.blk_probe = hvt_blk_probe,
};

void hvt_main(u64 boot_info_gpa)
{
	/* The boot direct map covers [0, 4 MiB): the boot info and command line. */
	const struct hvt_boot_info *bi = phys_to_virt(boot_info_gpa);

	platform = &hvt_platform;
	if (bi->magic != HVT_BOOT_MAGIC || bi->abi_version != HVT_ABI_VERSION) {
		kprintf("unikernel: the monitor speaks hvt ABI %u, this runtime %u\n",
			bi->abi_version, HVT_ABI_VERSION);
		hvt_exit(EXIT_PANIC);
	}
	/* The command line is parsed in place (into copies): no frame is
	 * taken below the image (core/main.c), so nothing overwrites it. */
	info.cmdline = "";
	if (bi->cmdline && bi->cmdline < 0x400000 - HVT_CMDLINE_MAX) {
		char *line = phys_to_virt(bi->cmdline);

		line[HVT_CMDLINE_MAX - 1] = 0;
		info.cmdline = line;
	}
	tsc_hz = bi->tsc_hz;
	console_in = bi->console_in == 1;
	net_mtu = bi->net_mtu;
	__builtin_memcpy(net_mac, bi->net_mac, 6); /* two moves, no call */
	bi_wall_ns = bi->wall_ns;
	bi_mono_ns = bi->mono_ns;
	bi_tsc = bi->boot_tsc;
	ndisk_table = MIN(bi->ndisks, (u32)HVT_MAX_DISKS);
	if (ndisk_table)
		memcpy(disk_table, bi->disks, ndisk_table * sizeof(disk_table[0]));
	info.ram[0] = (struct mem_region){ 0, bi->mem_size };
	info.nram = 1;
	info.platform = "hvt";
	info.ram_zeroed = true; /* the monitor's memory is fresh anonymous pages */
	if (bi->prepared & HVT_PREPARED_PROGRAM) {
		info.program_mapped = true;
		info.taken_end = bi->frames_end;
	}
	if (!(bi->prepared & HVT_PREPARED_PAGING))
		arch_dmap_extend_gib(bi->mem_size);
	else
		arch_page_table_known(STACK_TOP - PAGE_SIZE, pt_stack);
	if (bi->prepared & HVT_PREPARED_CPU)
		cpu_init_prepared(bi->xcr0);
	else
		cpu_init();
	arch_set_irq_handler(HVT_IRQ_TIMER, timer_irq);
	arch_set_irq_handler(HVT_IRQ_STOP, stop_irq);
	runtime_main(&info);
}
