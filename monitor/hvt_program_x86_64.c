/* hvt_program_x86_64.c - bin/unik-hvt maps the program the runtime would
 * map at boot (abi/hvt_abi.h, struct hvt_program; abi/app_plan.h).
 *
 * The image names its program's load plan (made by the packer) and the
 * program file; both come from the image, so they are hostile: the plan is
 * checked as the runtime checks it (app_plan_check), the plan and the file
 * must lie wholly in guest memory above HVT_IMAGE_MIN, the file page-
 * aligned, and every frame we take must fit in guest memory; else the
 * image is refused, naming what was wrong.  The page tables and fresh
 * frames come from the pages above the loaded image, in order, and the
 * boot info says where they end (frames_end), so the runtime's frame
 * allocator starts above them.  Guest memory is zero when we start, so
 * fresh frames and tables need no clearing.
 */
#include <stdio.h>
#include <string.h>

#include "../abi/app_plan.h"
#include "hvt.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define PAGE 4096ULL

struct frames {
	uint64_t next, end; /* the pages [next, end) are ours to take */
};

static int refuse(char *why, const char *what, uint64_t v)
{
	snprintf(why, MON_WHY, "the image's program (struct hvt_program): %s (0x%llx)", what,
		 (unsigned long long)v);
	return -1;
}

static uint64_t get64(const struct hvt *h, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, h->mem + gpa, sizeof(v));
	return v;
}

static void put64(struct hvt *h, uint64_t gpa, uint64_t v)
{
	memcpy(h->mem + gpa, &v, sizeof(v));
}

/* A zeroed frame (guest memory starts zeroed), or 0 when none is left. */
static uint64_t take(struct frames *f)
{
	uint64_t pa = f->next;

	if (pa > f->end || f->end - pa < PAGE)
		return 0;
	f->next += PAGE;
	return pa;
}

/* The gpa of va's page-table entry, the missing tables taken from f; 0
 * when f runs out, 1 when an entry on the way is a large page or not in
 * guest memory (the runtime's own tables are not: this guards what we
 * read). */
static uint64_t pte_of(struct hvt *h, uint64_t pml4, uint64_t va, struct frames *f)
{
	uint64_t table = pml4;

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t e = table + 8 * ((va >> shift) & 511), v = get64(h, e);

		if (!(v & PTE_P)) {
			uint64_t pa = take(f);

			if (!pa)
				return 0;
			v = pa | PTE_P | PTE_W | PTE_U;
			put64(h, e, v);
		} else if ((v & PTE_PS) || !mon_gpa_ok(h->mem_size, v & PTE_ADDR, PAGE)) {
			return 1;
		}
		table = v & PTE_ADDR;
	}
	return table + 8 * ((va >> 12) & 511);
}

/* One checked segment: its direct pages map the file's frames, the others
 * fresh frames with the file bytes they cover. */
static int map_segment(struct hvt *h, uint64_t pml4, const struct app_plan_seg *s, uint64_t file,
		       int nx, struct frames *f, char *why)
{
	uint64_t bits = PTE_P | PTE_U | (s->prot & APP_PLAN_WRITE ? PTE_W : 0) |
			(!(s->prot & APP_PLAN_EXEC) && nx ? PTE_NX : 0);
	uint64_t d0 = s->start + (uint64_t)s->direct_first * PAGE,
		 d1 = d0 + (uint64_t)s->direct_pages * PAGE;

	for (uint64_t va = s->start; va < s->end; va += PAGE) {
		uint64_t pte = pte_of(h, pml4, va, f), pa, b0, b1;

		if (!pte)
			return refuse(why, "guest memory is too small for its page tables", va);
		if (pte == 1)
			return refuse(why, "a segment lies over the runtime's own mappings", va);
		if (va >= d0 && va < d1) {
			pa = file + s->direct_off + (va - d0);
		} else {
			pa = take(f);
			if (!pa)
				return refuse(why, "guest memory is too small for its segments",
					      va);
			b0 = va > s->file_va ? va : s->file_va;
			b1 = s->file_va + s->file_len;
			b1 = b1 < va + PAGE ? b1 : va + PAGE;
			if (b1 > b0)
				memcpy(h->mem + pa + (b0 - va),
				       h->mem + file + s->file_off + (b0 - s->file_va), b1 - b0);
		}
		put64(h, pte, pa | bits);
	}
	return 0;
}

int hvt_map_program(struct hvt *h, uint64_t gpa, uint64_t pml4, uint64_t image_end, int nx,
		    struct hvt_boot_info *bi, char *why)
{
	struct hvt_program p;
	struct app_plan plan;
	struct frames f = { (image_end + PAGE - 1) & ~(PAGE - 1), h->mem_size };

	if (!mon_gpa_ok(h->mem_size, gpa, sizeof(p)) || gpa < HVT_IMAGE_MIN)
		return refuse(why, "it lies outside guest memory", gpa);
	memcpy(&p, h->mem + gpa, sizeof(p));
	if (!p.plan)
		return 0;
	if (!mon_gpa_ok(h->mem_size, p.plan, sizeof(plan)) || p.plan < HVT_IMAGE_MIN)
		return refuse(why, "its plan lies outside guest memory", p.plan);
	if ((p.file & (PAGE - 1)) || p.file < HVT_IMAGE_MIN || p.file_end < p.file ||
	    p.file_end > image_end || image_end > h->mem_size)
		return refuse(why, "its file lies outside the image or is not page-aligned",
			      p.file);
	memcpy(&plan, h->mem + p.plan, sizeof(plan)); /* checked and used: our copy */
	if (!app_plan_check(&plan, p.file_end - p.file))
		return refuse(why, "its load plan (abi/app_plan.h) is malformed", p.plan);
	for (uint32_t i = 0; i < plan.nseg; i++) {
		if (map_segment(h, pml4, &plan.seg[i], p.file, nx, &f, why) < 0)
			return -1;
	}
	bi->prepared |= HVT_PREPARED_PROGRAM;
	bi->frames_end = f.next;
	return 0;
}
