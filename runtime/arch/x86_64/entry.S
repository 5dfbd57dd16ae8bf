/* entry.S - every way into the runtime from the program and back, the
 * exception/interrupt stubs, and the kernel-stack switch of threads.
 *
 * Each thread has its own kernel stack.  Whatever brings the program into
 * the runtime (the `syscall` instruction, a direct call, an exception or
 * interrupt taken in program code, a host signal on spt) saves the
 * program's registers as a struct trap_frame at the top of the running
 * thread's kernel stack (cur_kstack_top) and calls C there; the way back is
 * always ret_to_user, which calls exit_to_user() (the scheduler and signal
 * delivery may run, or switch to another thread's stack and come back
 * later) and then restores the frame: sysret when that restores exactly
 * what iretq would, a plain jump for direct calls on spt, else iretq.
 *
 * On a VM the runtime runs with interrupts off: `syscall` clears IF
 * (MSR_FMASK), exceptions and interrupts use interrupt gates on IST stacks,
 * and the exit sequence ends in sysret/iretq, which turn them back on
 * atomically.  The program runs with IF set, so the timer can preempt it.
 * On spt there is no IF: host signals arrive anywhere, and spt_signal()
 * only records them while the runtime runs; if one lands between the final
 * check of sched_irq_pending (ret_to_user_check) and the jump into the
 * program (ret_to_user_end) it moves the thread back to ret_to_user.
 *
 * The runtime's C code never touches SSE/AVX registers, so the program's
 * vector state stays in the CPU; the scheduler saves it per thread.
 */
#define F_R11 32
#define F_RCX 96
#define F_RAX 112
#define F_VECTOR 120
#define F_ERROR 128
#define F_RIP 136
#define F_CS 144
#define F_RFLAGS 152
#define F_RSP 160
#define FRAME_SIZE 176
#define FRAME_SYSCALL 256
#define FRAME_FULL 1
#define USER_CS_RING3 0x23
#define KERNEL_CS 0x08
#define USER_MIN 0x200000
#define SYSRET_MAX 0x7ffffffff000

/* The general registers, in struct trap_frame's order (r15 lowest). */
.macro save_gprs
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
.endm
.macro restore_gprs
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.text
/* `syscall` from the program (ring 3, or ring 0 under unik.ring0):
 * %rcx = return address, %r11 = rflags, IF and DF cleared by MSR_FMASK. */
	.globl syscall_entry
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	mov cur_kstack_top(%rip), %rsp
	pushq app_ss(%rip)
	pushq syscall_user_rsp(%rip)
	push %r11			/* rflags */
	pushq app_cs(%rip)
	push %rcx			/* rip */
	pushq $0			/* error: no full restore needed */
	pushq $FRAME_SYSCALL
	save_gprs
	mov %rsp, %rdi
	call syscall_handle
	/* fall through */

/* The one way back to the program: %rsp = its trap_frame. */
	.globl ret_to_user
ret_to_user:
	mov %rsp, %rdi
	call exit_to_user
	.globl ret_to_user_check
ret_to_user_check:
	cmpb $0, sched_irq_pending(%rip)
	jne ret_to_user
	testq $FRAME_FULL, F_ERROR(%rsp)
	jnz ret_full
	cmpq $FRAME_SYSCALL, F_VECTOR(%rsp)
	jb ret_full			/* an exception or interrupt */
	cmpq $KERNEL_CS, F_CS(%rsp)
	je ret_ring0
	cmpq $FRAME_SYSCALL + 1, F_VECTOR(%rsp)	/* FRAME_DIRECT */
	je ret_direct
	cmpq $USER_CS_RING3, F_CS(%rsp)
	jne ret_full
	/* sysret loads %rip from %rcx and rflags from %r11: usable only when
	 * the frame holds exactly those, at an address below the last page
	 * of the lower half (sysret to a non-canonical %rip faults in ring 0). */
	mov F_RCX(%rsp), %rax
	cmp F_RIP(%rsp), %rax
	jne ret_full
	mov $SYSRET_MAX, %r11
	cmp %r11, %rax
	jae ret_full
	mov F_R11(%rsp), %rax
	cmp F_RFLAGS(%rsp), %rax
	jne ret_full
	restore_gprs
	add $16, %rsp			/* vector, error */
	mov 24(%rsp), %rsp
	sysretq
