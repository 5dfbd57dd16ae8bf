/* fuzz_app_plan.c - the load plan of a unik-elf image (abi/app_plan.h):
 * the runtime's reader (runtime/core/elf_load.c elf_load_app(), built for
 * the host: the file is included, the page tables, frames and address space
 * are shims below) over a hostile plan or a hostile program ELF, whose plan
 * the runtime makes at boot with app_plan_from_elf(), as the packer
 * (compilers/common/pack.c write_plan()) makes the one it embeds.
 *
 * Input: a mode byte, then (bit 0) a struct app_plan of 1080 bytes
 * (zero-padded) and the program file, or (bit 0 clear) the program file
 * alone.  Bit 1 with a plan: its magic, version and app_size are made right,
 * so mutations reach the segments.  The file is a heap block of exactly its
 * size at a page-aligned address (the image's frames: ASan guards its end);
 * at most 64 fresh frames are handed out, then frame_alloc() says the memory
 * is exhausted.
 * Promises checked:
 *   - every page mapped lies in a segment's reserved range, mapped once;
 *     reserved ranges ascend and do not overlap, within the program's
 *     addresses; direct pages are the file's own pages (never past its end);
 *   - a loaded plan: brk starts at the end of the last segment;
 *   - a loaded ELF (no plan, or the plan app_plan_from_elf makes): every byte
 *     of a PT_LOAD's file part reads as the file's byte at that offset, every
 *     byte of its .bss reads 0, and no file page mapped by a writable segment
 *     is mapped by another segment too.
 */
#include <string.h>

#include "fuzz.h"

#include "../../runtime/core/elf_load.c"

#define MAX_FRAMES 64
#define MAX_PAGES 4096

u64 dmap_base; /* 0: a "physical" address is the host's */

static struct page {
	u64 va;
	const u8 *mem;
	int seg; /* the reservation it lies in */
} pages[MAX_PAGES];
static unsigned npages, nframes, nres;
static void *frames[MAX_FRAMES];
static int res_prot[APP_PLAN_MAX_SEGS];
static u64 res_start[APP_PLAN_MAX_SEGS], res_end[APP_PLAN_MAX_SEGS], file_pa, file_len;

void kprintf(const char *fmt, ...)
{
	(void)fmt;
}

/* for elf_symbolize(), which the loader never calls */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	(void)buf;
	(void)size;
	FUZZ_CHECK(0, "ksnprintf(\"%s\") called", fmt);
	return 0;
}

void random_fill(void *buf, size_t n)
{
	memset(buf, 0x5a, n);
}

u32 cpu_hwcap(void)
{
	return 0;
}

u64 frame_alloc(void)
{
	void *f;

	if (nframes == MAX_FRAMES)
		return 0;
	f = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	FUZZ_CHECK(f, "out of memory");
	memset(f, 0, PAGE_SIZE);
	frames[nframes++] = f;
	return (u64)f;
}

int vm_reserve(u64 start, u64 end, int prot, enum vma_kind kind)
{
	FUZZ_CHECK(kind == VMA_IMAGE && !(prot & ~7), "reserved kind %d prot %d", kind, prot);
	FUZZ_CHECK(start >= APP_PLAN_VA_MIN && start < end && end <= APP_PLAN_VA_MAX &&
		       !((start | end) % PAGE_SIZE),
		   "reserved [0x%llx, 0x%llx)", (unsigned long long)start, (unsigned long long)end);
	FUZZ_CHECK(nres < APP_PLAN_MAX_SEGS, "more than %d reservations", APP_PLAN_MAX_SEGS);
	FUZZ_CHECK(!nres || start >= res_end[nres - 1],
		   "reservation 0x%llx overlaps the one before", (unsigned long long)start);
	res_prot[nres] = prot;
	res_start[nres] = start;
	res_end[nres++] = end;
	return 0;
}

/* Only for a plan the platform mapped (hvt's prepared program): never here. */
int vm_reserve_plan(const struct app_plan *plan)
{
	FUZZ_CHECK(0, "vm_reserve_plan() called for a plan with %u segments", plan->nseg);
	return -1;
}

static void map(u64 va, const u8 *mem)
{
	FUZZ_CHECK(nres && va >= res_start[nres - 1] && va < res_end[nres - 1] && !(va % PAGE_SIZE),
		   "page 0x%llx mapped outside its segment", (unsigned long long)va);
	for (unsigned i = 0; i < npages; i++)
		FUZZ_CHECK(pages[i].va != va, "page 0x%llx mapped twice", (unsigned long long)va);
	FUZZ_CHECK(npages < MAX_PAGES, "too many pages");
	pages[npages++] = (struct page){ va, mem, (int)nres - 1 };
}

