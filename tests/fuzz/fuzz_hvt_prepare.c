/* fuzz_hvt_prepare.c - unik-hvt's checks of the image's struct hvt_prepare
 * (monitor/hvt_vcpu_x86_64.c, hvt_prepare_tables(): the part of the vCPU's
 * setup that needs no KVM), with a hostile block and guest memory.
 *
 * Input: [flags: 1 byte][size: 2 bytes LE][gpa: 4 bytes LE][the block: 160
 * bytes, zero-padded].  Flags bit 0: the CPU has 1 GiB pages; bit 1: guest
 * memory is `size` bytes (tiny), else 1 MiB + size * 64 KiB (up to just over
 * the 4 GiB the direct map can take); bit 2: the block's addresses (and
 * gpa) with their top bit set count back from the end of guest memory
 * (mem_size - their low 32 bits, 31 for gpa: so that mutations reach the tables at the
 * end of memory, where the checks matter), the block written with them.
 * The block is put at gpa when it fits there.  Guest memory is a fresh mapping (MAP_NORESERVE: only the pages
 * written cost) between two PROT_NONE guard pages; its first HVT_IMAGE_MIN
 * bytes (the boot info, the command line, our tables) and the bytes after
 * mem_size in its last page are poisoned for ASan.
 * Promises checked:
 *   - an accepted block: every 8-byte entry the monitor writes (as
 *     abi/hvt_abi.h describes them, computed here from the block) lies in
 *     [HVT_IMAGE_MIN, mem_size); nothing else is touched (ASan, guards);
 *   - a refused block has a reason naming struct hvt_prepare, and (for
 *     guest memory up to 64 MiB) no page was written but the block's own.
 */
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../monitor/hvt.h"
#include "fuzz.h"

#define PAGE 4096ULL
#define GIB (1ULL << 30)
#define HEAD 7

static uint64_t mem_size, dirty_before;
static int gib_pages;

/* The entry at gpa (8 bytes) is guest memory above the reserved low part. */
static void entry_ok(const char *what, uint64_t gpa)
{
	FUZZ_CHECK(gpa >= HVT_IMAGE_MIN && gpa <= mem_size && mem_size - gpa >= 8,
		   "accepted, but writes %s at 0x%llx of %llu bytes of guest memory", what,
		   (unsigned long long)gpa, (unsigned long long)mem_size);
}

/* Every entry hvt_abi.h says the monitor writes for an accepted block. */
static void accepted_ok(const struct hvt_prepare *p)
{
	uint64_t ngib = (mem_size + GIB - 1) / GIB;

	entry_ok("pml4[0]", p->pml4);
	FUZZ_CHECK(p->dmap_slot < 512, "direct map slot %u", p->dmap_slot);
	entry_ok("pml4[dmap_slot]", p->pml4 + 8 * (uint64_t)p->dmap_slot);
	entry_ok("pdpt_low[0]", p->pdpt_low);
	entry_ok("pd_low[0]", p->pd_low);
	entry_ok("pml4[stack]", p->pml4 + 8 * (p->stack_va >> 39 & 511));
	FUZZ_CHECK(p->stack_va >> 39 < 512, "stack_va 0x%llx beyond the pml4",
		   (unsigned long long)p->stack_va);
	entry_ok("pdpt_stack[]", p->pdpt_stack + 8 * (p->stack_va >> 30 & 511));
	entry_ok("pd_stack[]", p->pd_stack + 8 * (p->stack_va >> 21 & 511));
	for (uint64_t g = 0; g < ngib; g++)
		entry_ok("pdpt_dmap[]", p->pdpt_dmap + 8 * g);
	if (!gib_pages) {
		entry_ok("pd_dmap[0]", p->pd_dmap);
		entry_ok("pd_dmap[last]", p->pd_dmap + 8 * ((mem_size - 1) >> 21));
	}
	entry_ok("the TSS descriptor", p->gdt + p->tss_sel);
	entry_ok("the TSS descriptor's top", p->gdt + p->tss_sel + 8);
	FUZZ_CHECK(p->tss_sel + 16 <= p->gdt_size && p->code_sel + 8 <= p->gdt_size &&
		       p->data_sel + 8 <= p->gdt_size,
		   "accepted a selector outside the GDT of %u bytes", p->gdt_size);
	FUZZ_CHECK(p->tss_size >= 104 && p->idt_size && p->idt_size <= 4096,
		   "accepted TSS size %u, IDT size %u", p->tss_size, p->idt_size);
}

