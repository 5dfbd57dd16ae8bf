/* hvt_vcpu_x86_64.c - the vCPU's first state in bin/unik-hvt.
 *
 * An image that names a struct hvt_prepare (abi/hvt_abi.h, version 6) gets
 * what its runtime would otherwise build at boot: its descriptor tables
 * loaded (we write the TSS descriptor), CR0/CR4, XCR0, EFER, the x87/SSE
 * state, the syscall MSRs, and its boot page tables filled with the direct
 * map of all guest memory.  The struct comes from the image, so it is
 * hostile: every table we write must lie aligned and wholly in guest memory
 * above HVT_IMAGE_MIN (never over the boot info), every size and selector
 * within its table; else the image is refused, naming the field.  An image
 * without one (a test guest) gets identity page tables of our own over the
 * first GiB and a flat GDT, and does the rest itself.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvt.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PS 0x80ULL
#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR0_BOOT (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG)
#define CR4_PAE 0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define PAGE 4096ULL
#define GIB (1ULL << 30)
#define DMAP_GIB_MAX 4 /* pd_dmap: at most four pages */
#define TSS_MIN 104

static struct kvm_segment segment(uint16_t selector, uint8_t type, int code)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

static int refuse(char *why, const char *what, uint64_t v)
{
	snprintf(why, MON_WHY, "the image's hvt boot state (struct hvt_prepare): %s (0x%llx)", what,
		 (unsigned long long)v);
	return -1;
}

/* [gpa, gpa + len) is ours to write: aligned, in guest memory, above the
 * boot info, the command line and our own tables. */
static int table_ok(const struct hvt *h, uint64_t gpa, uint64_t len, uint64_t align)
{
	return !(gpa & (align - 1)) && gpa >= HVT_IMAGE_MIN && mon_gpa_ok(h->mem_size, gpa, len);
}

/* A selector of a descriptor of `size` bytes inside the GDT (not the null
 * descriptor). */
static int selector_ok(const struct hvt_prepare *p, uint16_t sel, uint32_t size)
{
	return sel && !(sel & 7) && (uint32_t)sel + size <= p->gdt_size;
}

static int check_prepare(const struct hvt *h, const struct hvt_prepare *p, uint64_t pd_pages,
			 char *why)
{
	const struct {
		const char *what;
		uint64_t gpa, len;
	} t[] = {
		{ "pml4 outside guest memory or not page-aligned", p->pml4, PAGE },
		{ "pdpt_low outside guest memory or not page-aligned", p->pdpt_low, PAGE },
		{ "pd_low outside guest memory or not page-aligned", p->pd_low, PAGE },
		{ "pt_low outside guest memory or not page-aligned", p->pt_low, PAGE },
		{ "pdpt_dmap outside guest memory or not page-aligned", p->pdpt_dmap, PAGE },
		{ "pd_dmap outside guest memory or not page-aligned", p->pd_dmap, pd_pages * PAGE },
		{ "pdpt_stack outside guest memory or not page-aligned", p->pdpt_stack, PAGE },
		{ "pd_stack outside guest memory or not page-aligned", p->pd_stack, PAGE },
		{ "pt_stack outside guest memory or not page-aligned", p->pt_stack, PAGE },
	};
	uint64_t stack_slot = p->stack_va >> 39;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!table_ok(h, t[i].gpa, t[i].len, PAGE))
			return refuse(why, t[i].what, t[i].gpa);
	}
	if (p->gdt_size % 8 || p->gdt_size > 65536 || !table_ok(h, p->gdt, p->gdt_size, 8))
		return refuse(why, "the GDT lies outside guest memory or is misaligned", p->gdt);
	if (!selector_ok(p, p->code_sel, 8) || !selector_ok(p, p->data_sel, 8) ||
	    !selector_ok(p, p->tss_sel, 16))
		return refuse(why, "a selector lies outside the GDT", p->gdt_size);
	if (p->tss_size < TSS_MIN || p->tss_size > 65536)
		return refuse(why, "a TSS size out of range", p->tss_size);
	if (!p->idt_size || p->idt_size % 16 || p->idt_size > 4096)
		return refuse(why, "an IDT size out of range", p->idt_size);
	if (p->dmap_slot < 256 || p->dmap_slot > 511)
		return refuse(why, "the direct map's pml4 slot is not in the upper half",
			      p->dmap_slot);
	if (!stack_slot || stack_slot >= 256 || stack_slot == p->dmap_slot)
		return refuse(why, "the stack's pml4 slot is taken or not in the lower half",
			      p->stack_va);
	return 0;
}

static void put64(struct hvt *h, uint64_t gpa, uint64_t v)
{
	memcpy(h->mem + gpa, &v, sizeof(v));
}

