/* xen_start.c - the Xen platform's C entry and its operations: a PVH
 * domain started by the toolstack (`xl create` with type="pvh"). */
#include "xen.h"
#include "netfront.h"
#include "../pvh/pvh.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"
#include "../../core/runtime.h"
#include "../../../abi/boot.h"

/* The boot page tables map [0, 4 MiB); Xen puts the start info, the
 * command line and the memory map right after the image. */
#define BOOT_MAPPED 0x400000

static char cmdline[8192];
static struct boot_info info;

static const struct platform_ops xen_platform = {
	.name = "xen-pvh",
	.console_write = xen_console_write,
	.clock_init = xen_clock_init,
	.monotonic_ns = xen_monotonic_ns,
	.wall_ns = xen_wall_ns,
	.clock_res_ns = xen_clock_res_ns,
	.wait_until = xen_wait_until,
	.timer_set = xen_timer_set,
	.exit = xen_exit,
	.clock_source = xen_clock_source,
	.clock_hz = xen_clock_hz,
	.net_open = netfront_open,
	.net_send = netfront_send,
	.net_recv = netfront_recv,
	.blk_probe = xen_blk_probe,
};

/* The exit status goes on the console as the last line (the provider reads
 * it from the console log, the last such line wins), once the console
 * daemon has read everything before it; then the domain powers off. */
void xen_exit(int status)
{
	char line[40];
	int n;

	n = ksnprintf(line, sizeof(line), "\n" UNIK_EXIT_STATUS_KEY "%d\n", status);
	xen_console_write(line, (size_t)n);
	xen_console_flush();
	for (;;) {
		u32 reason = XEN_SHUTDOWN_POWEROFF;

		xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_SHUTDOWN, (u64)(uintptr_t)&reason, 0, 0,
			      0);
	}
}

/* RAM from Xen's memory map when the start info has none. */
static void memory_map_from_xen(void)
{
	static struct hvm_memmap_entry map[BOOT_MAX_RAM];
	struct xen_memory_map m = { .nr_entries = BOOT_MAX_RAM, .buffer = (u64)(uintptr_t)map };
	long rc =
	    xen_hypercall(XEN_HC_MEMORY_OP, XEN_XENMEM_MEMORY_MAP, (u64)(uintptr_t)&m, 0, 0, 0);

	if (rc)
		panic("xen: no memory map (XENMEM_memory_map: %ld)", rc);
	for (u32 i = 0; i < m.nr_entries && i < BOOT_MAX_RAM; i++)
		pvh_add_ram(&info, map[i].addr, map[i].size, map[i].type);
}

void xen_pvh_main(u32 start_info_pa)
{
	platform = &xen_platform; /* the debug port until the console is found */
	xen_hypercall_init();
	if (pvh_start_info(start_info_pa, BOOT_MAPPED, cmdline, sizeof(cmdline), &info))
		memory_map_from_xen();
	if (!info.nram)
		panic("xen: the memory map has no RAM");
	arch_dmap_extend(pvh_ram_top(&info));
	info.platform = "xen-pvh";
	/* Xen scrubs the pages it gives a domain, but the domain builder writes
	 * the start info, command line and memory map into RAM after the image:
	 * fresh frames are cleared when taken. */
	info.ram_zeroed = false;
	cpu_init();
	xen_events_init();
	xen_console_init();
	xen_clock_init(); /* for the xenstore client's timeouts; the core calibrates again */
	xen_control_init();
	runtime_main(&info);
}
