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
 * run with interrupts off on its own stack; it must acknowledge the
 * interrupt (EOI).  Interrupts without a handler are ignored. */
void arch_set_irq_handler(int vector, void (*fn)(int vector));

/* cpu.c: GDT/TSS/IDT, SSE/AVX state, the syscall MSRs, and
 * cpu_features_init().  Call once at boot (not on a hosted platform). */
void cpu_init(void);
/* Reads the CPUID features below; unprivileged (hosted platforms call it
 * instead of cpu_init). */
void cpu_features_init(void);
/* Features for the auxiliary vector and getrandom. */
u32 cpu_hwcap(void);
bool cpu_has_rdrand(void);
bool cpu_has_rdseed(void);
/* True when EFER.NXE is on (page tables may mark pages no-execute). */
bool cpu_has_nx(void);
/* Sets the application's thread pointer (arch_prctl ARCH_SET_FS). */
void cpu_set_fs(u64 base);
u64 cpu_get_fs(void);

/* entry.S: jumps to the application with its initial stack, at ring 3
 * when `user` (system calls then return with sysret) or at ring 0. */
void arch_enter_app(u64 entry, u64 sp, int user) __noreturn;

/* The register state saved on a trap (entry.S builds it). */
struct trap_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

/* trap.c: handles exception f->vector (cr2: the faulting address of a page
 * fault): serves demand paging (and kvm_pvm's system calls) and returns, or
 * reports the fault and exits.  The IDT stubs reach it through
 * trap_handler(); hosted platforms call it from their fault signal. */
void trap_handle(struct trap_frame *f, u64 cr2);

/* syscall_direct.S: the system-call entry programs linked with our musl
 * call instead of executing `syscall` (only valid when they run at the
 * runtime's privilege), and how many calls came through it. */
extern char syscall_direct_entry[];
extern u64 syscall_direct_count;

/* The register state saved on a system call (entry.S and syscall_direct.S
 * build it). */
struct syscall_frame {
	u64 r9, r8, r10, rdx, rsi, rdi;
	u64 nr;
	u64 rsp, rip, rflags;
};

#endif
