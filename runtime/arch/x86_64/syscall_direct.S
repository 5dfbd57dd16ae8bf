/* syscall_direct.S - the direct system-call entry: a `call`, not a trap.
 *
 * Programs linked with our musl (runtime/musl/) make every system call as
 * `call *__unik_syscall_entry` with the registers of the `syscall`
 * instruction: %rax = number, %rdi, %rsi, %rdx, %r10, %r8, %r9 = arguments.
 * The runtime hands them this entry in the aux vector (AT_UNIK_SYSCALL) when
 * the program runs at the runtime's privilege: always on spt (a host process,
 * where `syscall` would cost a SIGSYS), and on qemu/hvt with unik.ring0.  At
 * ring 3 the runtime's pages are supervisor pages, so the entry is not
 * offered and the program's libc keeps executing `syscall`.
 *
 * Like Linux's `syscall`, it preserves every register but %rax, %rcx and
 * %r11; the flags are not kept (musl's callers expect them clobbered).  We move to the runtime's system-call stack (the
 * same one syscall_entry uses: the program has one thread and nothing nests
 * here), build the struct syscall_frame that syscall_dispatch() expects
 * (rip = the return address, rflags = 0) and return with `ret`.  The
 * runtime's C code never touches SSE/AVX registers.
 */
	.text
	.globl syscall_direct_entry
syscall_direct_entry:
	mov %rsp, direct_user_rsp(%rip)
	lea syscall_stack_top(%rip), %rsp
	incq syscall_direct_count(%rip)
	pushq $0			/* rflags: not meaningful here */
	mov direct_user_rsp(%rip), %rcx
	pushq (%rcx)			/* rip: the return address */
	lea 8(%rcx), %rcx
	push %rcx			/* rsp after the return */
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
	mov direct_user_rsp(%rip), %rsp
	ret

	.bss
	.balign 8
	.globl syscall_direct_count
syscall_direct_count:
	.skip 8
direct_user_rsp:
	.skip 8

	.section .note.GNU-stack, "", @progbits