/* A direct call on spt: its caller expects %rcx, %r11 and the flags
 * clobbered.  `ret` to the return address its `call` pushed keeps the
 * CPU's return-address prediction in step with the program; a frame that
 * now resumes elsewhere (a handler, a restart) is reached with a jump. */
ret_direct:
	cmpq $USER_CS_RING3 + 0x10, F_CS(%rsp)	/* 0x33: the host's user code */
	jne ret_full
	mov F_RSP(%rsp), %rcx
	mov -8(%rcx), %rcx
	cmp F_RIP(%rsp), %rcx
	jne 1f
	restore_gprs
	mov 40(%rsp), %rsp		/* rsp after the return */
	lea -8(%rsp), %rsp
	ret
1:	restore_gprs
	mov 16(%rsp), %rcx		/* rip */
	mov 40(%rsp), %rsp		/* rsp */
	jmp *%rcx
/* A system call of a ring-0 program (unik.ring0): the flags with IF still
 * off, then `sti`, whose one-instruction shadow lets an interrupt in only
 * once the `ret` (or jump) has landed in the program (iretq costs more,
 * under TCG). */
ret_ring0:
	testq $0x200, F_RFLAGS(%rsp)
	jz ret_full
	mov F_RSP(%rsp), %rcx
	mov -8(%rcx), %rcx
	cmp F_RIP(%rsp), %rcx
	jne 2f
	cmpq $FRAME_SYSCALL, F_VECTOR(%rsp)
	je 2f				/* `syscall` pushed no return address */
	restore_gprs
	mov 32(%rsp), %r11
	and $~0x200, %r11
	push %r11
	popfq
	mov 40(%rsp), %rsp
	lea -8(%rsp), %rsp
	sti
	ret
2:	restore_gprs
	mov 32(%rsp), %r11
	and $~0x200, %r11
	push %r11
	popfq
	mov 16(%rsp), %rcx
	mov 40(%rsp), %rsp
	sti
	jmp *%rcx
ret_full:
	restore_gprs
	add $16, %rsp
	iretq
	.globl ret_to_user_end
ret_to_user_end:

/* Exceptions (0-31) and interrupts (32-63): every vector gets a stub that
 * pushes a dummy error code where the CPU pushes none, then its vector.
 * The stubs lie 16 bytes apart, so cpu.c fills the IDT by adding 16. */
.macro trap_noerr vec
	.balign 16
	.globl trap_\vec
trap_\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
.endm
.macro trap_err vec
	.balign 16
	.globl trap_\vec
trap_\vec:
	pushq $\vec
	jmp trap_common
.endm

	trap_noerr 0
	trap_noerr 1
	trap_noerr 2
	trap_noerr 3
	trap_noerr 4
	trap_noerr 5
	trap_noerr 6
	trap_noerr 7
	trap_err 8
	trap_noerr 9
	trap_err 10
	trap_err 11
	trap_err 12
	trap_err 13
	trap_err 14
	trap_noerr 15
	trap_noerr 16
	trap_err 17
	trap_noerr 18
	trap_noerr 19
	trap_noerr 20
	trap_err 21
	trap_noerr 22
	trap_noerr 23
	trap_noerr 24
	trap_noerr 25
	trap_noerr 26
	trap_noerr 27
	trap_noerr 28
	trap_err 29
	trap_err 30
	trap_noerr 31
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	trap_noerr \n
	.endr

/* The frame is on an IST stack.  Taken in the program, it moves to the
 * thread's kernel stack (the IST stack is shared, and the thread may be
 * switched away or get a signal on the way back).  NMI, #DF and #MC always
 * stay where they are: they may interrupt the runtime anywhere. */
trap_common:
	cmpq $14, (%rsp)
	je trap_page_fault
trap_common_slow:
	save_gprs
	cld
	mov F_VECTOR(%rsp), %rax
	cmp $2, %rax
	je trap_kernel
	cmp $8, %rax
	je trap_kernel
	cmp $18, %rax
	je trap_kernel
	testb $3, F_CS(%rsp)
	jnz trap_from_user
	cmpl $1, app_mode(%rip)		/* APP_RING0: the address tells */
	jne trap_kernel
	mov F_RIP(%rsp), %rax
	cmp $USER_MIN, %rax
	jb trap_kernel
	shr $47, %rax
	jnz trap_kernel