/* The runtime's boot tables (checked): its 1:1 window, the
 * stack top's tables and the direct map of [0, mem_size), with 1 GiB pages
 * when the CPU has them. */
static void write_prepared_tables(struct hvt *h, const struct hvt_prepare *p, uint64_t ngib,
				  int gib_pages)
{
	put64(h, p->pml4, p->pdpt_low | PTE_P | PTE_W | PTE_U);
	put64(h, p->pml4 + 8 * (uint64_t)p->dmap_slot, p->pdpt_dmap | PTE_P | PTE_W);
	put64(h, p->pdpt_low, p->pd_low | PTE_P | PTE_W | PTE_U);
	put64(h, p->pd_low, p->pt_low | PTE_P | PTE_W | PTE_U);
	for (uint64_t e = 256; e < 512; e++) /* [1 MiB, 2 MiB) 1:1, supervisor */
		put64(h, p->pt_low + 8 * e, e << 12 | PTE_P | PTE_W);
	put64(h, p->pml4 + 8 * (p->stack_va >> 39), p->pdpt_stack | PTE_P | PTE_W | PTE_U);
	put64(h, p->pdpt_stack + 8 * (p->stack_va >> 30 & 511),
	      p->pd_stack | PTE_P | PTE_W | PTE_U);
	put64(h, p->pd_stack + 8 * (p->stack_va >> 21 & 511), p->pt_stack | PTE_P | PTE_W | PTE_U);
	for (uint64_t g = 0; g < ngib; g++)
		put64(h, p->pdpt_dmap + 8 * g,
		      gib_pages ? g * GIB | PTE_P | PTE_W | PTE_PS
				: (p->pd_dmap + g * PAGE) | PTE_P | PTE_W);
	if (gib_pages)
		return;
	for (uint64_t e = 0; e << 21 < h->mem_size; e++)
		put64(h, p->pd_dmap + 8 * e, e << 21 | PTE_P | PTE_W | PTE_PS);
}

/* XCR0 as the runtime's cpu.c would set it: x87 and SSE, AVX and the
 * AVX-512 state when the CPU has them; 0 without XSAVE. */
static uint64_t boot_xcr0(const struct hvt *h)
{
	uint64_t xcr0 = 0x3;

	if (!(h->cpuid1_ecx & (1u << 26)))
		return 0;
	if (h->cpuid1_ecx & (1u << 28))
		xcr0 |= h->cpuid_d0_eax & 0x4;
	if ((xcr0 & 0x4) && (h->cpuid_d0_eax & 0xe0) == 0xe0)
		xcr0 |= 0xe0;
	return xcr0;
}

/* XCR0, the FPU as after FNINIT, the syscall MSRs. */
static int set_cpu_registers(struct hvt *h, const struct hvt_prepare *p, uint64_t xcr0, char *why)
{
	union {
		struct kvm_msrs m;
		uint8_t room[sizeof(struct kvm_msrs) + 3 * sizeof(struct kvm_msr_entry)];
	} u;
	struct kvm_fpu fpu;

	if (xcr0) {
		struct kvm_xcrs x;

		memset(&x, 0, sizeof(x));
		x.nr_xcrs = 1;
		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = xcr0;
		if (ioctl(h->vcpu_fd, KVM_SET_XCRS, &x) < 0)
			return hvt_kvm_fail(why, "KVM_SET_XCRS");
	}
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(h->vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return hvt_kvm_fail(why, "KVM_SET_FPU");
	memset(&u, 0, sizeof(u));
	u.m.nmsrs = 3;
	u.m.entries[0] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = p->star };
	u.m.entries[1] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = p->lstar };
	u.m.entries[2] = (struct kvm_msr_entry){ .index = MSR_FMASK, .data = p->fmask };
	if (ioctl(h->vcpu_fd, KVM_SET_MSRS, &u.m) != 3) {
		snprintf(why, MON_WHY, "/dev/kvm: KVM_SET_MSRS: the syscall MSRs were refused");
		return -1;
	}
	return 0;
}

int hvt_prepare_tables(struct hvt *h, uint64_t gpa, int gib_pages, struct hvt_prepare *p, char *why)
{
	uint64_t ngib = (h->mem_size + GIB - 1) / GIB, base, limit, desc;

	if (!mon_gpa_ok(h->mem_size, gpa, sizeof(*p)) || gpa < HVT_IMAGE_MIN)
		return refuse(why, "it lies outside guest memory", gpa);
	memcpy(p, h->mem + gpa, sizeof(*p));
	if (ngib > DMAP_GIB_MAX)
		return refuse(why, "guest memory is larger than its direct map", h->mem_size);
	if (check_prepare(h, p, gib_pages ? 0 : ngib, why) < 0)
		return -1;
	write_prepared_tables(h, p, ngib, gib_pages);
	/* the TSS descriptor, busy (TR is loaded) */
	base = p->tss;
	limit = p->tss_size - 1;
	desc = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x8bULL << 40 |
	       ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	put64(h, p->gdt + p->tss_sel, desc);
	put64(h, p->gdt + p->tss_sel + 8, base >> 32);
	return 0;
}