int arch_map_page(u64 va, u64 pa, int prot)
{
	(void)prot;
	map(va, (const u8 *)pa);
	return 0;
}

int arch_map_pages(u64 va, u64 pa, u64 n, int prot)
{
	(void)prot;
	FUZZ_CHECK(pa >= file_pa && !((pa - file_pa) % PAGE_SIZE) && n <= MAX_PAGES &&
		       pa - file_pa <= file_len && n * PAGE_SIZE <= file_len - (pa - file_pa),
		   "direct pages [0x%llx, +%llu pages) outside the file of %llu bytes",
		   (unsigned long long)(pa - file_pa), (unsigned long long)n,
		   (unsigned long long)file_len);
	for (u64 i = 0; i < n; i++)
		map(va + i * PAGE_SIZE, (const u8 *)pa + i * PAGE_SIZE);
	return 0;
}

static const struct page *page_of(u64 va)
{
	for (unsigned i = 0; i < npages; i++)
		if (pages[i].va == va)
			return &pages[i];
	return NULL;
}

/* A loaded ELF reads as Linux maps it. */
static void elf_loaded_ok(const u8 *elf, u64 len)
{
	const struct app_plan_ehdr *eh = (const void *)elf;

	for (unsigned i = 0; i < eh->phnum; i++) {
		struct app_plan_phdr ph;

		memcpy(&ph, elf + eh->phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type != 1 || !ph.memsz)
			continue;
		for (u64 k = 0; k < ph.memsz;) {
			u64 va = ph.vaddr + k, n = MIN(PAGE_SIZE - va % PAGE_SIZE, ph.memsz - k);
			const struct page *p = page_of(va & PAGE_MASK);

			FUZZ_CHECK(p, "segment %u: 0x%llx not mapped", i, (unsigned long long)va);
			for (u64 b = 0; b < n; b++, k++) {
				int want = k < ph.filesz ? elf[ph.offset + k] : 0,
				    got = p->mem[(va + b) % PAGE_SIZE];

				FUZZ_CHECK(got == want, "segment %u byte 0x%llx reads %d, not %d",
					   i, (unsigned long long)k, got, want);
			}
		}
	}
	/* a writable segment's direct pages are its own */
	for (unsigned i = 0; i < npages; i++) {
		const struct page *p = &pages[i];

		if (p->mem < elf || p->mem >= elf + len || !(res_prot[p->seg] & APP_PLAN_WRITE))
			continue;
		for (unsigned j = 0; j < npages; j++)
			FUZZ_CHECK(j == i || pages[j].mem != p->mem,
				   "file page 0x%llx mapped writable at 0x%llx and at 0x%llx",
				   (unsigned long long)(p->mem - elf), (unsigned long long)p->va,
				   (unsigned long long)pages[j].va);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct app_plan plan;
	struct app_image img;
	const uint8_t *file;
	uint8_t *copy = NULL;
	size_t len;
	int has_plan, rc;

	if (size < 1)
		return 0;
	has_plan = data[0] & 1;
	memset(&plan, 0, sizeof(plan));
	file = data + 1;
	len = size - 1;
	if (has_plan) {
		size_t n = len < sizeof(plan) ? len : sizeof(plan);

		memcpy(&plan, file, n);
		file += n;
		len -= n;
		if (data[0] & 2) {
			plan.magic = APP_PLAN_MAGIC;
			plan.version = APP_PLAN_VERSION;
			plan.app_size = len;
		}
	}
	if (posix_memalign((void **)&copy, PAGE_SIZE, len ? len : 1))
		abort();
	if (len)
		memcpy(copy, file, len);
	file_pa = (u64)copy;
	file_len = len;
	npages = nframes = nres = 0;
	memset(&img, 0, sizeof(img));
	rc = elf_load_app(file_pa, len, has_plan ? &plan : NULL, false, &img);
	fprintf(stderr, "rc %d pages %u frames %u\n", rc, npages, nframes);
	FUZZ_CHECK(rc <= 0, "elf_load_app() returned %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(nres && img.brk_start == res_end[nres - 1],
			   "brk at 0x%llx, the last segment ends at 0x%llx",
			   (unsigned long long)img.brk_start,
			   (unsigned long long)(nres ? res_end[nres - 1] : 0));
		if (!has_plan)
			elf_loaded_ok(copy, len);
	}
	for (unsigned i = 0; i < nframes; i++)
		free(frames[i]);
	free(copy);
	return 0;
}
