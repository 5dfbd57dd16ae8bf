/* entry.S - system-call entry, exception entry, and the jump into the app.
 *
 * The application shares the runtime's address space and runs either at
 * ring 3 (the default) or at ring 0 like the runtime (unik.ring0).  Either
 * way `syscall` saves %rip in %rcx and %rflags in %r11 and jumps to
 * syscall_entry (MSR_LSTAR).  We switch to our own stack (the app's stack
 * may have a live red zone), save the argument registers, call
 * syscall_dispatch(frame) and return with `sysret` (ring 3) or a plain
 * jump (ring 0: sysret would drop to ring 3).  Every register but %rax,
 * %rcx and %r11 is preserved, as Linux does.  The runtime's C code never
 * touches SSE/AVX registers, so the app's vector state needs no saving.
 */
	.text
	.globl syscall_entry
syscall_entry:
	mov %rsp, syscall_user_rsp(%rip)
	lea syscall_stack_top(%rip), %rsp
	push %r11			/* rflags */
	push %rcx			/* rip */
	pushq syscall_user_rsp(%rip)
	push %rax			/* nr */
	push %rdi
	push %rsi
	push %rdx
	push %r10
	push %r8
	push %r9
	mov %rsp, %rdi
	call syscall_dispatch
	pop %r9
	pop %r8
	pop %r10
	pop %rdx
	pop %rsi
	pop %rdi
	add $8, %rsp			/* nr */
	cmpb $0, app_ring3(%rip)
	je 1f
	mov 16(%rsp), %r11
	mov 8(%rsp), %rcx
	mov (%rsp), %rsp
	sysretq
1:	mov 16(%rsp), %r11
	push %r11
	popfq
	mov 8(%rsp), %rcx
	mov (%rsp), %rsp
	jmp *%rcx

/* Exceptions (0-31) and interrupts (32-63): every vector gets a stub that pushes a dummy error code
 * where the CPU pushes none, then its vector number. */
.macro trap_noerr vec
	.globl trap_\vec
trap_\vec:
	pushq $0
	pushq $\vec
	jmp trap_common
.endm
.macro trap_err vec
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

trap_common:
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
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $-16, %rsp
	cld
	call trap_handler
	mov %rbx, %rsp
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
	add $16, %rsp			/* vector, error */
	iretq

	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad trap_\n
	.endr
	.irp n, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.quad trap_\n
	.endr

	.text
/* arch_enter_app(entry, sp, user): the ELF ABI start state, all registers
 * zero; at ring 3 through iretq when user != 0. */
	.globl arch_enter_app
arch_enter_app:
	mov %dl, app_ring3(%rip)
	test %edx, %edx
	jz 1f
	xor %eax, %eax
	mov %eax, %ds
	mov %eax, %es
	pushq $0x1b			/* ss: user data | 3 */
	push %rsi			/* rsp */
	pushq $0x2			/* rflags */
	pushq $0x23			/* cs: user code | 3 */
	push %rdi			/* rip */
	call clear_regs
	iretq
1:	mov %rsi, %rsp
	push %rdi
	call clear_regs
	ret

clear_regs:
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
	ret

	.bss
	.globl app_ring3
app_ring3:
	.skip 1
	.balign 16
syscall_user_rsp:
	.skip 8
	.balign 16
	.globl syscall_stack_top
syscall_stack:
	.skip 65536
syscall_stack_top:

	.section .note.GNU-stack, "", @progbits
