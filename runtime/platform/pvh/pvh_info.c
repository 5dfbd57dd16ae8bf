/* pvh_info.c - reading the PVH start info: the command line and the RAM
 * regions of its memory map. */
#include "pvh.h"
#include "../../core/mm.h"
#include "../../core/runtime.h"

int pvh_start_info(u32 pa, u64 mapped, char *cmdline, size_t size, struct boot_info *info)
{
	const struct hvm_start_info *si = phys_to_virt(pa);
	const struct hvm_memmap_entry *map;

	if (pa >= mapped || mapped - pa < sizeof(*si))
		panic("the PVH start info at 0x%x is outside the boot mappings", pa);
	if (si->magic != HVM_START_MAGIC)
		panic("bad PVH start info magic 0x%x", si->magic);
	if (si->cmdline_paddr && si->cmdline_paddr < mapped - size)
		strlcpy(cmdline, phys_to_virt(si->cmdline_paddr), size);
	info->cmdline = cmdline;
	if (si->version < 1 || !si->memmap_paddr || si->memmap_paddr >= mapped ||
	    si->memmap_entries > (mapped - si->memmap_paddr) / sizeof(*map))
		return -1;
	map = phys_to_virt(si->memmap_paddr);
	for (u32 i = 0; i < si->memmap_entries; i++)
		pvh_add_ram(info, map[i].addr, map[i].size, map[i].type);
	return 0;
}

void pvh_add_ram(struct boot_info *info, u64 addr, u64 size, u32 type)
{
	if (type != E820_RAM || !size || info->nram == BOOT_MAX_RAM)
		return;
	info->ram[info->nram++] = (struct mem_region){ addr, size };
}

u64 pvh_ram_top(const struct boot_info *info)
{
	u64 top = 0;

	for (int i = 0; i < info->nram; i++)
		top = MAX(top, info->ram[i].base + info->ram[i].size);
	return top;
}
