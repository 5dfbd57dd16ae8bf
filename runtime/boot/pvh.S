/* pvh.S - the PVH entry point: 32-bit protected mode to 64-bit long mode.
 *
 * QEMU (-kernel, any x86 machine type) and Xen find `pvh_start` through the
 * XEN_ELFNOTE_PHYS32_ENTRY note and enter it with paging off, a flat 32-bit
 * code segment, and %ebx holding the physical address of the
 * hvm_start_info.  We clear .bss, build the boot page tables, turn on long
 * mode and call pvh_main(start_info) on the boot stack.
 *
 * Boot page tables (all in .bss: pt_low is filled here, not in the image
 * file, where it was 4 KiB of a small image):
 *   pml4[0]   -> pdpt_low[0] -> pd_low[0] -> pt_low: 4 KiB pages mapping
 *                [1 MiB, 2 MiB) 1:1 (the runtime, supervisor-only);
 *                [0, 1 MiB) stays unmapped so NULL and small pointers fault.
 *                The upper levels allow user access: the application's
 *                pages live under the same pml4[0].
 *   pml4[256] -> pdpt_dmap[0] -> pd_dmap0: 2 MiB pages, DMAP_BASE + [0, 4 MiB)
 *                for the start info; C code extends the direct map to all RAM.
 */
#include "pt_low.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PS 0x80

	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz */
	.long 8				/* descsz */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_start
	.balign 4

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %esi

	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	fill_pt_low

	movl $(pdpt_low + PTE_P + PTE_W + PTE_U), pml4
	movl $(pdpt_dmap + PTE_P + PTE_W), pml4 + 256 * 8
	movl $(pd_low + PTE_P + PTE_W + PTE_U), pdpt_low
	movl $(pt_low + PTE_P + PTE_W + PTE_U), pd_low
	movl $(pd_dmap + PTE_P + PTE_W), pdpt_dmap
	movl $(0x000000 + PTE_P + PTE_W + PTE_PS), pd_dmap
	movl $(0x200000 + PTE_P + PTE_W + PTE_PS), pd_dmap + 8

	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3

	/* EFER: long mode, syscall; NX when the CPU has it. */
	mov $0x80000001, %eax
	cpuid
	mov $0x101, %edi		/* LME | SCE */
	bt $20, %edx
	jnc 1f
	or $0x800, %edi			/* NXE */
1:	mov $0xc0000080, %ecx
	rdmsr
	or %edi, %eax
	wrmsr

	mov %cr0, %eax
	or $0x80010001, %eax		/* PG | WP | PE */
	mov %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $1f

	.code64
1:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $boot_stack_top, %rsp
	mov %esi, %edi
	call pvh_main
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.quad boot_gdt

	.section .bss
	.balign 4096
	.globl pml4, pd_dmap, pdpt_low, pd_low, pt_low, pdpt_dmap, boot_stack_top
pml4:		.skip 4096
pt_low:		.skip 4096
pdpt_low:	.skip 4096
pd_low:		.skip 4096
pdpt_dmap:	.skip 4096
pd_dmap:	.skip 4096 * 4		/* 4 GiB of 2 MiB pages */
	.balign 16
boot_stack:	.skip 32768
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
