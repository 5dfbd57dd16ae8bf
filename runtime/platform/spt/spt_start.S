/* spt_start.S - the entry points for bin/unik-spt (abi/hvt_abi.h).
 *
 * spt_start: the monitor jumps here with %rdi = the host address of the
 * struct hvt_boot_info; we move to the runtime's boot stack (the monitor's
 * stack is about to be unmapped) and call spt_main().
 * spt_restorer: the rt_sigreturn trampoline of our signal handlers.  It lies
 * in the runtime's text, which Syscall User Dispatch lets through.
 * The handler itself (spt_signal) is C, in spt_platform.c.  It never serves
 * the program inside the host's signal frame (which lives on the one signal
 * stack): it copies the program's registers to a trap_frame on the thread's
 * kernel stack and returns into one of the trampolines below, which run
 * there like the entries of a VM and go back through ret_to_user.
 * spt_sleep: the host ppoll of an idle wait, which a signal arriving just
 * before it must not let sleep (spt_signal skips it).
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

/* %rsp = the trap_frame of the program's system call (SIGSYS). */
	.globl spt_syscall_tramp
spt_syscall_tramp:
	mov %rsp, %rdi
	call syscall_handle
	jmp ret_to_user

/* %rsp = the trap_frame of an exception of the program; spt_fault_addr =
 * the faulting address. */
	.globl spt_fault_tramp
spt_fault_tramp:
	mov %rsp, %rdi
	mov spt_fault_addr(%rip), %rsi
	call trap_user
	jmp ret_to_user

/* %rsp = the trap_frame of the interrupted program (SIGALRM, SIGTERM). */
	.globl spt_irq_tramp
spt_irq_tramp:
	jmp ret_to_user

/* long spt_sleep(fds, nfds, timespec): ppoll(fds, nfds, timespec, NULL, 0),
 * or -EINTR without sleeping when a signal came before the ppoll. */
	.globl spt_sleep, spt_sleep_check, spt_sleep_syscall, spt_sleep_intr
spt_sleep:
	xor %r10d, %r10d
	xor %r8d, %r8d
spt_sleep_check:
	cmpb $0, sched_irq_pending(%rip)
	jne spt_sleep_intr
	mov $271, %eax			/* ppoll */
spt_sleep_syscall:
	syscall
	ret
spt_sleep_intr:
	mov $-4, %rax			/* -EINTR */
	ret

	.bss
	.balign 8
	.globl spt_fault_addr
spt_fault_addr:
	.skip 8
	.text

	.section .note.GNU-stack, "", @progbits
