/* cpu.c - descriptor tables, FPU/SSE/AVX state and the syscall MSRs. */
#include "arch.h"
#include "../../platform/platform.h"

struct desc_ptr {
	u16 limit;
	u64 base;
} __packed;

static u8 ist_trap_stack[16384] __attribute__((aligned(16)));
static u8 ist_irq_stack[8192] __attribute__((aligned(16)));
static u8 ist_double_fault_stack[8192] __attribute__((aligned(16)));
static u8 ist_nmi_stack[4096] __attribute__((aligned(16)));
/* Complete at link time but for the TSS descriptor (its base is split
 * across bit fields no relocation can express): gdt_init writes it. */
u64 cpu_gdt[CPU_GDT_ENTRIES] = {
	0,
	0x00af9a000000ffffUL, /* 64-bit code, ring 0 */
	0x00cf92000000ffffUL, /* data */
	0x00cff2000000ffffUL, /* data, ring 3 */
	0x00affa000000ffffUL, /* 64-bit code, ring 3 */
};
struct x86_tss cpu_tss = {
	.ist = { (u64)ist_trap_stack + sizeof(ist_trap_stack),
		 (u64)ist_double_fault_stack + sizeof(ist_double_fault_stack),
		 (u64)ist_irq_stack + sizeof(ist_irq_stack),
		 (u64)ist_nmi_stack + sizeof(ist_nmi_stack) },
	.iomap_base = sizeof(struct x86_tss),
};
static u32 hwcap;
static bool has_rdrand, has_rdseed, has_nx;
static u64 fs_base, xcr0_set;

static void gdt_init(void)
{
	u64 base = (u64)&cpu_tss, limit = sizeof(cpu_tss) - 1;
	struct desc_ptr p = { sizeof(cpu_gdt) - 1, (u64)cpu_gdt };

	cpu_gdt[CPU_SEL_TSS / 8] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89UL << 40 |
				   ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	cpu_gdt[CPU_SEL_TSS / 8 + 1] = base >> 32;

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(CPU_SEL_CODE), "r"(CPU_SEL_DATA), "r"(CPU_SEL_TSS)
			 : "rax", "memory");
}

/* The IDT is complete at link time (entry.S, runtime.ld): load it. */
static void idt_init(void)
{
	struct desc_ptr p = { (u16)((u64)idt_table_end - (u64)idt_table - 1), (u64)idt_table };

	__asm__ volatile("lidt %0" : : "m"(p));
}

/* x87 + SSE always; AVX (and AVX-512 state) when the CPU offers XSAVE. */
static void fpu_enable(void)
{
	u32 a, b, c, d;
	u64 cr0, cr4;

	cpuid(1, 0, &a, &b, &c, &d);
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 &= ~(1UL << 2); /* EM */
	cr0 |= 1UL << 1 | 1UL << 5; /* MP, NE */
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 1UL << 9 | 1UL << 10; /* OSFXSR, OSXMMEXCPT */
	if (c & (1u << 26))
		cr4 |= 1UL << 18; /* OSXSAVE */
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	__asm__ volatile("fninit");
	if (c & (1u << 26)) {
		u32 xa, xb, xc, xd;
		u64 xcr0 = 0x3;

		cpuid(0xd, 0, &xa, &xb, &xc, &xd);
		if (c & (1u << 28))
			xcr0 |= xa & 0x4; /* AVX */
		if ((xcr0 & 0x4) && (xa & 0xe0) == 0xe0)
			xcr0 |= 0xe0; /* AVX-512 opmask, ZMM */
		__asm__ volatile("xsetbv" : : "c"(0), "a"((u32)xcr0), "d"((u32)(xcr0 >> 32)));
		xcr0_set = xcr0;
	}
}

/* True when this CPU's ring 0 is emulated instruction by instruction (the
 * software-nested kvm_pvm runs ring-0 code through KVM's instruction
 * emulator, which has no XSAVE/XRSTOR): a short loop then takes ~1000x
 * longer than natively or under TCG.  One fast turn decides "not
 * emulated" (emulation cannot make the loop fast); a slow one is measured
 * once more, so a host that preempts us once does not decide it.  20
 * turns: emulated, each costs two instructions of ~1 us, so the loop takes
 * ~40 us (~80,000 TSC ticks at 2 GHz, 8x the threshold); natively or
 * under TCG well under 1 us. */
static bool ring0_emulated(void)
{
	for (int k = 0; k < 2; k++) {
		u64 t0 = rdtsc(), n = 20;

		__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
		if (rdtsc() - t0 <= 10000)
			return false;
	}
	return true;
}

void cpu_features_init(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	hwcap = d;
	has_rdrand = c & (1u << 30);
	fpu_init(xcr0_set);
	cpuid(0, 0, &a, &b, &c, &d);
	if (a >= 7) {
		cpuid(7, 0, &a, &b, &c, &d);
		has_rdseed = b & (1u << 18);
	}
}

/* What every boot does after the CPU state is set: the ring-0-emulated
 * probe (it picks FXSAVE or XSAVE for the program's state), the features. */
static void cpu_init_finish(void)
{
	if (xcr0_set && ring0_emulated())
		xcr0_set = ~0UL; /* FXSAVE only: fpu.c */
	cpu_features_init();
}

void cpu_init(void)
{
	has_nx = rdmsr(MSR_EFER) & (1UL << 11);
	gdt_init();
	idt_init();
	fpu_enable();
	cpu_init_finish();
	wrmsr(MSR_STAR, CPU_STAR);
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_FMASK, CPU_FMASK);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);
}

void cpu_init_prepared(u64 xcr0)
{
	has_nx = rdmsr(MSR_EFER) & (1UL << 11);
	xcr0_set = xcr0;
	cpu_init_finish();
}

u32 cpu_hwcap(void)
{
	return hwcap;
}

bool cpu_has_rdrand(void)
{
	return has_rdrand;
}

bool cpu_has_rdseed(void)
{
	return has_rdseed;
}

bool cpu_has_nx(void)
{
	return has_nx;
}

/* The application cannot change %fs itself (CR4.FSGSBASE stays off), so
 * the last value loaded is the current one; the scheduler loads each
 * thread's at a switch. */
void cpu_set_fs(u64 base)
{
	fs_base = base;
	if (platform->set_fs)
		platform->set_fs(base);
	else
		wrmsr(MSR_FS_BASE, base);
}

u64 cpu_get_fs(void)
{
	return fs_base;
}
