/* net_heap.h - lwIP's memory: fixed-size blocks over one region
 * (net_heap.c). */
#ifndef UNIK_NET_HEAP_H
#define UNIK_NET_HEAP_H

#include <stddef.h>

/* The region the blocks are cut from (net_stack_init, before lwip_init). */
void net_heap_init(void *base, size_t size);
/* n bytes, 8-aligned, not zeroed; NULL when no block of that size is left. */
void *net_heap_alloc(size_t n);
void *net_heap_calloc(size_t count, size_t size);
/* p from net_heap_alloc/calloc, or NULL. */
void net_heap_free(void *p);
/* The bytes p's block holds (>= what was asked). */
size_t net_heap_block_size(const void *p);

#endif