/* The image's struct hvt_prepare: tables, sregs, the registers above. */
static int prepare(struct hvt *h, const struct mon_image *img, struct kvm_sregs *s,
		   struct kvm_regs *r, struct hvt_boot_info *bi, char *why)
{
	uint64_t gpa = img->hvt_prepare;
	struct hvt_prepare p;
	uint64_t xcr0, limit;
	int nx = (h->cpuid_x1_edx >> 20) & 1;

	if (hvt_prepare_tables(h, gpa, (h->cpuid_x1_edx >> 26) & 1, &p, why) < 0)
		return -1;
	if (img->hvt_program &&
	    hvt_map_program(h, img->hvt_program, p.pml4, img->image_end, nx, bi, why) < 0)
		return -1;
	limit = p.tss_size - 1;
	xcr0 = boot_xcr0(h);
	s->cs = segment(p.code_sel, 11, 1);
	s->ds = s->es = s->fs = s->gs = s->ss = segment(p.data_sel, 3, 0);
	s->tr = (struct kvm_segment){
		.base = p.tss,
		.limit = (uint32_t)limit,
		.selector = p.tss_sel,
		.type = 11,
		.present = 1,
	};
	s->gdt.base = p.gdt;
	s->gdt.limit = (uint16_t)(p.gdt_size - 1);
	s->idt.base = p.idt;
	s->idt.limit = (uint16_t)(p.idt_size - 1);
	s->cr3 = p.pml4;
	s->cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (xcr0 ? CR4_OSXSAVE : 0);
	s->cr0 = CR0_BOOT;
	s->efer = EFER_LME | EFER_LMA | EFER_SCE | (nx ? EFER_NXE : 0);
	if (ioctl(h->vcpu_fd, KVM_SET_SREGS, s) < 0)
		return hvt_kvm_fail(why, "KVM_SET_SREGS");
	if (set_cpu_registers(h, &p, xcr0, why) < 0)
		return -1;
	r->rsp = p.stack_top;
	bi->prepared |= HVT_PREPARED_CPU | HVT_PREPARED_PAGING;
	bi->xcr0 = xcr0;
	return 0;
}

/* No struct hvt_prepare: identity page tables (2 MiB pages over the first
 * GiB) and a flat GDT of our own. */
static int identity(struct hvt *h, struct kvm_sregs *s, struct kvm_regs *r, char *why)
{
	uint64_t *pml4 = (uint64_t *)(h->mem + HVT_PAGE_TABLES_GPA);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	uint64_t *gdt = (uint64_t *)(h->mem + HVT_GDT_GPA);

	pml4[0] = (HVT_PAGE_TABLES_GPA + 0x1000) | PTE_P | PTE_W;
	pdpt[0] = (HVT_PAGE_TABLES_GPA + 0x2000) | PTE_P | PTE_W;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL; /* 0x08: 64-bit code */
	gdt[2] = 0x00cf92000000ffffULL; /* 0x10: data */
	s->cs = segment(0x08, 11, 1);
	s->ds = s->es = s->fs = s->gs = s->ss = segment(0x10, 3, 0);
	s->gdt.base = HVT_GDT_GPA;
	s->gdt.limit = 3 * 8 - 1;
	s->cr3 = HVT_PAGE_TABLES_GPA;
	s->cr4 = CR4_PAE;
	s->cr0 = CR0_BOOT;
	s->efer = EFER_LME | EFER_LMA;
	if (ioctl(h->vcpu_fd, KVM_SET_SREGS, s) < 0)
		return hvt_kvm_fail(why, "KVM_SET_SREGS");
	r->rsp = HVT_PAGE_TABLES_GPA; /* the entry switches stacks at once */
	return 0;
}

int hvt_kvm_setup_vcpu(struct hvt *h, const struct mon_image *img, struct hvt_boot_info *bi,
		       char *why)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	bi->prepared = 0;
	bi->xcr0 = 0;
	bi->frames_end = 0;
	if (ioctl(h->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return hvt_kvm_fail(why, "KVM_GET_SREGS");
	if (img->hvt_prepare ? prepare(h, img, &sregs, &regs, bi, why)
			     : identity(h, &sregs, &regs, why))
		return -1;
	regs.rip = img->hvt_entry;
	regs.rdi = HVT_BOOT_INFO_GPA;
	regs.rsi = bi->prepared;
	regs.rflags = 0x2;
	if (ioctl(h->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return hvt_kvm_fail(why, "KVM_SET_REGS");
	return 0;
}
