/* net_heap.c - lwIP's memory (mem_malloc and mem_free, and through
 * MEMP_MEM_MALLOC every pcb, segment and pbuf; MEM_LIBC_MALLOC in
 * lwipopts.h): blocks of a few fixed sizes cut from the one region of
 * NET_HEAP_SIZE bytes net.c takes at start, each size with its free list.
 *
 * lwIP's own heap (mem.c) walks its blocks first-fit on every allocation
 * and merges neighbours on every free: on hvt, where each ring-0
 * instruction is emulated, that walk was ~2,000 guest instructions per
 * HTTP connection, more with many connections open (docs/runtime.md,
 * "Benchmark").  Here an allocation is a pop and a free a push.
 *
 * Sizes: powers of two from 64 bytes to 128 KiB, and 1,600 bytes, which
 * holds a frame's pbuf (PBUF_POOL_BUFSIZE and its header) and a full TCP
 * segment with far less waste than 2,048.  Blocks are cut from the region's
 * untouched end as they are first needed (its pages stay untouched until
 * then); once it is all cut, a block of a larger size is split into blocks
 * of the one asked for, the rest going to the largest sizes it fills.
 * Blocks never go back to a larger size: the region is shared out by what
 * the stack asked for, and an allocation fails (lwIP: ERR_MEM) only when no
 * block of its size or a larger one is free.  lwIP's mem_trim does nothing
 * then: a block keeps its size until freed.
 *
 * Each block starts with an 8-byte header, its size's index, so mem_free
 * needs no size.  Pure C with no runtime dependency: tests/unit/t_net_heap.c
 * compiles it for the host. */
#include <stddef.h>
#include <stdint.h>

#include "net_heap.h"

#define HDR 8
#define NSIZES 13

static const size_t sizes[NSIZES] = { 64,   128,  256,	 512,	1024,  1600,  2048,
				      4096, 8192, 16384, 32768, 65536, 131072 };

static unsigned char *cut, *cut_end; /* the region not yet cut */
static void *free_list[NSIZES];

void net_heap_init(void *base, size_t size)
{
	uintptr_t b = ((uintptr_t)base + 7) & ~(uintptr_t)7;

	cut = (unsigned char *)b;
	cut_end = (unsigned char *)base + size;
	if (cut_end < cut)
		cut_end = cut;
	for (int i = 0; i < NSIZES; i++)
		free_list[i] = NULL;
}

static void push(int c, void *blk)
{
	*(void **)blk = free_list[c];
	free_list[c] = blk;
}

/* The rest of a split block, len bytes at p, to the largest sizes it fills. */
static void give_back(unsigned char *p, size_t len)
{
	for (int c = NSIZES - 1; c >= 0; c--)
		while (len >= sizes[c]) {
			push(c, p);
			p += sizes[c];
			len -= sizes[c];
		}
}

/* A block of size c from a free block of a larger size, or NULL. */
static void *split(int c)
{
	for (int d = c + 1; d < NSIZES; d++) {
		unsigned char *blk = free_list[d];

		if (!blk)
			continue;
		free_list[d] = *(void **)blk;
		give_back(blk + sizes[c], sizes[d] - sizes[c]);
		return blk;
	}
	return NULL;
}

void *net_heap_alloc(size_t n)
{
	size_t need = n + HDR;
	unsigned char *blk;
	int c = 0;

	if (!n || need < n)
		return NULL;
	while (c < NSIZES && sizes[c] < need)
		c++;
	if (c == NSIZES)
		return NULL;
	blk = free_list[c];
	if (blk)
		free_list[c] = *(void **)blk;
	else if ((size_t)(cut_end - cut) >= sizes[c]) {
		blk = cut;
		cut += sizes[c];
	} else if (!(blk = split(c)))
		return NULL;
	*(uint64_t *)blk = (uint64_t)c;
	return blk + HDR;
}

void net_heap_free(void *p)
{
	unsigned char *blk;
	uint64_t c;

	if (!p)
		return;
	blk = (unsigned char *)p - HDR;
	c = *(uint64_t *)blk;
	if (c >= NSIZES)
		return; /* not a block of ours: kept out of the lists */
	push((int)c, blk);
}

void *net_heap_calloc(size_t count, size_t size)
{
	unsigned char *p;

	if (size && count > (size_t)-1 / size)
		return NULL;
	p = net_heap_alloc(count * size);
	if (p)
		__builtin_memset(p, 0, count * size);
	return p;
}

size_t net_heap_block_size(const void *p)
{
	uint64_t c = *(const uint64_t *)((const unsigned char *)p - HDR);

	return c < NSIZES ? sizes[c] - HDR : 0;
}
