/* spt_start.S - the entry points for bin/unik-spt (abi/hvt_abi.h).
 *
 * spt_start: the monitor jumps here with %rdi = the host address of the
 * struct hvt_boot_info; we move to the runtime's boot stack (the monitor's
 * stack is about to be unmapped) and call spt_main().
 * spt_restorer: the rt_sigreturn trampoline of our signal handlers.  It lies
 * in the runtime's text, which Syscall User Dispatch lets through.
 * The handler itself (spt_signal) is C, in spt_platform.c.
 */
#include "../../../abi/hvt_abi.h"

.macro unik_note type, value
	.balign 4
	.long 5
	.long 8
	.long \type
	.asciz "unik"
	.balign 4
	.quad \value
.endm

	.section .note.unik, "a", @note
	unik_note HVT_NOTE_SPT_ENTRY, spt_start
	unik_note HVT_NOTE_SPT_SIGNAL, spt_signal
	unik_note HVT_NOTE_SPT_RESTORER, spt_restorer

	.text
	.globl spt_start
spt_start:
	cld
	mov $boot_stack_top, %esp
	call spt_main
	ud2

	.globl spt_restorer
spt_restorer:
	mov $15, %eax			/* rt_sigreturn */
	syscall
	ud2

	.section .note.GNU-stack, "", @progbits
