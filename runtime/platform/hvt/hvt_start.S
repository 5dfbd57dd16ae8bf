/* hvt_start.S - the entry point for bin/unik-hvt (abi/hvt_abi.h).
 *
 * The monitor starts the vCPU already in 64-bit long mode with %rdi = the
 * guest-physical address of the struct hvt_boot_info and %rsi = its
 * `prepared` flags.  Guest memory is fresh (all zero), so .bss needs no
 * clearing.  With HVT_PREPARED_PAGING the monitor filled the runtime's boot
 * page tables, pt_low's 1:1 window too (hvt_prepare in hvt_platform.c), and
 * runs on them; else we fill them exactly as pvh.S does (the 1:1 window of the runtime and the direct
 * map of [0, 4 MiB)) and switch to them.  With HVT_PREPARED_CPU it turned on
 * syscall and NX; else we do.  Then hvt_main() on the boot stack.  Also
 * here: the image's "unik" notes for the ABI version, this entry point and
 * the prepared state. */
#include "../../../abi/hvt_abi.h"
#include "../../boot/pt_low.h"

#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PS 0x80

.macro unik_note type, value
	.balign 4
	.long 5				/* namesz: "unik\0" */
	.long 8				/* descsz */
	.long \type
	.asciz "unik"
	.balign 4
	.quad \value
.endm

	.section .note.unik, "a", @note
	unik_note HVT_NOTE_ABI_VERSION, HVT_ABI_VERSION
	unik_note HVT_NOTE_HVT_ENTRY, hvt_start
	unik_note HVT_NOTE_HVT_PREPARE, hvt_prepare
	unik_note HVT_NOTE_HVT_PROGRAM, hvt_program

	.text
	.code64
	.globl hvt_start
hvt_start:
	cli
	cld
	mov %rdi, %r12
	test $HVT_PREPARED_PAGING, %esi
	jnz 1f
	fill_pt_low
	movq $(pdpt_low + PTE_P + PTE_W + PTE_U), pml4
	movq $(pdpt_dmap + PTE_P + PTE_W), pml4 + 256 * 8
	movq $(pd_low + PTE_P + PTE_W + PTE_U), pdpt_low
	movq $(pt_low + PTE_P + PTE_W + PTE_U), pd_low
	movq $(pd_dmap + PTE_P + PTE_W), pdpt_dmap
	movq $(0x000000 + PTE_P + PTE_W + PTE_PS), pd_dmap
	movq $(0x200000 + PTE_P + PTE_W + PTE_PS), pd_dmap + 8
	mov $pml4, %eax
	mov %rax, %cr3
1:	test $HVT_PREPARED_CPU, %esi
	jnz 3f

	/* EFER: the monitor set LME and LMA; add SCE, and NXE when present. */
	mov $0x80000001, %eax
	cpuid
	mov $0x1, %edi			/* SCE */
	bt $20, %edx
	jnc 2f
	or $0x800, %edi			/* NXE */
2:	mov $0xc0000080, %ecx
	rdmsr
	or %edi, %eax
	wrmsr

3:	mov $boot_stack_top, %esp
	mov %r12, %rdi
	call hvt_main
4:	cli
	hlt
	jmp 4b

	/* The page tables of the program's stack top, linked by the monitor
	 * (hvt_prepare): mapping the first stack page takes no frames. */
	.section .bss
	.balign 4096
	.globl pdpt_stack, pd_stack, pt_stack
pdpt_stack:	.skip 4096
pd_stack:	.skip 4096
pt_stack:	.skip 4096

	.section .note.GNU-stack, "", @progbits
