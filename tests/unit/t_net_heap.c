/* t_net_heap.c - lwIP's block allocator (runtime/net/net_heap.c, compiled
 * here for the host): sizes and alignment, reuse after free, no overlap
 * among live blocks under a random alloc/free churn (each block filled with
 * its own byte and checked before it is freed), exhaustion (NULL, never a
 * block outside the region), splitting larger free blocks once the region
 * is all cut, and hostile sizes (0, huge, count * size overflow). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/net/net_heap.c"
#include "tap.h"

#define REGION (1u << 20)
#define LIVE 600

static unsigned char region[REGION + 64];

static int inside(const void *p, size_t n)
{
	const unsigned char *b = p;

	return b >= region && b + n <= region + sizeof(region);
}

int main(void)
{
	static unsigned char *live[LIVE];
	static size_t len[LIVE];
	int bad = 0, outside = 0, misaligned = 0, n, i;
	void *p, *q;

	net_heap_init(region + 3, REGION);
	p = net_heap_alloc(100);
	ok(p && ((uintptr_t)p & 7) == 0, "a block is 8-byte aligned (region starts unaligned)");
	ok(net_heap_block_size(p) >= 100, "it holds what was asked (%zu)", net_heap_block_size(p));
	net_heap_free(p);
	q = net_heap_alloc(90);
	ok(q == p, "a freed block of the same size is reused");
	net_heap_free(q);
	ok(net_heap_alloc(0) == NULL, "0 bytes: NULL");
	ok(net_heap_alloc((size_t)-1) == NULL, "SIZE_MAX: NULL (no wrap-around)");
	ok(net_heap_alloc(200000) == NULL, "above the largest size: NULL");
	ok(net_heap_calloc((size_t)1 << 40, (size_t)1 << 40) == NULL,
	   "count * size overflow: NULL");
	p = net_heap_calloc(10, 100);
	for (i = 0, n = 0; p && i < 1000; i++)
		n += ((unsigned char *)p)[i] != 0;
	ok(p && n == 0, "calloc zeroes");
	net_heap_free(p);
	net_heap_free(NULL);

	/* churn: random sizes, random frees; every live block keeps its bytes */
	srand(4242);
	memset(live, 0, sizeof(live));
	for (int round = 0; round < 200000; round++) {
		int k = rand() % LIVE;

		if (live[k]) {
			for (size_t j = 0; j < len[k]; j++)
				bad += live[k][j] != (unsigned char)k;
			net_heap_free(live[k]);
			live[k] = NULL;
			continue;
		}
		len[k] = rand() % 3 ? 1 + rand() % 1700 : 1 + rand() % 20000;
		live[k] = net_heap_alloc(len[k]);
		if (!live[k])
			continue; /* full: allowed */
		outside += !inside(live[k], len[k]);
		misaligned += ((uintptr_t)live[k] & 7) != 0;
		memset(live[k], k, len[k]);
	}
	is_int(bad, 0, "no live block was overwritten by another (200,000 rounds)");
	is_int(outside, 0, "every block lies inside the region");
	is_int(misaligned, 0, "every block is 8-byte aligned");
	for (i = 0; i < LIVE; i++)
		net_heap_free(live[i]);

	/* exhaustion, then splitting: fill the region with 16 KiB blocks, free
	 * them, and the whole region serves small blocks again */
	net_heap_init(region, REGION);
	for (n = 0; net_heap_alloc(16000); n++)
		;
	ok(n > 0 && n <= (int)(REGION / 16384), "16 KiB blocks until full: %d", n);
	ok(net_heap_alloc(16000) == NULL, "full: NULL");
	net_heap_init(region, REGION);
	for (i = 0; i < LIVE && (live[i] = net_heap_alloc(16000)); i++)
		;
	n = i;
	for (i = 0; i < n; i++)
		net_heap_free(live[i]);
	for (i = 0; net_heap_alloc(100); i++)
		;
	/* what a split leaves below 128 bytes (64-byte blocks) is lost to them */
	ok(i >= n * (16384 / 128) * 9 / 10, "%d freed 16 KiB blocks split into %d 128-byte blocks",
	   n, i);
	return tap_done();
}