/* Flag bit 2: addresses with the top bit set, from the end of memory. */
static uint64_t from_end(uint64_t v, int top)
{
	return v >> top & 1 ? mem_size - (v & (top == 63 ? 0xffffffffULL : 0x7fffffffULL)) : v;
}

static void addresses_from_end(uint8_t *block)
{
#define F(f) offsetof(struct hvt_prepare, f)
	static const size_t off[] = { F(gdt),	   F(idt),	  F(tss),      F(pml4),
				      F(pdpt_low), F(pd_low),	  F(pt_low),   F(pdpt_dmap),
				      F(pd_dmap),  F(pdpt_stack), F(pd_stack), F(pt_stack) };
#undef F

	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		uint64_t v;

		memcpy(&v, block + off[i], 8);
		v = from_end(v, 63);
		memcpy(block + off[i], &v, 8);
	}
}

/* Pages of [mem, mem + len) in memory (written or read). */
static uint64_t resident(const uint8_t *mem, uint64_t len)
{
	static unsigned char vec[64 << 20 >> 12];
	uint64_t n = 0, pages = (len + PAGE - 1) / PAGE;

	if (mincore((void *)mem, len, vec) < 0)
		abort();
	for (uint64_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t block[sizeof(struct hvt_prepare)] = { 0 };
	struct hvt_prepare p;
	struct hvt h;
	char why[MON_WHY];
	uint64_t gpa, span, low;
	uint16_t sz;
	uint8_t *map;
	int rc;

	if (size < HEAD)
		return 0;
	memcpy(block, data + HEAD, size - HEAD < sizeof(block) ? size - HEAD : sizeof(block));
	gib_pages = data[0] & 1;
	sz = (uint16_t)(data[1] | data[2] << 8);
	mem_size = data[0] & 2 ? sz : HVT_IMAGE_MIN + (uint64_t)sz * 65536;
	gpa = (uint64_t)data[3] | (uint64_t)data[4] << 8 | (uint64_t)data[5] << 16 |
	      (uint64_t)data[6] << 24;
	if (data[0] & 4) {
		gpa = from_end(gpa, 31);
		addresses_from_end(block);
	}
	span = (mem_size + PAGE - 1) / PAGE * PAGE;
	map = mmap(NULL, span + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	FUZZ_CHECK(map != MAP_FAILED, "cannot map %llu bytes", (unsigned long long)span);
	if (span && mprotect(map + PAGE, span, PROT_READ | PROT_WRITE) < 0)
		abort();
	memset(&h, 0, sizeof(h));
	h.kvm_fd = h.vm_fd = h.vcpu_fd = h.net_fd = h.console_in_fd = -1;
	h.mem = map + PAGE;
	h.mem_size = mem_size;
	if (mon_gpa_ok(mem_size, gpa, sizeof(block)))
		memcpy(h.mem + gpa, block, sizeof(block));
	dirty_before = mem_size <= 64 << 20 ? resident(h.mem, span) : 0;
	low = mem_size < HVT_IMAGE_MIN ? mem_size : HVT_IMAGE_MIN;
	ASAN_POISON_MEMORY_REGION(h.mem, low);
	ASAN_POISON_MEMORY_REGION(h.mem + mem_size, span - mem_size);
	why[0] = 0;
	rc = hvt_prepare_tables(&h, gpa, gib_pages, &p, why);
	if (rc == 0) {
		accepted_ok(&p);
		FUZZ_CHECK(!memcmp(&p, block, sizeof(p)), "the block read is not the guest's");
	} else {
		FUZZ_CHECK(rc == -1 && strstr(why, "struct hvt_prepare"),
			   "refused without a reason");
		FUZZ_CHECK(mem_size > 64 << 20 || resident(h.mem, span) == dirty_before,
			   "refused, but guest memory was written: %s", why);
	}
	ASAN_UNPOISON_MEMORY_REGION(h.mem, low);
	ASAN_UNPOISON_MEMORY_REGION(h.mem + mem_size, span - mem_size);
	munmap(map, span + 2 * PAGE);
	return 0;
}
