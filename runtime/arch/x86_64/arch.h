/* arch.h - x86-64 instructions and the CPU setup of the runtime. */
#ifndef UNIK_RT_ARCH_H
#define UNIK_RT_ARCH_H

#include "../../core/kernel.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(u16 port, u16 v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline u16 inw(u16 port)
{
	u16 v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline u64 read_cr2(void)
{
	u64 v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void invlpg(u64 va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

/* A random word from RDRAND (retried a few times); false when the CPU has
 * none to give now.  Only after cpu_has_rdrand(). */
static inline bool cpu_rdrand64(u64 *v)
{
	for (int i = 0; i < 10; i++) {
		u8 ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

/* The same from RDSEED (fresh entropy, retried longer). */
static inline bool cpu_rdseed64(u64 *v)
{
	for (int i = 0; i < 100; i++) {
		u8 ok;

		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
		cpu_relax();
	}
	return false;
}

/* Enables interrupts for exactly one `hlt`: returns after an interrupt was
 * served (one pending since interrupts were last disabled counts). */
static inline void cpu_idle(void)
{
	__asm__ volatile("sti; hlt; cli" : : : "memory");
}

static inline u32 mmio_read32(const volatile void *p)
{
	return *(const volatile u32 *)p;
}

static inline void mmio_write32(volatile void *p, u32 v)
{
	*(volatile u32 *)p = v;
}

static inline void __noreturn cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Vectors 0-31 are exceptions, 32-63 device and timer interrupts. */
#define IDT_VECTORS 64
#define IRQ_VECTOR_BASE 32

/* trap.c: the handler of interrupt `vector` (IRQ_VECTOR_BASE..IDT_VECTORS-1),
 * run with interrupts off; it must acknowledge the interrupt (EOI) and may
 * only record what happened (sched_irq_*): the core acts on it before the
 * interrupted program runs again.  Interrupts without a handler are ignored. */
void arch_set_irq_handler(int vector, void (*fn)(int vector));
/* trap.c: what NMIs mean on this platform (qemu: the host asks the program
 * to stop); NULL: an NMI is fatal.  Runs in NMI context: flags only. */
void arch_set_nmi_handler(void (*fn)(void));

/* cpu.c: GDT/TSS/IDT, SSE/AVX state, the syscall MSRs, and
 * cpu_features_init().  Call once at boot (not on a hosted platform). */
void cpu_init(void);
/* Instead of cpu_init, on a platform whose host set that state up already
 * as cpu_init would (hvt, abi/hvt_abi.h's struct hvt_prepare): the
 * descriptor tables below loaded (the TSS descriptor written), CR0/CR4,
 * XCR0 = xcr0 (0: no XSAVE), the FPU initialised, EFER.SCE (and NXE) and
 * the syscall MSRs set to CPU_STAR, syscall_entry and CPU_FMASK. */
void cpu_init_prepared(u64 xcr0);

/* The descriptor tables cpu_init loads, for a host that loads them itself. */
#define CPU_SEL_CODE 0x08
#define CPU_SEL_DATA 0x10
#define CPU_SEL_USER_DATA 0x18 /* sysret: SS = base + 8, CS = base + 16 */
#define CPU_SEL_USER_CODE 0x20
#define CPU_SEL_TSS 0x28
#define CPU_GDT_ENTRIES 7
/* syscall: CS = CPU_SEL_CODE, SS = CPU_SEL_CODE + 8; sysret: SS = 0x18|3,
 * CS = 0x20|3.  Clear TF, IF, DF, AC on entry. */
#define CPU_STAR ((u64)CPU_SEL_CODE << 32 | (u64)(CPU_SEL_DATA | 3) << 48)
#define CPU_FMASK 0x40700UL
struct x86_tss {
	u32 reserved0;
	u64 rsp[3];
	u64 reserved1;
	u64 ist[7];
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;
} __packed;
extern u64 cpu_gdt[CPU_GDT_ENTRIES];
extern struct x86_tss cpu_tss;
extern const u64 idt_table[], idt_table_end[];
extern char syscall_entry[];
/* Reads the CPUID features below and sizes the FPU state (fpu.c);
 * unprivileged (hosted platforms call it instead of cpu_init). */
void cpu_features_init(void);
/* Features for the auxiliary vector and getrandom. */
u32 cpu_hwcap(void);
bool cpu_has_rdrand(void);
bool cpu_has_rdseed(void);
/* True when EFER.NXE is on (page tables may mark pages no-execute). */
bool cpu_has_nx(void);
/* Loads the running thread's thread pointer (%fs base). */
void cpu_set_fs(u64 base);
u64 cpu_get_fs(void);

/* fpu.c: the x87/SSE/AVX state of application threads.  The runtime's own
 * code never touches those registers, so the state in the CPU is always the
 * running thread's; the scheduler saves and loads it at each switch. */
/* known_xcr0: XCR0 as cpu.c (or the hvt monitor) set it; 0: ask the CPU (hosted); ~0:
 * use FXSAVE only (ring 0 is emulated without XSAVE, see cpu.c), leaving
 * the AVX upper halves unswitched. */
void fpu_init(u64 known_xcr0);
/* Bytes of one saved state (XSAVE standard format, or FXSAVE's 512), a
 * multiple of 64; buffers must be 64-byte aligned. */
u64 fpu_state_size(void);
/* True when the state is XSAVE's (signal frames say so, UC_FP_XSTATE). */
bool fpu_xsave(void);
void fpu_save(void *buf);
void fpu_restore(const void *buf);
/* Puts the CPU's FPU state in its initial configuration (a signal handler
 * starts with it). */
void fpu_reset(void);
/* Makes a saved state taken from the program safe to load (reserved bits
 * cleared, features limited to the enabled ones); false when it is not a
 * state this CPU could have produced. */
bool fpu_sanitize(void *buf, bool xstate);
/* Fills the software-reserved words of a saved state as Linux's signal
 * frames carry them (FP_XSTATE_MAGIC1/2); buf has fpu_state_size() + 4 bytes. */
void fpu_mark_frame(void *buf);

/* How the application runs. */
enum app_mode {
	APP_RING3, /* ring 3 of a VM: syscall/sysret */
	APP_RING0, /* ring 0 of a VM (unik.ring0) */
	APP_HOSTED, /* a host process (spt): everything at the host's ring 3 */
};

/* The register state of the program saved on any entry into the runtime
 * (system call, exception, interrupt, host signal): the layout iretq pops,
 * under the general registers.  It always lies at the top of the running
 * thread's kernel stack while the runtime serves that thread. */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

/* trap_frame.vector of system calls (rax holds the number): */
#define FRAME_SYSCALL 256 /* the `syscall` instruction (2 bytes before rip) */
#define FRAME_DIRECT 257 /* a direct call (6 bytes before rip, see syscall_direct.S) */
/* trap_frame.error of a system call: set when the return must restore
 * every register (after rt_sigreturn). */
#define FRAME_FULL 1UL

/* entry.S: the top of the running thread's kernel stack; every entry from
 * the program saves its trap_frame just below it. */
extern u64 cur_kstack_top;
static inline struct trap_frame *arch_user_frame(void)
{
	return (struct trap_frame *)(cur_kstack_top - sizeof(struct trap_frame));
}

/* True for addresses of the runtime's code and data (not the program's). */
static inline bool arch_in_runtime(u64 addr)
{
	return addr < 0x200000UL || (addr >> 47);
}

/* entry.S: enters the program with a fresh trap_frame on the running
 * thread's kernel stack (every register zero, rip = entry, rsp = sp). */
void arch_enter_app(u64 entry, u64 sp, enum app_mode mode) __noreturn;
extern enum app_mode app_mode;
/* The program's code and stack selectors (for frames built by hand). */
u64 arch_user_cs(void);
u64 arch_user_ss(void);

/* entry.S: saves the callee-saved registers on the current kernel stack,
 * stores its pointer in *save, and resumes the stack `next` (saved the same
 * way, or prepared by arch_thread_stack). */
void arch_switch(u64 *save, u64 next);
/* Prepares the kernel stack [.., top) of a new thread whose trap_frame
 * (already at its top) returns to the program: the value for arch_switch. */
u64 arch_thread_stack(u64 top);

/* trap.c: a CPU exception of the runtime itself (f->vector, cr2: the
 * faulting address of a page fault): demand paging of program memory the
 * runtime touches, or a fault report and exit.  The IDT stubs reach it
 * through trap_handler(); hosted platforms call it from their fault signal. */
void trap_handle(struct trap_frame *f, u64 cr2);
/* trap.c: an exception or interrupt of the program, its frame on the kernel
 * stack: demand paging, the kvm_pvm system calls, a signal (SIGSEGV, ...)
 * or a fault report; interrupts run their handler.  The caller then returns
 * to the program through the core's exit_to_user(). */
void trap_user(struct trap_frame *f, u64 cr2);

/* syscall_direct.S: the system-call entries programs linked with our musl
 * call instead of executing `syscall` (only valid when they run at the
 * runtime's privilege): hosted (spt) and ring 0; how many calls came. */
extern char syscall_direct_entry[], syscall_direct_entry_ring0[];
extern u64 syscall_direct_count;

#endif
