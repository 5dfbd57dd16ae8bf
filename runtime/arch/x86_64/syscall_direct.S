/* syscall_direct.S - the direct system-call entries: a `call`, not a trap.
 *
 * Programs linked with our musl (runtime/musl/) make every system call as
 * `call *__unik_syscall_entry(%rip)` (6 bytes: ff 15 disp32) with the
 * registers of the `syscall` instruction: %rax = number, %rdi, %rsi, %rdx,
 * %r10, %r8, %r9 = arguments.  The runtime hands them an entry in the aux
 * vector (AT_UNIK_SYSCALL) when the program runs at the runtime's
 * privilege: syscall_direct_entry on spt (a host process, where `syscall`
 * would cost a SIGSYS), syscall_direct_entry_ring0 on qemu/hvt with
 * unik.ring0.  At ring 3 the runtime's pages are supervisor pages, so no
 * entry is offered and the program's libc keeps executing `syscall`.
 *
 * Like Linux's `syscall`, a call preserves every register but %rax, %rcx
 * and %r11; the flags are not kept (musl's callers expect them clobbered).
 * The entry saves a struct trap_frame on the thread's kernel stack (rip =
 * the return address, rsp = the stack after the return), calls
 * syscall_handle() and returns through ret_to_user (entry.S), so a call may
 * block, switch threads, be restarted or run a signal handler first.
 * libc is built with -mno-red-zone: what lies below the return address is
 * free, and the ring-0 entry saves the flags there.
 */
#define FRAME_DIRECT 257

/* spt: the program runs at the host's ring 3, like us; no IF to manage. */
	.text
	.globl syscall_direct_entry
syscall_direct_entry:
	mov %rsp, %r11
	mov cur_kstack_top(%rip), %rsp
	pushq app_ss(%rip)
	lea 8(%r11), %rcx
	push %rcx			/* rsp after the return */
	pushq $0x202			/* rflags: not kept */
	pushq app_cs(%rip)
	pushq (%r11)			/* rip: the return address */
	pushq $0			/* error */
	pushq $FRAME_DIRECT
	jmp direct_common

/* qemu/hvt with unik.ring0: the program runs at ring 0 with interrupts on;
 * an interrupt before the `cli` finds %rip in the runtime and is only
 * recorded, then handled on the way back. */
	.globl syscall_direct_entry_ring0
syscall_direct_entry_ring0:
	pushfq
	cli
	cld
	mov %rsp, %r11			/* (%r11) = flags, 8(%r11) = return address */
	mov cur_kstack_top(%rip), %rsp
	pushq app_ss(%rip)
	lea 16(%r11), %rcx
	push %rcx
	pushq (%r11)
	pushq app_cs(%rip)
	pushq 8(%r11)
	pushq $0
	pushq $FRAME_DIRECT

direct_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	incq syscall_direct_count(%rip)
	mov %rsp, %rdi
	call syscall_handle
	jmp ret_to_user

	.bss
	.balign 8
	.globl syscall_direct_count
syscall_direct_count:
	.skip 8

	.section .note.GNU-stack, "", @progbits
