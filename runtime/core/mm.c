/* mm.c - the physical frame allocator.
 *
 * Usable RAM comes from the platform's memory map.  Each region is handed
 * out by a bump pointer; freed frames go on a free list threaded through
 * the frames themselves (via the direct map).  Platforms whose RAM starts
 * out zeroed (QEMU, our own monitor) let us skip clearing fresh frames.  Frames outside the regions
 * (for example the image's own pages mapped into the app) are never freed.
 */
#include "mm.h"

#define MAX_REGIONS 32

struct region {
	u64 base, end, next;
};

static struct region regions[MAX_REGIONS];
static int nregions;
static int cur_region; /* regions below it are used up (their bump pointer is at the end) */
static u64 free_list;
static u64 total_frames, free_frames;
static bool fresh_is_zero;

u64 dmap_base = DMAP_BASE;

void frames_fresh_zeroed(bool zeroed)
{
	fresh_is_zero = zeroed;
}

void frames_add_taken(u64 base, u64 size, u64 taken_end)
{
	u64 start = ALIGN_UP(base, PAGE_SIZE), end = ALIGN_DOWN(base + size, PAGE_SIZE), next;

	if (end > DMAP_LIMIT)
		end = DMAP_LIMIT;
	if (end <= start || nregions == MAX_REGIONS)
		return;
	next = MIN(MAX(start, ALIGN_UP(taken_end, PAGE_SIZE)), end);
	regions[nregions++] = (struct region){ start, end, next };
	total_frames += (end - start) / PAGE_SIZE;
	free_frames += (end - next) / PAGE_SIZE;
}

void frames_add(u64 base, u64 size)
{
	frames_add_taken(base, size, 0);
}

static bool owned(u64 pa)
{
	for (int i = 0; i < nregions; i++) {
		if (pa >= regions[i].base && pa < regions[i].end)
			return true;
	}
	return false;
}

u64 frame_alloc(void)
{
	u64 pa = 0;
	bool clear = true;

	/* The common case at boot: nothing freed yet, the current region has
	 * frames, and fresh RAM is zero (only the link word is cleared). */
	if (!free_list && fresh_is_zero && cur_region < nregions) {
		struct region *r = &regions[cur_region];

		pa = r->next;
		if (pa < r->end) {
			r->next = pa + PAGE_SIZE;
			free_frames--;
			*(u64 *)phys_to_virt(pa) = 0;
			return pa;
		}
		pa = 0;
	}
	if (free_list) {
		pa = free_list;
		free_list = *(u64 *)phys_to_virt(pa);
	} else {
		clear = !fresh_is_zero;
		for (; cur_region < nregions; cur_region++) {
			struct region *r = &regions[cur_region];

			if (r->next < r->end) {
				pa = r->next;
				r->next += PAGE_SIZE;
				break;
			}
		}
		if (!pa)
			return 0;
	}
	free_frames--;
	if (clear)
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
	else
		*(u64 *)phys_to_virt(pa) = 0;
	return pa;
}

u64 frames_alloc_contig(u64 n)
{
	for (int i = 0; i < nregions; i++) {
		u64 pa = regions[i].next;

		if (regions[i].end - pa >= n * PAGE_SIZE) {
			regions[i].next += n * PAGE_SIZE;
			free_frames -= n;
			if (!fresh_is_zero)
				memset(phys_to_virt(pa), 0, n * PAGE_SIZE);
			return pa;
		}
	}
	return 0;
}

void frame_free(u64 pa)
{
	if (!pa || !owned(pa))
		return;
	*(u64 *)phys_to_virt(pa) = free_list;
	free_list = pa;
	free_frames++;
}

u64 frames_total(void)
{
	return total_frames;
}

u64 frames_free(void)
{
	return free_frames;
}
