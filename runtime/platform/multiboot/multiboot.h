/* multiboot.h - the Multiboot2 boot protocol as the runtime reads it: the
 * header's fields, the boot information's tags, and the copy
 * multiboot_start.S makes of that information.  Shared by the assembly
 * entry and multiboot.c.
 *
 * Multiboot2 rather than version 1: QEMU's -kernel takes any image with a
 * version 1 header for a Multiboot kernel, and refuses ELF64 ones, where
 * our images must reach its PVH loader; QEMU knows nothing of Multiboot2. */
#ifndef UNIK_RT_MULTIBOOT_H
#define UNIK_RT_MULTIBOOT_H

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0 /* 32-bit protected mode */
#define MB2_BOOT_MAGIC 0x36d76289 /* in %eax at the entry */

/* Header tags. */
#define MB2_HTAG_END 0
#define MB2_HTAG_ENTRY 3 /* the i386 entry address */

/* Boot information tags. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MEMINFO 4 /* mem_lower, mem_upper (KiB) */
#define MB2_TAG_MMAP 6

/* Bytes of the boot information copied (the rest, if any, is not read). */
#define MB2_COPY_MAX 16384

#ifndef __ASSEMBLER__
#include "../platform.h"

/* Set by multiboot_start.S (in .data and a section pvh_start does not clear). */
extern u32 multiboot_booted, mb_copy_len;
extern u8 mb_copy[MB2_COPY_MAX];

/* multiboot.c: the command line (copied into cmdline[0..size)) and the RAM
 * of the copied information into info.  -1 when it gave neither a memory
 * map nor the memory sizes. */
int multiboot_boot_info(char *cmdline, size_t size, struct boot_info *info);

/* The QEMU platform's entry when a Multiboot2 loader booted us (qemu/). */
void qemu_multiboot_main(void) __noreturn;
#endif

#endif
