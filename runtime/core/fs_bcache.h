/* fs_bcache.h - a write-back cache of a volume's blocks (fs_bcache.c).
 *
 * File systems read and change their blocks here: bc_get() gives a block's
 * buffer (read from the disk unless the caller will fill all of it), held
 * until bc_put(); bc_dirty() marks it changed.  Dirty blocks reach the
 * disk when they are evicted (least recently used, unheld) or at bc_sync().
 * Blocks are 1-4 KiB (one frame each).
 */
#ifndef UNIK_RT_FS_BCACHE_H
#define UNIK_RT_FS_BCACHE_H

#include "blk.h"

struct buf {
	u64 blk;
	u8 *data;
	struct buf *hnext, *prev, *next; /* hash chain; LRU list (most recent first) */
	u32 refs;
	bool dirty;
};

struct bcache {
	struct blkdev *dev;
	u32 bsize;
	u32 nbufs, max_bufs;
	struct buf **hash;
	u32 hsize;
	struct buf *head, *tail;
	int err; /* a write-back failed (-EIO): sync reports it */
};

/* Sets up c for dev with blocks of bsize bytes: 0 or -ENOMEM. */
int bc_init(struct bcache *c, struct blkdev *dev, u32 bsize);
/* Block blk (held): read from the disk when `read`, else zeroed (the
 * caller fills it).  NULL with *err (-EIO, -ENOMEM). */
struct buf *bc_get(struct bcache *c, u64 blk, bool read, int *err);
void bc_put(struct bcache *c, struct buf *b);
static inline void bc_dirty(struct buf *b)
{
	b->dirty = true;
}
/* Is block blk in the cache? */
bool bc_cached(struct bcache *c, u64 blk);
/* Writes every dirty block: 0 or -EIO. */
int bc_sync(struct bcache *c);
/* Block blk was freed: its cached copy (if any) is dropped unwritten. */
void bc_forget(struct bcache *c, u64 blk);

#endif
