/* multiboot_start.S - the Multiboot2 entry: GRUB's `multiboot2` command, or
 * any other Multiboot2 loader, boots the same image that QEMU and Xen boot
 * through PVH (a disk staged by providers/common/disk_stage.c).
 *
 * The header sits at the start of .text, within the image file's first
 * 32 KiB as the specification requires.  It has no address tag, so the
 * loader reads the ELF program headers (GRUB loads ELF64 at the segments'
 * physical addresses), and an entry address tag: the loader jumps to
 * multiboot_start (the ELF entry stays pvh_start) in 32-bit protected mode
 * with paging off, %eax = 0x36d76289 and %ebx = the physical address of the
 * boot information.  That information may lie anywhere below 4 GiB,
 * outside what the boot page tables map, so while paging is still off we
 * copy it (at most MB2_COPY_MAX bytes) into mb_copy, a section after .bss
 * that pvh_start does not clear, note that we came this way, and continue in
 * pvh_start, which goes to long mode and calls pvh_main(); pvh_main sends us
 * to the QEMU platform's qemu_multiboot_main().
 * No stack is used: the loader gives none.
 */
#include "multiboot.h"

	.section .multiboot, "a"
	.balign 8
	.globl multiboot_header
multiboot_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long multiboot_header_end - multiboot_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (multiboot_header_end - multiboot_header))
	.balign 8
	.short MB2_HTAG_ENTRY, 0	/* type, flags (required) */
	.long 12			/* size */
	.long multiboot_start
	.balign 8
	.short MB2_HTAG_END, 0
	.long 8
	.globl multiboot_header_end
multiboot_header_end:

	.section .boot.text, "ax"
	.code32
	.globl multiboot_start
multiboot_start:
	cli
	cld
	cmp $MB2_BOOT_MAGIC, %eax
	jne 9f
	mov (%ebx), %ecx		/* total_size */
	cmp $MB2_COPY_MAX, %ecx
	jbe 1f
	mov $MB2_COPY_MAX, %ecx
1:	mov %ecx, mb_copy_len
	mov %ebx, %esi
	mov $mb_copy, %edi
	rep movsb
	movl $1, multiboot_booted
	jmp pvh_start

	/* Not started by a Multiboot2 loader: nothing to report to. */
9:	cli
	hlt
	jmp 9b

	.section .data
	.balign 4
	.globl multiboot_booted, mb_copy_len
multiboot_booted:	.long 0
mb_copy_len:		.long 0

	.section .multiboot.copy, "aw", @nobits
	.balign 8
	.globl mb_copy
mb_copy:		.skip MB2_COPY_MAX

	.section .note.GNU-stack, "", @progbits
