/* ring.c - a byte ring over frames (ring.h). */
#include "errno.h"
#include "mm.h"
#include "ring.h"

void ring_init(struct ring *r, u32 cap)
{
	memset(r->pages, 0, sizeof(r->pages));
	cap = (u32)ALIGN_UP(MAX(cap, (u32)PAGE_SIZE), PAGE_SIZE);
	r->cap = MIN(cap, (u32)(RING_MAX_PAGES * PAGE_SIZE));
	r->head = r->len = 0;
}

void ring_free(struct ring *r)
{
	for (int i = 0; i < RING_MAX_PAGES; i++) {
		frame_free(r->pages[i]);
		r->pages[i] = 0;
	}
	r->head = r->len = 0;
}

/* The address of byte `pos` of the ring's storage (allocating its page). */
static u8 *at(struct ring *r, u32 pos, bool alloc)
{
	u64 *pa = &r->pages[pos / PAGE_SIZE];

	if (!*pa && (!alloc || !(*pa = frame_alloc())))
		return NULL;
	return (u8 *)phys_to_virt(*pa) + pos % PAGE_SIZE;
}

u32 ring_put(struct ring *r, const void *src, u32 n)
{
	const u8 *s = src;
	u32 done = 0;

	n = MIN(n, ring_room(r));
	while (done < n) {
		u32 pos = (r->head + r->len) % r->cap;
		u32 k = MIN(n - done, (u32)(PAGE_SIZE - pos % PAGE_SIZE));
		u8 *p = at(r, pos, true);

		if (!p)
			break;
		memcpy(p, s + done, k);
		done += k;
		r->len += k;
	}
	return done;
}

bool ring_reserve(struct ring *r, u32 n)
{
	for (u32 done = 0; done < n;) {
		u32 pos = (r->head + r->len + done) % r->cap;

		if (!at(r, pos, true))
			return false;
		done += (u32)(PAGE_SIZE - pos % PAGE_SIZE);
	}
	return true;
}

u32 ring_get(struct ring *r, void *dst, u32 n, u32 skip, bool consume)
{
	u8 *d = dst;
	u32 done = 0;

	if (skip >= r->len)
		n = 0;
	else
		n = MIN(n, r->len - skip);
	while (done < n) {
		u32 pos = (r->head + skip + done) % r->cap;
		u32 k = MIN(n - done, (u32)(PAGE_SIZE - pos % PAGE_SIZE));

		if (d)
			memcpy(d + done, at(r, pos, false), k);
		done += k;
	}
	if (consume) {
		u32 gone = MIN(skip + done, r->len);

		r->head = (r->head + gone) % r->cap;
		r->len -= gone;
		if (!r->len)
			r->head = 0;
	}
	return done;
}

int ring_resize(struct ring *r, u32 cap)
{
	u64 old[RING_MAX_PAGES];
	struct ring tmp;
	u32 len = r->len;

	cap = (u32)ALIGN_UP(MAX(cap, (u32)PAGE_SIZE), PAGE_SIZE);
	if (cap > RING_MAX_PAGES * PAGE_SIZE)
		return -EINVAL;
	if (cap < len)
		return -EBUSY;
	/* copy the data to the front of a new ring, page by page */
	ring_init(&tmp, cap);
	for (u32 off = 0; off < len; off += PAGE_SIZE) {
		u8 *page = at(&tmp, off, true);

		if (!page) {
			ring_free(&tmp);
			return -ENOMEM;
		}
		ring_get(r, page, MIN((u32)PAGE_SIZE, len - off), off, false);
	}
	memcpy(old, r->pages, sizeof(old));
	for (int i = 0; i < RING_MAX_PAGES; i++)
		frame_free(old[i]);
	memcpy(r->pages, tmp.pages, sizeof(tmp.pages));
	r->cap = cap;
	r->head = 0;
	r->len = len;
	return 0;
}
