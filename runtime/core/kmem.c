/* kmem.c - size-class allocator over frames (kmem.h).
 *
 * Classes 32, 64, ..., 2048 bytes are cut from whole frames and kept on a
 * free list per class (the link sits in the freed block); 4096-byte blocks
 * are frames of their own and go back to the frame allocator.  Freed small
 * blocks stay with their class (frames are not returned): the runtime's
 * object counts rise and fall, but stay small next to program memory.
 */
#include "kmem.h"
#include "mm.h"

#define MIN_SHIFT 5
#define NCLASSES 7 /* 32 .. 2048 */

#define SCRATCH_KEPT 8

static void *free_list[NCLASSES];
/* What is left of each class's last frame: blocks are cut from it as they
 * are needed, not threaded onto the list all at once. */
static u8 *carve[NCLASSES], *carve_end[NCLASSES];
static u64 held_frames;
static void *scratch[SCRATCH_KEPT];
static int nscratch;

static int class_of(size_t n)
{
	int c = 0;

	while (((size_t)1 << (c + MIN_SHIFT)) < n)
		c++;
	return c;
}

static void *frame_block(void)
{
	u64 pa = frame_alloc();

	if (!pa)
		return NULL;
	held_frames++;
	return phys_to_virt(pa);
}

void *kmalloc(size_t n)
{
	int c;
	size_t size;
	u8 *p;

	if (!n || n > KMEM_MAX)
		return NULL;
	if (n > (KMEM_MAX / 2))
		return frame_block(); /* frame_alloc zeroes */
	c = class_of(n);
	size = (size_t)1 << (c + MIN_SHIFT);
	if (!free_list[c]) {
		if (carve[c] == carve_end[c]) {
			p = frame_block();
			if (!p)
				return NULL;
			carve[c] = p;
			carve_end[c] = p + PAGE_SIZE;
		}
		p = carve[c];
		carve[c] += size;
	} else {
		p = free_list[c];
		free_list[c] = *(void **)p;
	}
	memset(p, 0, size);
	return p;
}

void kfree(void *p, size_t n)
{
	int c;

	if (!p)
		return;
	if (n > KMEM_MAX / 2) {
		frame_free((u64)p - dmap_base);
		held_frames--;
		return;
	}
	c = class_of(n);
	*(void **)p = free_list[c];
	free_list[c] = p;
}

void *kscratch(void)
{
	return nscratch ? scratch[--nscratch] : kmalloc(PAGE_SIZE);
}

void kscratch_free(void *p)
{
	if (!p)
		return;
	if (nscratch < SCRATCH_KEPT)
		scratch[nscratch++] = p;
	else
		kfree(p, PAGE_SIZE);
}

char *kstrndup(const char *s, size_t n)
{
	char *d = n < KMEM_MAX ? kmalloc(n + 1) : NULL;

	if (d)
		memcpy(d, s, n);
	return d;
}

u64 kmem_bytes(void)
{
	return held_frames * PAGE_SIZE;
}
