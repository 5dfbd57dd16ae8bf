/* trap.c - CPU exceptions: demand paging, and fault reports for the rest.
 *
 * A page fault inside a reservation is resolved by vm_fault().  Anything
 * else is fatal: we print the exception, the faulting address, the
 * registers and the symbol of %rip (from the application's symbol table
 * when it has one), and exit with a shell-style status (139 for a
 * segmentation fault, 136 for a divide error, ...).
 */
#include "arch.h"
#include "../../core/elf.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/signal.h"
#include "../../platform/platform.h"

static const struct {
	const char *mnemonic, *name;
	int status;
} vectors[32] = {
	[0] = { "#DE", "divide error", EXIT_SIGFPE },
	[1] = { "#DB", "debug exception", EXIT_SIGTRAP },
	[2] = { "NMI", "non-maskable interrupt", EXIT_PANIC },
	[3] = { "#BP", "breakpoint", EXIT_SIGTRAP },
	[4] = { "#OF", "overflow", EXIT_SIGSEGV },
	[5] = { "#BR", "bound range exceeded", EXIT_SIGSEGV },
	[6] = { "#UD", "invalid opcode", EXIT_SIGILL },
	[7] = { "#NM", "device not available", EXIT_SIGFPE },
	[8] = { "#DF", "double fault", EXIT_SIGSEGV },
	[10] = { "#TS", "invalid TSS", EXIT_SIGSEGV },
	[11] = { "#NP", "segment not present", EXIT_SIGBUS },
	[12] = { "#SS", "stack-segment fault", EXIT_SIGBUS },
	[13] = { "#GP", "general protection fault", EXIT_SIGSEGV },
	[14] = { "#PF", "page fault", EXIT_SIGSEGV },
	[16] = { "#MF", "x87 floating-point error", EXIT_SIGFPE },
	[17] = { "#AC", "alignment check", EXIT_SIGBUS },
	[18] = { "#MC", "machine check", EXIT_PANIC },
	[19] = { "#XM", "SIMD floating-point error", EXIT_SIGFPE },
};

static int depth;

void syscall_handle(struct trap_frame *f);

/* Some hypervisors (the software-nested "kvm_pvm" on our CI machines) run
 * `syscall` from ring 3 without switching to ring 0: the CPU lands on
 * syscall_entry still at ring 3 and takes a page fault on its supervisor
 * page.  That fault carries the complete system-call state (%rcx = return
 * address, %r11 = flags): we turn the frame into a system call's and serve
 * it like any other (the way back is iretq).  The runtime cannot fault on
 * application memory meanwhile because user_ok() backs the pages it checks. */
static bool syscall_via_fault(struct trap_frame *f, u64 cr2)
{
	if (f->vector != 14 || (f->cs & 3) != 3 || f->rip != (u64)syscall_entry || cr2 != f->rip)
		return false;
	f->vector = FRAME_SYSCALL;
	f->error = FRAME_FULL;
	f->rip = f->rcx;
	f->rflags = (f->r11 & ~0x3000UL) | 0x202; /* IOPL stays 0, IF on */
	syscall_handle(f);
	return true;
}

static void report(const struct trap_frame *f, u64 cr2, const char *why)
{
	const char *mn = vectors[f->vector].mnemonic, *name = vectors[f->vector].name;
	char sym[128];

	if (!name) {
		mn = "?";
		name = "reserved exception";
	}
	elf_symbolize(f->rip, sym, sizeof(sym));
	kprintf("unikernel: fatal: %s (%s, vector %lu, error code 0x%lx)\n", name, mn, f->vector,
		f->error);
	kprintf("unikernel:   at rip 0x%lx %s\n", f->rip, sym);
	if (f->vector == 14) {
		kprintf("unikernel:   faulting address 0x%lx (%s %s%s)%s%s\n", cr2,
			f->error & 2 ? "write," : "read,",
			f->error & 1 ? "protection violation" : "page not present",
			f->error & 16 ? ", instruction fetch" : "", why ? ": " : "",
			why ? why : "");
		if (cr2 < PAGE_SIZE)
			kprintf("unikernel:   (a NULL pointer dereference)\n");
	}
	kprintf("unikernel:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx,
		f->rcx, f->rdx);
	kprintf("unikernel:   rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", f->rsi, f->rdi,
		f->rbp, f->rsp);
	kprintf("unikernel:   r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", f->r8, f->r9, f->r10,
		f->r11);
	kprintf("unikernel:   r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", f->r12, f->r13,
		f->r14, f->r15);
	kprintf("unikernel:   rflags %016lx fs_base %016lx\n", f->rflags, cpu_get_fs());
}

