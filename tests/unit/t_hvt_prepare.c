/* t_hvt_prepare.c - unik-hvt's checks of the image's struct hvt_prepare
 * (monitor/hvt_vcpu_x86_64.c hvt_prepare_tables(), no KVM): the runtime's
 * block is accepted and its tables written as abi/hvt_abi.h says; each
 * hostile field is refused, naming it, with guest memory untouched.
 * (tests/fuzz/fuzz_hvt_prepare.c fuzzes the same function.) */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../../monitor/hvt.h"
#include "tap.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define AT 0x103000ULL /* the block's gpa */

static struct hvt h;
static uint8_t *snapshot;

static struct hvt_prepare good(void)
{
	return (struct hvt_prepare){
		.gdt = 0x104000,
		.idt = 0x105000,
		.tss = 0x106000,
		.gdt_size = 56,
		.idt_size = 1024,
		.tss_size = 104,
		.code_sel = 8,
		.data_sel = 16,
		.tss_sel = 40,
		.dmap_slot = 256,
		.stack_top = 0x1f0000,
		.pml4 = 0x110000,
		.pdpt_low = 0x111000,
		.pd_low = 0x112000,
		.pt_low = 0x113000,
		.pdpt_dmap = 0x114000,
		.pd_dmap = 0x115000,
		.stack_va = 0x7fffffffe000,
		.pdpt_stack = 0x119000,
		.pd_stack = 0x11a000,
		.pt_stack = 0x11b000,
	};
}

static void use_memory(uint64_t size)
{
	if (h.mem)
		munmap(h.mem, h.mem_size);
	h.mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h.mem == MAP_FAILED)
		abort();
	h.mem_size = size;
}

static uint64_t at(uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, h.mem + gpa, 8);
	return v;
}

/* The block b at gpa in 4 MiB of guest memory is refused naming `what`,
 * guest memory as it was. */
static void refused(struct hvt_prepare b, uint64_t gpa, const char *what, const char *name)
{
	struct hvt_prepare p;
	char why[MON_WHY] = "";

	use_memory(4 * MIB);
	if (gpa + sizeof(b) <= h.mem_size)
		memcpy(h.mem + gpa, &b, sizeof(b));
	memcpy(snapshot, h.mem, h.mem_size);
	ok(hvt_prepare_tables(&h, gpa, 0, &p, why) == -1 && strstr(why, what) &&
	       !memcmp(snapshot, h.mem, h.mem_size),
	   "refused: %s", name);
	if (!strstr(why, what))
		printf("#   why: %s\n", why);
}

