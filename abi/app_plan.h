/* app_plan.h - the load plan of a unik-elf image: the program's segments
 * as the packer worked them out from its ELF at build time, so that the
 * runtime (runtime/core/elf_load.c) maps them without parsing the ELF at
 * boot.  Both sides include this header; freestanding: static inline
 * functions, no library calls.
 *
 * The packer (compilers/common/pack.c) puts one struct app_plan into the
 * image's .rodata at the symbol unik_app_plan.  An image without it (a
 * runtime linked by an older packer, a program the packer cannot plan) is
 * loaded from its ELF headers, through a plan the runtime makes at boot
 * with the same app_plan_from_elf().
 *
 * Per segment, the pages [start, end) are reserved with its protection
 * (PROT_* bits, as Linux numbers them); direct_pages pages from
 * direct_first pages into it map the image's own frames, from direct_off
 * bytes into the program file on; every other page gets a fresh zeroed
 * frame holding the bytes of [file_va, file_va + file_len) it covers, which
 * are file_off bytes into the file from file_va on.  The image is the
 * user's: the runtime follows a segment only when app_plan_seg_ok()
 * accepts it (a plan keeps the runtime's memory safe, not the program's
 * own: a hostile plan can map the program's file frames writable and
 * executable at once, as the program itself could). */
#ifndef UNIK_ABI_APP_PLAN_H
#define UNIK_ABI_APP_PLAN_H

#include <stdint.h>

#define APP_PLAN_MAGIC 0x6e616c706b696e75ULL /* "unikplan", little-endian */
#define APP_PLAN_VERSION 1
#define APP_PLAN_MAX_SEGS 16
#define APP_PLAN_PAGE 4096ULL
/* The program's addresses: above the first 2 MiB, below the runtime's
 * mmap areas (runtime/core/mm.h: USER_MIN, MMAP_BASE). */
#define APP_PLAN_VA_MIN 0x200000ULL
#define APP_PLAN_VA_MAX 0x10000000000ULL

/* A segment's protection: Linux's PROT_READ, PROT_WRITE, PROT_EXEC. */
#define APP_PLAN_READ 1u
#define APP_PLAN_WRITE 2u
#define APP_PLAN_EXEC 4u

struct app_plan_seg {
	uint64_t start, end; /* the pages reserved */
	uint64_t direct_off; /* the file's offset of the first direct page */
	uint32_t direct_first, direct_pages; /* in pages from start */
	uint64_t file_va, file_len, file_off; /* the file's bytes copied into fresh pages */
	uint64_t prot; /* APP_PLAN_READ | _WRITE | _EXEC */
};

struct app_plan {
	uint64_t magic;
	uint32_t version, nseg;
	uint64_t app_size; /* the size of the program file the plan is for */
	uint64_t entry;
	uint64_t phdr, phnum, phent; /* for the aux vector */
	struct app_plan_seg seg[APP_PLAN_MAX_SEGS]; /* ascending, nseg of them */
};

_Static_assert(sizeof(struct app_plan) == 56 + 64 * APP_PLAN_MAX_SEGS,
	       "the plan's layout is the same on both sides");

/* 1 when the plan's header is one this runtime follows, for a program
 * file of app_size bytes: its magic and version, 1..APP_PLAN_MAX_SEGS
 * segments. */
static inline int app_plan_head_ok(const struct app_plan *p, uint64_t app_size)
{
	return p->magic == APP_PLAN_MAGIC && p->version == APP_PLAN_VERSION && p->nseg &&
	       p->nseg <= APP_PLAN_MAX_SEGS && p->app_size == app_size;
}

/* 1 when `s` lies in the pages [lo, APP_PLAN_VA_MAX) (lo: the end of the
 * segment before, or APP_PLAN_VA_MIN), its direct pages in it and in the
 * file of app_size bytes, and its file bytes in the file: nothing wraps.
 * (The file bytes need not lie in the segment: only the parts of them in
 * its fresh pages are copied.)  A few compares: the runtime checks each
 * segment as it maps it, inlined there. */
__attribute__((always_inline)) static inline int app_plan_seg_ok(const struct app_plan_seg *s,
								 uint64_t lo, uint64_t app_size)
{
	if (((s->start | s->end | s->direct_off) & (APP_PLAN_PAGE - 1)) || s->start < lo ||
	    s->end <= s->start || s->end > APP_PLAN_VA_MAX)
		return 0;
	if ((uint64_t)s->direct_first + s->direct_pages > (s->end - s->start) / APP_PLAN_PAGE ||
	    s->direct_off > app_size ||
	    (uint64_t)s->direct_pages * APP_PLAN_PAGE > app_size - s->direct_off)
		return 0;
	return s->file_off <= app_size && s->file_len <= app_size - s->file_off &&
	       s->prot <= (APP_PLAN_READ | APP_PLAN_WRITE | APP_PLAN_EXEC);
}

/* The whole plan: its header and every segment, ascending and not
 * overlapping (what the packer checks of the plan it writes, and what the
 * runtime checks as it goes). */
static inline int app_plan_check(const struct app_plan *p, uint64_t app_size)
{
	uint64_t lo = APP_PLAN_VA_MIN;

	if (!app_plan_head_ok(p, app_size))
		return 0;
	for (uint32_t i = 0; i < p->nseg; i++) {
		if (!app_plan_seg_ok(&p->seg[i], lo, app_size))
			return 0;
		lo = p->seg[i].end;
	}
	return 1;
}

