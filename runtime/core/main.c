/* main.c - the boot flow of the core: memory, files, the application.
 *
 * The platform has already switched to long mode, mapped the runtime and
 * the direct map, and set up the CPU (descriptor tables, SSE, syscall
 * MSRs).  Here we take the RAM the image does not occupy, index the
 * packaged files, load the program, build its stack and jump to it.
 */
#include "blk.h"
#include "elf.h"
#include "errno.h"
#include "mm.h"
#include "random.h"
#include "runtime.h"
#include "syscall.h"
#include "vfs.h"
#include "arch.h"
#include "netstack.h"
#include "thread.h"
#include "../platform/platform.h"

/* The payload the `c` compiler links in (compilers/c/c_pack.c): the blobs
 * in .unik_payload (physical addresses), the name in .rodata. */
extern const u8 unik_app_elf[], unik_app_elf_end[];
extern const u8 unik_files[], unik_files_end[];
extern const char unik_app_name[];
/* The program's load plan (abi/app_plan.h), in .rodata; an image linked
 * without one has none (weak: its address is 0). */
extern const struct app_plan unik_app_plan __attribute__((weak));
extern const u8 __image_end[];

static struct cmdline cmd;

const struct platform_ops *platform;

const struct cmdline *runtime_cmdline(void)
{
	return &cmd;
}

void runtime_exit(int status)
{
	if (cmd.verbose)
		kprintf("unikernel: exit status %d after %lu us, %lu system calls (%lu direct)\n",
			status, plat_monotonic_ns() / 1000, syscall_count, syscall_direct_count);
	blk_set_polling(true); /* no thread runs any more */
	volumes_sync(true);
	plat_exit(status);
}

static void take_memory(const struct boot_info *bi)
{
	u64 image_end = ALIGN_UP((u64)__image_end, PAGE_SIZE);

	frames_fresh_zeroed(bi->ram_zeroed);
	for (int i = 0; i < bi->nram; i++) {
		u64 base = bi->ram[i].base, end = base + bi->ram[i].size;

		if (end <= image_end)
			continue;
		base = MAX(base, image_end);
		frames_add_taken(base, end - base, bi->program_mapped ? bi->taken_end : 0);
	}
}

void runtime_main(const struct boot_info *bi)
{
	struct app_image img;
	u64 sp, direct;
	int err;

	plat_clock_init();
	take_memory(bi);
	random_init();
	cmdline_parse(bi->cmdline, unik_app_name, &cmd);
	syscall_trace = cmd.strace;
	if (cmd.verbose)
		kprintf(
		    "unikernel: runtime %s on %s, %lu KiB free, clock %s at %lu kHz, random %s\n",
		    UNIK_RUNTIME_VERSION, bi->platform, frames_free() * 4, plat_clock_source(),
		    plat_clock_hz() / 1000, random_source());
	/* The payload lies above the runtime's 1:1 window: reach it by the direct map. */
	/* the overlay may take half of the RAM unless unik.json says otherwise */
	err = vfs_init(phys_to_virt((u64)unik_files), (u64)(unik_files_end - unik_files),
		       frames_total() * PAGE_SIZE / 2);
	if (err < 0)
		panic("the packaged file archive is malformed (%d)", err);
	fd_init();
	volumes_init(&cmd);
	netstack_init(&cmd);
	netstack_user_data(&cmd);
	err = elf_load_app((u64)unik_app_elf, (u64)(unik_app_elf_end - unik_app_elf),
			   &unik_app_plan ? &unik_app_plan : NULL, bi->program_mapped, &img);
	if (err == -EBADMSG)
		panic("the image's load plan is malformed");
	if (err == -ENOEXEC)
		panic("the program is dynamically linked; build it with -static");
	if (err == -ENOMEM)
		panic("out of memory loading the program (%lu KiB free)", frames_free() * 4);
	if (err)
		panic("the program is not a static x86-64 executable (%d)", err);
	brk_init(img.brk_start);
	/* The stack's top page is written next (elf_build_stack): mapped
	 * now, it costs no page fault.  The reservation is new and nothing
	 * maps its pages yet, so the frame goes straight in (no lookups). */
	u64 top = frame_alloc();

	if (vm_reserve(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE, VMA_STACK) ||
	    !top || arch_map_page(STACK_TOP - PAGE_SIZE, top, PROT_READ | PROT_WRITE))
		panic("cannot reserve the stack");
	/* The direct entry is runtime text: callable only at our privilege. */
	direct = bi->hosted  ? (u64)syscall_direct_entry
		 : cmd.ring0 ? (u64)syscall_direct_entry_ring0
			     : 0;
	sp = elf_build_stack(&img, cmd.argv, cmd.argc, cmd.envp, cmd.envc, direct);
	if (cmd.verbose)
		kprintf(
		    "unikernel: %lu files, program loaded after %lu us, entry 0x%lx, ring %d%s\n",
		    vfs_count(), plat_monotonic_ns() / 1000, img.entry,
		    bi->hosted	? 3
		    : cmd.ring0 ? 0
				: 3,
		    direct ? ", direct system calls offered" : "");
	thread_init();
	blk_set_polling(false); /* disk waits may sleep from now on */
	arch_enter_app(img.entry, sp, bi->hosted ? APP_HOSTED : cmd.ring0 ? APP_RING0 : APP_RING3);
}
