/* ring.h - a byte ring over frames, for pipes and local sockets.
 *
 * The capacity is a whole number of pages (at most RING_MAX_PAGES); pages
 * are taken when data first reaches them and given back by ring_free().
 */
#ifndef UNIK_RT_RING_H
#define UNIK_RT_RING_H

#include "kernel.h"

#define RING_MAX_PAGES 256 /* 1 MiB */

struct ring {
	u64 pages[RING_MAX_PAGES]; /* physical addresses, 0 until used */
	u32 cap, head, len; /* bytes: capacity, start of data, data */
};

/* An empty ring of cap bytes (rounded up to pages, at most the maximum). */
void ring_init(struct ring *r, u32 cap);
void ring_free(struct ring *r);
static inline u32 ring_room(const struct ring *r)
{
	return r->cap - r->len;
}
/* Appends up to n bytes of src: the bytes taken (0 when full or out of
 * memory). */
u32 ring_put(struct ring *r, const void *src, u32 n);
/* Makes sure the next n bytes can be put (their pages exist): false when
 * memory is exhausted.  n <= ring_room(). */
bool ring_reserve(struct ring *r, u32 n);
/* Copies up to n bytes from offset `skip` of the data into dst; with
 * `consume` they (and the skipped ones) are removed.  The bytes copied. */
u32 ring_get(struct ring *r, void *dst, u32 n, u32 skip, bool consume);
/* Changes the capacity (>= the data held): 0, or -EBUSY, -ENOMEM. */
int ring_resize(struct ring *r, u32 cap);

#endif