/* The parts of a 64-bit ELF file the plan is made from. */
struct app_plan_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct app_plan_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define APP_PLAN_DOWN(x) ((x) & ~(APP_PLAN_PAGE - 1))
#define APP_PLAN_UP(x) APP_PLAN_DOWN((x) + APP_PLAN_PAGE - 1)

/* One PT_LOAD segment of a file of len bytes: the pages of file data map
 * the image's frames, as Linux maps a file's pages (the bytes of the first
 * page before vaddr are the file's, and so are those after the end of the
 * last page of a segment without .bss, when the file has them).  Such an
 * edge page may hold the neighbouring segment's bytes: a writable segment
 * copies its edges instead (Linux: copy on write), so no frame is both
 * writable here and mapped (executable) by another segment. */
static inline void app_plan_segment(const struct app_plan_phdr *ph, uint64_t len,
				    struct app_plan_seg *s)
{
	uint64_t file_end = ph->vaddr + ph->filesz, direct_va, direct_end;
	int share_edges = !(ph->flags & 2 /* PF_W */);

	s->start = APP_PLAN_DOWN(ph->vaddr);
	s->end = APP_PLAN_UP(ph->vaddr + ph->memsz);
	direct_va = s->start < ph->vaddr && !share_edges ? s->start + APP_PLAN_PAGE : s->start;
	direct_end = APP_PLAN_DOWN(file_end);
	if (share_edges && direct_end < file_end && ph->filesz == ph->memsz &&
	    APP_PLAN_UP(ph->offset + ph->filesz) <= len)
		direct_end += APP_PLAN_PAGE;
	s->direct_first = s->direct_pages = 0;
	s->direct_off = 0;
	if (direct_end > direct_va) {
		s->direct_first = (uint32_t)((direct_va - s->start) / APP_PLAN_PAGE);
		s->direct_pages = (uint32_t)((direct_end - direct_va) / APP_PLAN_PAGE);
		s->direct_off = ph->offset - (ph->vaddr - direct_va);
	}
	s->file_va = ph->vaddr;
	s->file_len = ph->filesz;
	s->file_off = ph->offset;
	/* PF_R 4, PF_W 2, PF_X 1 */
	s->prot = (ph->flags & 4 ? APP_PLAN_READ : 0) | (ph->flags & 2 ? APP_PLAN_WRITE : 0) |
		  (ph->flags & 1 ? APP_PLAN_EXEC : 0);
}

/* The plan of the static x86-64 program `elf` (len bytes): 0, -2 when it
 * is dynamically linked (PT_INTERP), -1 when it is not a static x86-64
 * executable the runtime can map (its headers outside the file, segments
 * outside the program's addresses or overlapping, more than
 * APP_PLAN_MAX_SEGS of them).  The packer makes the image's plan with it,
 * the runtime the plan of an image that has none. */
static inline int app_plan_from_elf(const void *elf, uint64_t len, struct app_plan *plan)
{
	const struct app_plan_ehdr *eh = elf;
	const uint8_t *phdrs;

	*plan = (struct app_plan){ 0 };
	if (len < sizeof(*eh) || eh->ident[0] != 0x7f || eh->ident[1] != 'E' ||
	    eh->ident[2] != 'L' || eh->ident[3] != 'F' || eh->ident[4] != 2 /* 64-bit */ ||
	    eh->ident[5] != 1 /* little-endian */ || eh->machine != 62 /* x86-64 */ ||
	    eh->type != 2 /* ET_EXEC */ || eh->phentsize != sizeof(struct app_plan_phdr) ||
	    eh->phoff > len || (uint64_t)eh->phnum * sizeof(struct app_plan_phdr) > len - eh->phoff)
		return -1;
	phdrs = (const uint8_t *)elf + eh->phoff;
	plan->magic = APP_PLAN_MAGIC;
	plan->version = APP_PLAN_VERSION;
	plan->app_size = len;
	plan->entry = eh->entry;
	plan->phnum = eh->phnum;
	plan->phent = eh->phentsize;
	for (unsigned i = 0; i < eh->phnum; i++) {
		struct app_plan_phdr ph;

		/* a copy: e_phoff need not be aligned (found by fuzz_app_plan) */
		__builtin_memcpy(&ph, phdrs + i * sizeof(ph), sizeof(ph));
		if (ph.type == 3 /* PT_INTERP */)
			return -2;
		if (ph.type == 6 /* PT_PHDR */)
			plan->phdr = ph.vaddr;
		if (ph.type != 1 /* PT_LOAD */ || !ph.memsz)
			continue;
		if (ph.offset > len || ph.filesz > len - ph.offset || ph.filesz > ph.memsz ||
		    ph.vaddr % APP_PLAN_PAGE != ph.offset % APP_PLAN_PAGE ||
		    ph.vaddr < APP_PLAN_VA_MIN || ph.vaddr > APP_PLAN_VA_MAX ||
		    ph.memsz > APP_PLAN_VA_MAX - ph.vaddr || plan->nseg == APP_PLAN_MAX_SEGS)
			return -1;
		app_plan_segment(&ph, len, &plan->seg[plan->nseg++]);
		if (!plan->phdr && ph.offset <= eh->phoff &&
		    eh->phoff + eh->phnum * sizeof(ph) <= ph.offset + ph.filesz)
			plan->phdr = ph.vaddr + (eh->phoff - ph.offset);
	}
	return app_plan_check(plan, len) ? 0 : -1;
}

#endif
