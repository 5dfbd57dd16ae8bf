/* badguest.S - a misbehaving hvt guest for tests/monitor/run-tests.
 *
 * It speaks the ABI of abi/hvt_abi.h just enough to be loaded, then makes
 * the call chosen by the first byte of its command line:
 *   w  a call whose struct lies outside guest memory (walltime)
 *   d  console_write with data outside guest memory
 *   o  console_write whose address + length wraps around 2^64
 *   u  a call number the monitor does not know
 *   b  block_read into data outside guest memory
 *   e  block_write past the disk's end: halts with 42 when refused (-EINVAL)
 *   r  console_read into data outside guest memory
 *   R  console_read without --stdin: halts with 42 when refused (-ENODEV)
 *   h  halt with status 42 (the well-behaved path)
 *   anything else: hlt without the halt call
 * Built with -DBAD_PREPARE=1 or 2 it also names a hostile struct
 * hvt_prepare (abi/hvt_abi.h), which the monitor must refuse; with 3, 4
 * or 5 a good struct hvt_prepare and a hostile struct hvt_program.
 */
#include "../../abi/hvt_abi.h"

	.section .note.unik, "a", @note
	.balign 4
	.long 5, 8, HVT_NOTE_ABI_VERSION
	.asciz "unik"
	.balign 4
	.quad HVT_ABI_VERSION
	.balign 4
	.long 5, 8, HVT_NOTE_HVT_ENTRY
	.asciz "unik"
	.balign 4
	.quad bad_start
#ifdef BAD_PREPARE
	/* A hostile struct hvt_prepare: 1, one whose pml4 lies outside guest
	 * memory; 2, the struct itself outside it.  The monitor refuses both. */
	.balign 4
	.long 5, 8, HVT_NOTE_HVT_PREPARE
	.asciz "unik"
	.balign 4
#if BAD_PREPARE == 1
	.quad bad_prepare
#elif BAD_PREPARE == 2
	.quad 0xfffff000
#else
	.quad good_prepare
#endif
#if BAD_PREPARE >= 3
	/* A hostile struct hvt_program: 3, the struct outside guest memory;
	 * 4, a load plan whose segment lies below the program's addresses;
	 * 5, a segment of 64 MiB of .bss (more than guest memory). */
	.balign 4
	.long 5, 8, HVT_NOTE_HVT_PROGRAM
	.asciz "unik"
	.balign 4
#if BAD_PREPARE == 3
	.quad 0xfffff000
#else
	.quad bad_program
#endif
#endif
#endif

	.text
	.code64
	.globl bad_start
bad_start:
	mov 24(%rdi), %rsi		/* boot info: cmdline gpa (identity-mapped) */
	movzbl (%rsi), %ecx
	cmp $'w', %cl
	je wild_struct
	cmp $'d', %cl
	je wild_data
	cmp $'o', %cl
	je wrap_data
	cmp $'u', %cl
	je unknown
	cmp $'h', %cl
	je halt
	cmp $'b', %cl
	je wild_block
	cmp $'e', %cl
	je block_past_end
	cmp $'r', %cl
	je wild_read
	cmp $'R', %cl
	je read_no_input
	hlt

wild_read:
	mov $rd_wild, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_CONSOLE_READ), %dx
	out %eax, %dx
	hlt
read_no_input:
	mov $rd_none, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_CONSOLE_READ), %dx
	out %eax, %dx
	cmpl $-19, rd_none + 28		/* ret: -ENODEV */
	jne 1f
	jmp halt
1:	hlt

wild_struct:
	mov $0xfffffff0, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_WALLTIME), %dx
	out %eax, %dx
	hlt
wild_data:
	mov $wild, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_CONSOLE_WRITE), %dx
	out %eax, %dx
	hlt
wrap_data:
	mov $wrap, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_CONSOLE_WRITE), %dx
	out %eax, %dx
	hlt
unknown:
	xor %eax, %eax
	mov $(HVT_PIO_BASE + 77), %dx
	out %eax, %dx
	hlt
wild_block:
	mov $blk_wild, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_BLOCK_READ), %dx
	out %eax, %dx
	hlt
block_past_end:
	mov $blk_end, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_BLOCK_WRITE), %dx
	out %eax, %dx
	cmpl $-22, blk_end + 32		/* ret: -EINVAL */
	jne 1f
	jmp halt
1:	hlt
halt:
	mov $status, %eax
	mov $(HVT_PIO_BASE + HVT_CALL_HALT), %dx
	out %eax, %dx
	hlt

	.data
	.balign 8
wild:	.quad 0xffffffffff000000, 64	/* console_write: data, len */
wrap:	.quad 0x200000, 0xfffffffffffffff0
status:	.long 42, 0
	/* struct hvt_call_block_rw: disk, flags, offset, data, len, ret, pad */
blk_wild: .long 0, 0
	.quad 0, 0xfffffffffff00000, 4096
	.long 0, 0
	/* struct hvt_call_console_read: data, size, len, eof, ret */
rd_wild: .quad 0xfffffffffff00000, 4096, 0
	.long 0, 0
rd_none: .quad 0x200000, 16, 0
	.long 0, 0
#ifdef BAD_PREPARE
	/* A struct hvt_prepare: gdt, idt, tss; sizes; selectors; dmap_slot;
	 * star, lstar, fmask; then the tables pml4, pdpt_low, pd_low, pt_low,
	 * pdpt_dmap, pd_dmap (\low), stack_va, pdpt_stack, pd_stack, pt_stack
	 * (\stack): pml4 \pml4, the others from \low and \stack on, a page
	 * apart (\step). */
.macro prepare pml4, low, stack, step
	.quad 0x101000, 0x101000, 0x101000
	.long 64, 16, 104
	.word 8, 16, 24, 0
	.long 256
	.quad 0, 0, 0, 0
	.quad \pml4, \low, \low + \step, \low + 2 * \step, \low + 3 * \step, \low + 4 * \step
	.quad 0x7ffffffff000, \stack, \stack + \step, \stack + 2 * \step
.endm
	.balign 4096
bad_prepare:
	prepare 0x7ff00000, 0x101000, 0x101000, 0
#if BAD_PREPARE >= 3
	/* the same with every table in guest memory, each its own page */
	.balign 4096
good_prepare:
	prepare 0x110000, 0x111000, 0x116000, 0x1000
	/* struct hvt_program: plan, file, file_end (the first page) */
bad_program:
	.quad bad_plan, 0x100000, 0x101000
	/* struct app_plan: magic, version, nseg, app_size, entry, phdr,
	 * phnum, phent; one segment: start, end, direct_off, direct_first,
	 * direct_pages, file_va, file_len, file_off, prot */
	.balign 8
bad_plan:
	.quad 0x6e616c706b696e75
	.long 1, 1
	.quad 0x1000, 0x400000, 0, 0, 0
#if BAD_PREPARE == 4
	.quad 0x100000, 0x101000, 0
#else
	.quad 0x400000, 0x4400000, 0
#endif
	.long 0, 0
	.quad 0x400000, 0, 0, 3
	.fill 15 * 64, 1, 0
#endif
#endif
blk_end: .long 0, 0
	.quad 0x7ffffffffffffe00, 0x200000, 1024
	.long 0, 0

	.section .note.GNU-stack, "", @progbits