static void (*irq_handlers[IDT_VECTORS - IRQ_VECTOR_BASE])(int vector);
static void (*nmi_handler)(void);

void arch_set_irq_handler(int vector, void (*fn)(int vector))
{
	if (vector >= IRQ_VECTOR_BASE && vector < IDT_VECTORS)
		irq_handlers[vector - IRQ_VECTOR_BASE] = fn;
}

void arch_set_nmi_handler(void (*fn)(void))
{
	nmi_handler = fn;
}

static void run_irq(int vector)
{
	void (*fn)(int) = irq_handlers[vector - IRQ_VECTOR_BASE];

	if (fn)
		fn(vector);
}

static void __noreturn fatal(struct trap_frame *f, u64 cr2)
{
	int status;

	if (depth++) {
		kprintf("unikernel: fatal: exception %lu while handling an exception, rip 0x%lx\n",
			f->vector, f->rip);
		plat_exit(EXIT_PANIC);
	}
	report(f, cr2, NULL);
	status =
	    f->vector < 32 && vectors[f->vector].status ? vectors[f->vector].status : EXIT_PANIC;
	kprintf("unikernel: exiting with status %d\n", status);
	plat_exit(status);
}

static void __noreturn out_of_memory(struct trap_frame *f, u64 cr2)
{
	depth++;
	report(f, cr2, "out of memory");
	kprintf("unikernel: out of memory backing page 0x%lx (%lu of %lu frames free)\n", cr2,
		frames_free(), frames_total());
	kprintf("unikernel: exiting with status %d\n", EXIT_OOM);
	plat_exit(EXIT_OOM);
}

void trap_handler(struct trap_frame *f);

/* The IDT's way into C for traps the runtime itself took (and NMIs). */
void trap_handler(struct trap_frame *f)
{
	if (f->vector == 2 && nmi_handler) {
		nmi_handler();
		return;
	}
	if (f->vector >= IRQ_VECTOR_BASE && f->vector < IDT_VECTORS) {
		run_irq((int)f->vector);
		return;
	}
	trap_handle(f, f->vector == 14 ? read_cr2() : 0);
}

void trap_handle(struct trap_frame *f, u64 cr2)
{
	if (f->vector == 14 && depth == 0) {
		int err = vm_fault(cr2, f->error & 2);

		if (!err)
			return;
		if (err == -ENOMEM)
			out_of_memory(f, cr2);
	}
	fatal(f, cr2);
}

/* The signal and si_code a program's exception raises (signal(7)). */
static int fault_signal(const struct trap_frame *f, int *code)
{
	switch (f->vector) {
	case 0: *code = 1; return SIGFPE; /* FPE_INTDIV */
	case 16:
	case 19: *code = 0; return SIGFPE;
	case 1:
	case 3: *code = 1; return SIGTRAP; /* TRAP_BRKPT */
	case 6: *code = 2; return SIGILL; /* ILL_ILLOPN */
	case 17: *code = 1; return SIGBUS; /* BUS_ADRALN */
	case 14: *code = f->error & 1 ? 2 : 1; return SIGSEGV; /* SEGV_ACCERR, SEGV_MAPERR */
	default: *code = 0x80; return SIGSEGV; /* SI_KERNEL: #GP and the rest */
	}
}

void trap_user(struct trap_frame *f, u64 cr2)
{
	int sig, code;

	if (f->vector >= IRQ_VECTOR_BASE && f->vector < IDT_VECTORS) {
		run_irq((int)f->vector);
		return;
	}
	if (syscall_via_fault(f, cr2))
		return;
	if (f->vector == 14) {
		int err = vm_fault(cr2, f->error & 2);

		if (!err)
			return;
		if (err == -ENOMEM)
			out_of_memory(f, cr2);
	} else {
		cr2 = 0;
	}
	/* A handler the program installed gets it (Go, JITs, crash reporters);
	 * otherwise the report says what happened. */
	sig = fault_signal(f, &code);
	if (signal_fault(sig, code, f->vector == 14 ? cr2 : f->rip))
		return;
	fatal(f, cr2);
}
