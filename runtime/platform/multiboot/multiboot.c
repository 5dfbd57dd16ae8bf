/* multiboot.c - the boot information a Multiboot2 loader gave, from the
 * copy multiboot_start.S made, turned into the core's struct boot_info. */
#include "multiboot.h"
#include "../pvh/pvh.h"

static u32 word_at(u32 off)
{
	u32 v;

	memcpy(&v, mb_copy + off, sizeof(v));
	return v;
}

static u64 quad_at(u32 off)
{
	u64 v;

	memcpy(&v, mb_copy + off, sizeof(v));
	return v;
}

/* The RAM entries of the map, before sorting and merging: a map GRUB made
 * from UEFI's has many small neighbouring regions, and need not be sorted. */
#define MAP_MAX 256
static struct mem_region map[MAP_MAX];
static int nmap;

static void map_add(u64 base, u64 len, u32 type)
{
	if (type == E820_RAM && len && base + len > base && nmap < MAP_MAX)
		map[nmap++] = (struct mem_region){ base, len };
}

/* Sorted by base, neighbours and overlaps joined, into info (ascending). */
static void map_flush(struct boot_info *info)
{
	for (int i = 1; i < nmap; i++) {
		struct mem_region r = map[i];
		int j = i;

		for (; j > 0 && map[j - 1].base > r.base; j--)
			map[j] = map[j - 1];
		map[j] = r;
	}
	for (int i = 0; i < nmap;) {
		u64 base = map[i].base, end = base + map[i].size;

		for (i++; i < nmap && map[i].base <= end; i++)
			end = MAX(end, map[i].base + map[i].size);
		pvh_add_ram(info, base, end - base, E820_RAM);
	}
	nmap = 0;
}

/* The memory map tag at off, of `size` bytes: entry_size, entry_version,
 * then entries of base, length, type. */
static void add_mmap(u32 off, u32 size)
{
	u32 esize = size >= 16 ? word_at(off + 8) : 0;

	/* Entries of at least 24 bytes, within the tag (off + size is within
	 * the copy, so the walk cannot wrap). */
	if (esize < 24 || esize > size)
		return;
	for (u32 e = off + 16; e + 24 <= off + size; e += esize)
		map_add(quad_at(e), quad_at(e + 8), word_at(e + 16));
}

int multiboot_boot_info(char *cmdline, size_t size, struct boot_info *info)
{
	u32 len = mb_copy_len, lower = 0, upper = 0;
	bool meminfo = false;

	cmdline[0] = 0;
	info->cmdline = cmdline;
	if (len > MB2_COPY_MAX)
		len = MB2_COPY_MAX;
	/* total_size and a reserved word, then the tags, each 8-aligned. */
	for (u32 off = 8; len >= 8 && off <= len - 8;) {
		u32 type = word_at(off), tsize = word_at(off + 4);

		if (type == MB2_TAG_END || tsize < 8 || tsize > len - off)
			break;
		if (type == MB2_TAG_CMDLINE) {
			/* The string, NUL-terminated within the tag. */
			size_t n = MIN((size_t)tsize - 8, size - 1);

			memcpy(cmdline, mb_copy + off + 8, n);
			cmdline[n] = 0;
		} else if (type == MB2_TAG_MMAP) {
			add_mmap(off, tsize);
		} else if (type == MB2_TAG_MEMINFO && tsize >= 16) {
			lower = word_at(off + 8);
			upper = word_at(off + 12);
			meminfo = true;
		}
		off += (tsize + 7) & ~7u;
	}
	map_flush(info);
	if (info->nram)
		return 0;
	if (!meminfo)
		return -1;
	/* The sizes only: conventional memory and the memory above 1 MiB. */
	pvh_add_ram(info, 0, (u64)lower << 10, E820_RAM);
	pvh_add_ram(info, 0x100000, (u64)upper << 10, E820_RAM);
	return info->nram ? 0 : -1;
}