static void accepted(void)
{
	struct hvt_prepare b = good(), p;
	char why[MON_WHY] = "";

	use_memory(64 * MIB);
	memcpy(h.mem + AT, &b, sizeof(b));
	ok(hvt_prepare_tables(&h, AT, 0, &p, why) == 0, "the runtime's block is accepted %s", why);
	ok(!memcmp(&p, &b, sizeof(p)), "and read as it is");
	ok(at(b.pml4) == (b.pdpt_low | 7) && at(b.pdpt_low) == (b.pd_low | 7) &&
	       at(b.pd_low) == (b.pt_low | 7),
	   "the low window's tables: present, writable, user");
	ok(at(b.pml4 + 8 * 256) == (b.pdpt_dmap | 3) && at(b.pdpt_dmap) == (b.pd_dmap | 3),
	   "the direct map in pml4 slot 256, supervisor-only");
	ok(at(b.pd_dmap) == 0x83 && at(b.pd_dmap + 8 * 31) == (31 * 2 * MIB | 0x83) &&
	       at(b.pd_dmap + 8 * 32) == 0,
	   "2 MiB pages over the 64 MiB, no more");
	ok(at(b.pml4 + 8 * 255) == (b.pdpt_stack | 7) &&
	       at(b.pdpt_stack + 8 * 511) == (b.pd_stack | 7) &&
	       at(b.pd_stack + 8 * 511) == (b.pt_stack | 7),
	   "the stack top's tables at its indices");
	ok(at(b.gdt + 40) == (103 | 0x106000ULL << 16 | 0x8bULL << 40) && at(b.gdt + 48) == 0,
	   "the TSS descriptor, busy, at its selector");

	use_memory(3 * GIB);
	memcpy(h.mem + AT, &b, sizeof(b));
	ok(hvt_prepare_tables(&h, AT, 1, &p, why) == 0, "3 GiB with 1 GiB pages");
	ok(at(b.pdpt_dmap) == 0x83 && at(b.pdpt_dmap + 16) == (2 * GIB | 0x83) &&
	       at(b.pdpt_dmap + 24) == 0 && at(b.pd_dmap) == 0,
	   "three 1 GiB pages, pd_dmap unused");
	b.pd_dmap = 3 * GIB - 3 * 4096;
	memcpy(h.mem + AT, &b, sizeof(b));
	ok(hvt_prepare_tables(&h, AT, 0, &p, why) == 0, "3 GiB: pd_dmap's three pages at the end");
	b.pd_dmap += 4096;
	memcpy(h.mem + AT, &b, sizeof(b));
	ok(hvt_prepare_tables(&h, AT, 0, &p, why) == -1 && strstr(why, "pd_dmap outside"),
	   "3 GiB: refused when they would pass the end");
	use_memory(4 * GIB + 2 * MIB);
	b = good();
	memcpy(h.mem + AT, &b, sizeof(b));
	ok(hvt_prepare_tables(&h, AT, 1, &p, why) == -1 && strstr(why, "larger than its direct"),
	   "more than 4 GiB of guest memory is refused");
}

/* One field of the runtime's block made hostile: the refusal's words. */
#define FIELD(f) offsetof(struct hvt_prepare, f), sizeof(((struct hvt_prepare *)0)->f)
static const struct {
	size_t off, size;
	uint64_t value;
	const char *why, *what;
} cases[] = {
	{ FIELD(pml4), 0x8000, "pml4 outside", "pml4 below 1 MiB (our own tables)" },
	{ FIELD(pt_stack), 0x11b008, "pt_stack outside", "pt_stack not page-aligned" },
	{ FIELD(pdpt_low), 4 * MIB, "pdpt_low outside", "pdpt_low at the end of memory" },
	{ FIELD(pd_dmap), 4 * MIB - 4096 + 8, "pd_dmap outside", "pd_dmap misaligned at the end" },
	{ FIELD(gdt), 4 * MIB - 48, "the GDT lies outside", "the GDT past the end" },
	{ FIELD(gdt_size), 60, "the GDT lies outside", "a GDT size not a multiple of 8" },
	{ FIELD(tss_sel), 48, "a selector lies outside", "the TSS's 16 bytes past the GDT" },
	{ FIELD(code_sel), 0, "a selector lies outside", "the null selector for code" },
	{ FIELD(data_sel), 17, "a selector lies outside", "a selector with RPL bits" },
	{ FIELD(tss_size), 103, "a TSS size out of range", "a TSS smaller than 104 bytes" },
	{ FIELD(idt_size), 0, "an IDT size out of range", "an empty IDT" },
	{ FIELD(dmap_slot), 512, "not in the upper half", "the direct map past the pml4" },
	{ FIELD(stack_va), 0x1000, "the stack's pml4 slot",
	  "the stack in slot 0 (the low window)" },
	{ FIELD(stack_va), 0xffff800000000000ULL, "the stack's pml4 slot",
	  "the stack in the upper half" },
};
#undef FIELD

int main(void)
{
	struct hvt_prepare b;

	memset(&h, 0, sizeof(h));
	snapshot = malloc(4 * MIB);
	if (!snapshot)
		return 1;
	accepted();
	refused(good(), 0x1000, "it lies outside guest memory", "the block over the boot info");
	refused(good(), 4 * MIB - 100, "it lies outside guest memory", "the block past the end");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = good();
		memcpy((uint8_t *)&b + cases[i].off, &cases[i].value, cases[i].size);
		refused(b, AT, cases[i].why, cases[i].what);
	}
	free(snapshot);
	return tap_done();
}
