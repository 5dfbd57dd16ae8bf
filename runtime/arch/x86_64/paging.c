/* paging.c - x86-64 four-level page tables for the single address space.
 *
 * One set of tables (pml4, built by boot/pvh.S) serves the runtime and the
 * application.  Application pages are 4 KiB and user-accessible (the app
 * may run at ring 3); the runtime's pages are supervisor-only.
 * Intermediate tables come from the frame allocator and are reached
 * through the direct map.
 */
#include "arch.h"
#include "../../core/mm.h"
#include "../../platform/platform.h"

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_PWT (1UL << 3)
#define PTE_PCD (1UL << 4)
#define PTE_PS (1UL << 7)
#define PTE_NX (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

extern u64 pml4[512];
extern u64 pd_dmap[4 * 512];

/* Drops every TLB entry but global ones (the runtime uses none). */
static void flush_tlb(void)
{
	u64 cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static u64 *pdpt_dmap(void)
{
	return phys_to_virt(pml4[256] & PTE_ADDR);
}

void arch_dmap_extend(u64 top)
{
	u64 *pdpt = pdpt_dmap();

	if (top > DMAP_LIMIT)
		top = DMAP_LIMIT;
	for (u64 gib = 0; gib << 30 < top; gib++) {
		if (!(pdpt[gib] & PTE_P))
			pdpt[gib] = ((u64)&pd_dmap[gib * 512]) | PTE_P | PTE_W;
	}
	/* Called once at boot, before any arch_map_mmio: every entry below
	 * top is written (those of the boot tables get their own value). */
	for (u64 e = PTE_P | PTE_W | PTE_PS, *p = pd_dmap; e < top; e += 1UL << 21)
		*p++ = e;
}

/* On a platform whose guest-physical space holds nothing but RAM (hvt: no
 * device memory a speculative access could reach), the direct map may use
 * 1 GiB pages: four entries at most instead of one per 2 MiB of RAM. */
void arch_dmap_extend_gib(u64 top)
{
	u64 *pdpt = pdpt_dmap();
	u32 a, b, c, d;

	cpuid(0x80000001, 0, &a, &b, &c, &d);
	if (!(d & (1u << 26))) { /* no 1 GiB pages */
		arch_dmap_extend(top);
		return;
	}
	if (top > DMAP_LIMIT)
		top = DMAP_LIMIT;
	for (u64 gib = 0; gib << 30 < top; gib++)
		pdpt[gib] = gib << 30 | PTE_P | PTE_W | PTE_PS;
	flush_tlb(); /* the boot tables' 2 MiB entries of [0, 4 MiB) */
}

void *arch_map_mmio(u64 pa, u64 size)
{
	u64 *pdpt = pdpt_dmap();

	if (!size || pa >= DMAP_LIMIT || size > DMAP_LIMIT - pa)
		return NULL;
	for (u64 p = ALIGN_DOWN(pa, 1UL << 21); p < pa + size; p += 1UL << 21) {
		u64 gib = p >> 30;

		if (pdpt[gib] & PTE_PS) {
			/* a 1 GiB page (arch_dmap_extend_gib): split it */
			for (u64 i = 0; i < 512; i++)
				pd_dmap[gib * 512 + i] =
				    gib << 30 | i << 21 | PTE_P | PTE_W | PTE_PS;
			pdpt[gib] = ((u64)&pd_dmap[gib * 512]) | PTE_P | PTE_W;
			flush_tlb();
		}
		if (!(pdpt[gib] & PTE_P))
			pdpt[gib] = ((u64)&pd_dmap[gib * 512]) | PTE_P | PTE_W;
		pd_dmap[p >> 21] = p | PTE_P | PTE_W | PTE_PS | PTE_PWT | PTE_PCD;
		invlpg(dmap_base + p);
	}
	return phys_to_virt(pa);
}

/* A PROT_NONE page stays present for the runtime (its frame is kept) but
 * not for the program: not a user page. */
static inline __attribute__((always_inline)) u64 prot_bits(int prot)
{
	u64 bits = prot ? PTE_P | PTE_U : PTE_P;

	if (prot & PROT_WRITE)
		bits |= PTE_W;
	if (!(prot & PROT_EXEC) && cpu_has_nx())
		bits |= PTE_NX;
	return bits;
}

/* Makes a changed entry take effect: the TLB on a CPU that walks our
 * tables, the host's mappings on a hosted platform. */
static int entry_changed(u64 va, u64 pa, int prot)
{
	if (platform->page_changed)
		return platform->page_changed(va, pa, prot);
	invlpg(va);
	return 0;
}

/* The last page tables walks reached, one slot per 2 MiB of addresses
 * (va >> 21) modulo WALK_SLOTS: mappings come in runs of neighbouring
 * pages (a program's segments, its stack, an mmap), and page tables are
 * never freed, so most walks end there without reading the upper levels. */
#define WALK_SLOTS 4
static u64 walk_index[WALK_SLOTS] = { ~0UL, ~0UL, ~0UL, ~0UL };
static u64 *walk_pt[WALK_SLOTS];

/* The page-table entry for va through all four levels, creating missing
 * tables when `create`. */
static __attribute__((noinline)) u64 *walk_create(u64 va, bool create)
{
	u64 *table = pml4;

	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &table[(va >> shift) & 511];

		if (!(*e & PTE_P)) {
			u64 pa;

			if (!create)
				return NULL;
			pa = frame_alloc();
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W | PTE_U;
		} else if (*e & PTE_PS) {
			return NULL; /* a large page: not an app mapping */
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	walk_index[(va >> 21) % WALK_SLOTS] = va >> 21;
	walk_pt[(va >> 21) % WALK_SLOTS] = table;
	return &table[(va >> 12) & 511];
}

/* walk_create for a va whose upper tables are all there (the common
 * walk): three loads, no call, no saved register; anything else (a
 * missing table, a large page) takes walk_create. */
static __attribute__((noinline)) u64 *walk_tables(u64 va, bool create)
{
	u64 *table = pml4;

#pragma GCC unroll 3
	for (int shift = 39; shift > 12; shift -= 9) {
		u64 e = table[(va >> shift) & 511];

		if (__builtin_expect((e & (PTE_P | PTE_PS)) != PTE_P, 0))
			return walk_create(va, create);
		table = phys_to_virt(e & PTE_ADDR);
	}
	walk_index[(va >> 21) % WALK_SLOTS] = va >> 21;
	walk_pt[(va >> 21) % WALK_SLOTS] = table;
	return &table[(va >> 12) & 511];
}

/* The page-table entry for va (walk_tables), from the slots when they
 * have its page table. */
static inline __attribute__((always_inline)) u64 *walk(u64 va, bool create)
{
	u64 i = (va >> 21) % WALK_SLOTS;

	if (walk_index[i] == va >> 21)
		return &walk_pt[i][(va >> 12) & 511];
	return walk_tables(va, create);
}

int arch_map_page(u64 va, u64 pa, int prot)
{
	u64 *pte = walk(va, true);

	if (!pte)
		return -1;
	*pte = pa | prot_bits(prot);
	if (entry_changed(va, pa, prot)) {
		*pte = 0;
		return -1;
	}
	return 0;
}

int arch_map_pages(u64 va, u64 pa, u64 n, int prot)
{
	u64 bits = prot_bits(prot);
	int (*changed)(u64, u64, int) = platform->page_changed;

	while (n) {
		u64 *pte = walk(va, true), k = MIN(n, 512 - ((va >> 12) & 511));

		if (!pte)
			return -1;
		n -= k;
		/* the rest of this page table, in one loop */
		for (; k; k--, pte++, va += PAGE_SIZE, pa += PAGE_SIZE) {
			u64 old = *pte;

			*pte = pa | bits;
			if (changed) {
				if (changed(va, pa, prot)) {
					*pte = old;
					return -1;
				}
			} else if (old & PTE_P) {
				invlpg(va); /* the TLB holds no entry that was not present */
			}
		}
	}
	return 0;
}

u64 arch_unmap_page(u64 va)
{
	u64 *pte = walk(va, false);
	u64 pa;

	if (!pte || !(*pte & PTE_P))
		return 0;
	pa = *pte & PTE_ADDR;
	*pte = 0;
	entry_changed(va, 0, PROT_NONE);
	return pa;
}

u64 arch_lookup_page(u64 va)
{
	u64 *pte = walk(va, false);

	return pte && (*pte & PTE_P) ? *pte & PTE_ADDR : 0;
}

void arch_page_table_known(u64 va, u64 *pt)
{
	walk_index[(va >> 21) % WALK_SLOTS] = va >> 21;
	walk_pt[(va >> 21) % WALK_SLOTS] = pt;
}

/* arch_user_range's walk, page by page from va. */
static __attribute__((noinline)) bool user_pages(u64 va, u64 end, u64 need)
{
	for (; va < end; va += PAGE_SIZE) {
		const u64 *pte = walk(va, false);

		if (!pte || (*pte & need) != need)
			return false;
	}
	return true;
}

bool arch_user_range(u64 start, u64 end, bool write)
{
	u64 need = PTE_P | PTE_U | (write ? PTE_W : 0), va = start & PAGE_MASK;

	/* Most buffers lie in one page whose table a walk just reached. */
	if (((end - 1) & PAGE_MASK) == va && walk_index[(va >> 21) % WALK_SLOTS] == va >> 21)
		return (walk_pt[(va >> 21) % WALK_SLOTS][(va >> 12) & 511] & need) == need;
	return user_pages(va, end, need);
}

void arch_protect_page(u64 va, int prot)
{
	u64 *pte = walk(va, false);

	if (!pte || !(*pte & PTE_P))
		return;
	*pte = (*pte & PTE_ADDR) | prot_bits(prot);
	entry_changed(va, *pte & PTE_ADDR, prot);
}
