/* fs_bcache.c - a write-back cache of a volume's blocks (fs_bcache.h).
 * Up to max_bufs buffers (an eighth of the free frames at mount, at most
 * 4096), hashed by block number, evicted least recently used first. */
#include "errno.h"
#include "fs_bcache.h"
#include "kmem.h"
#include "mm.h"

int bc_init(struct bcache *c, struct blkdev *dev, u32 bsize)
{
	u64 pa;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->bsize = bsize;
	c->max_bufs = (u32)MIN(MAX(frames_free() / 8, 64UL), 4096UL);
	c->hsize = PAGE_SIZE / sizeof(struct buf *);
	pa = frame_alloc();
	if (!pa)
		return -ENOMEM;
	c->hash = phys_to_virt(pa);
	return 0;
}

static void lru_unlink(struct bcache *c, struct buf *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		c->head = b->next;
	if (b->next)
		b->next->prev = b->prev;
	else
		c->tail = b->prev;
	b->prev = b->next = NULL;
}

static void lru_front(struct bcache *c, struct buf *b)
{
	b->next = c->head;
	b->prev = NULL;
	if (c->head)
		c->head->prev = b;
	else
		c->tail = b;
	c->head = b;
}

static struct buf **slot(struct bcache *c, u64 blk)
{
	return &c->hash[(blk * 0x9e3779b97f4a7c15UL >> 40) % c->hsize];
}

static void unhash(struct bcache *c, struct buf *b)
{
	struct buf **pp = slot(c, b->blk);

	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
}

static int writeback(struct bcache *c, struct buf *b)
{
	int err;

	if (!b->dirty)
		return 0;
	err = blk_write(c->dev, b->blk * c->bsize, b->data, c->bsize);
	if (err) {
		c->err = -EIO;
		return -EIO;
	}
	b->dirty = false;
	return 0;
}

/* A buffer for a new entry: a fresh one, or the least recently used
 * unheld one (written back first). */
static struct buf *victim(struct bcache *c)
{
	struct buf *b;

	if (c->nbufs < c->max_bufs) {
		u64 pa = frame_alloc();

		b = pa ? kmalloc(sizeof(*b)) : NULL;
		if (b) {
			b->data = phys_to_virt(pa);
			c->nbufs++;
			return b;
		}
		if (pa)
			frame_free(pa);
	}
	for (b = c->tail; b; b = b->prev) {
		if (b->refs)
			continue;
		if (writeback(c, b))
			continue;
		lru_unlink(c, b);
		unhash(c, b);
		return b;
	}
	return NULL;
}

struct buf *bc_get(struct bcache *c, u64 blk, bool read, int *err)
{
	struct buf *b;

	for (b = *slot(c, blk); b; b = b->hnext) {
		if (b->blk == blk) {
			lru_unlink(c, b);
			lru_front(c, b);
			b->refs++;
			if (!read)
				memset(b->data, 0, c->bsize);
			return b;
		}
	}
	b = victim(c);
	if (!b) {
		*err = -ENOMEM;
		return NULL;
	}
	b->blk = blk;
	b->dirty = false;
	b->refs = 1;
	if (read) {
		*err = blk_read(c->dev, blk * c->bsize, b->data, c->bsize);
		if (*err) {
			*err = -EIO;
			b->refs = 0;
			/* keep the buffer, unhashed, at the LRU's end */
			b->blk = ~0UL;
			b->hnext = *slot(c, b->blk);
			*slot(c, b->blk) = b;
			b->next = NULL;
			b->prev = c->tail;
			if (c->tail)
				c->tail->next = b;
			else
				c->head = b;
			c->tail = b;
			return NULL;
		}
	} else {
		memset(b->data, 0, c->bsize);
	}
	b->hnext = *slot(c, blk);
	*slot(c, blk) = b;
	lru_front(c, b);
	return b;
}

void bc_put(struct bcache *c, struct buf *b)
{
	if (b)
		b->refs--;
}

int bc_sync(struct bcache *c)
{
	int err = c->err;

	c->err = 0;
	for (struct buf *b = c->head; b; b = b->next) {
		if (writeback(c, b))
			err = -EIO;
	}
	return err;
}

bool bc_cached(struct bcache *c, u64 blk)
{
	for (struct buf *b = *slot(c, blk); b; b = b->hnext) {
		if (b->blk == blk)
			return true;
	}
	return false;
}

void bc_forget(struct bcache *c, u64 blk)
{
	for (struct buf *b = *slot(c, blk); b; b = b->hnext) {
		if (b->blk == blk) {
			b->dirty = false;
			return;
		}
	}
}
