/* pvh.h - the PVH boot protocol's start info, as QEMU and Xen hand it over
 * (Xen's public arch-x86/hvm/start_info.h), and the two platforms it enters. */
#ifndef UNIK_RT_PVH_H
#define UNIK_RT_PVH_H

#include "../platform.h"

#define HVM_START_MAGIC 0x336ec578
#define E820_RAM 1

struct hvm_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr;
	u64 memmap_paddr; /* version >= 1 */
	u32 memmap_entries, reserved;
};

struct hvm_memmap_entry {
	u64 addr, size;
	u32 type, reserved;
};

/* pvh_info.c: the command line (copied into cmdline[0..size)) and the RAM
 * of the start info at pa, which the boot page tables map up to `mapped`:
 * 0, or -1 when it has no memory map (info->ram then stays as it was). */
int pvh_start_info(u32 pa, u64 mapped, char *cmdline, size_t size, struct boot_info *info);
/* Adds a memory map entry's RAM (type E820_RAM) to info. */
void pvh_add_ram(struct boot_info *info, u64 addr, u64 size, u32 type);
/* The end of the highest RAM region. */
u64 pvh_ram_top(const struct boot_info *info);

/* The C entry of each platform booted through PVH. */
void qemu_pvh_main(u32 start_info_pa) __noreturn;
void xen_pvh_main(u32 start_info_pa) __noreturn;

#endif