trap_from_user:
	mov %rsp, %rsi
	mov cur_kstack_top(%rip), %rdi
	sub $FRAME_SIZE, %rdi
	mov %rdi, %rbx
	mov $(FRAME_SIZE / 8), %ecx
	rep movsq
	mov %rbx, %rsp
	mov %rsp, %rdi
	mov %cr2, %rsi
	call trap_user
	jmp ret_to_user
/* A page fault taken in the program at syscall_entry is a system call on
 * the hypervisors that run `syscall` without leaving ring 3 (kvm_pvm, see
 * syscall_via_fault in trap.c, which stays the general case): its frame
 * is built straight on the thread's kernel stack, as syscall_entry builds
 * it, with the program's %rsp, %cs and %ss from the fault's frame, the
 * return address from %rcx and the flags from %r11 (IOPL 0, IF on), and
 * the way back is iretq (FRAME_FULL).  Nothing else is saved twice.
 * (%rsp: vector, error, rip, cs, rflags, rsp, ss.) */
trap_page_fault:
	testb $3, 24(%rsp)
	jz trap_common_slow
	cmpq $syscall_entry, 16(%rsp)
	jne trap_common_slow
	push %rax
	mov %rsp, %rax			/* the fault's frame, 8 above */
	mov cur_kstack_top(%rip), %rsp
	pushq 56(%rax)			/* ss */
	pushq 48(%rax)			/* rsp */
	push %r11			/* rflags */
	andq $~0x3000, (%rsp)
	orq $0x202, (%rsp)
	pushq 32(%rax)			/* cs */
	push %rcx			/* rip */
	pushq $FRAME_FULL
	pushq $FRAME_SYSCALL
	mov (%rax), %rax
	save_gprs
	cld
	mov %rsp, %rdi
	call syscall_handle
	/* ret_to_user for a frame known to be FRAME_FULL from ring 3 (a
	 * signal's handler or the scheduler may change the frame, never that):
	 * the same exit work, then straight to iretq (as ret_full). */
1:	mov %rsp, %rdi
	call exit_to_user
	cmpb $0, sched_irq_pending(%rip)
	jne 1b
	restore_gprs
	add $16, %rsp
	iretq
trap_kernel:
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $-16, %rsp
	call trap_handler
	mov %rbx, %rsp
	restore_gprs
	add $16, %rsp			/* vector, error */
	iretq

/* The IDT, complete at link time (no loop at boot): runtime.ld computes
 * the gate of trap_0 (unik_idt_gate0, unik_idt_gate_hi) and asserts that
 * the stubs are 16 bytes apart within one 64 KiB, so gate n is gate0 +
 * 16 n plus its IST stack.  Every vector runs on an IST stack (the
 * program's stack may be live at ring 0, unik.ring0); what came from the
 * program moves to the thread's kernel stack (above).  Exceptions use IST
 * 1, interrupts IST 3; NMIs (IST 4) and double faults (IST 2) may
 * interrupt any other handler: stacks of their own (cpu.c). */
	.section .rodata
	.balign 16
	.globl idt_table, idt_table_end
idt_table:
	.set n, 0
	.rept 64			/* IDT_VECTORS (arch.h) */
	.if n == 2
	.set ist, 4
	.elseif n == 8
	.set ist, 2
	.elseif n >= 32
	.set ist, 3
	.else
	.set ist, 1
	.endif
	.quad unik_idt_gate0 + 16 * n + (ist << 32)
	.quad unik_idt_gate_hi
	.set n, n + 1
	.endr
idt_table_end:

	.text
/* arch_switch(save, next): the kernel-stack switch of the scheduler. */
	.globl arch_switch
arch_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, (%rdi)
	mov %rsi, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* Where a new thread starts (arch_thread_stack): its trap_frame is at %rsp. */
	.globl thread_first_run
thread_first_run:
	call thread_started
	jmp ret_to_user

/* arch_return_to_user(frame): leaves the current stack for the program. */
	.globl arch_return_to_user
arch_return_to_user:
	mov %rdi, %rsp
	jmp ret_to_user

	.bss
	.balign 8
	.globl cur_kstack_top
cur_kstack_top:
	.skip 8
	.globl app_cs, app_ss
app_cs:
	.skip 8
app_ss:
	.skip 8
syscall_user_rsp:
	.skip 8

	.section .note.GNU-stack, "", @progbits
