/* blk.c - the disks (blk.h): registration, checked and split transfers,
 * and what drivers share (sleeping or polling, physical addresses). */
#include "blk.h"
#include "errno.h"
#include "mm.h"
#include "../platform/platform.h"

static struct blkdev *disks[BLK_MAX_DISKS];
static int ndisks, waiting;
static bool probed, polling = true; /* until the program's first thread runs */

int blk_register(struct blkdev *d)
{
	if (ndisks == BLK_MAX_DISKS) {
		kprintf("unikernel: disk %s ignored: at most %d disks\n", d->name, BLK_MAX_DISKS);
		return -ENOSPC;
	}
	if (!d->sector_size || d->sector_size % BLK_SECTOR || d->max_io < d->sector_size)
		panic("disk %s: bad geometry (sector %u, max_io %u)", d->name, d->sector_size,
		      d->max_io);
	d->max_io -= d->max_io % d->sector_size;
	d->index = ndisks;
	disks[ndisks++] = d;
	return 0;
}

void blk_probe(void)
{
	if (probed)
		return;
	probed = true;
	if (platform->blk_probe)
		platform->blk_probe();
}

int blk_count(void)
{
	return ndisks;
}

struct blkdev *blk_get(int i)
{
	return i >= 0 && i < ndisks ? disks[i] : NULL;
}

static int transfer(struct blkdev *d, bool write, u64 off, void *buf, u64 len)
{
	u64 ss = d->sector_size;
	u8 *p = buf;

	if (off % ss || len % ss || off / ss > d->sectors || len / ss > d->sectors - off / ss)
		return -EINVAL;
	if (write && d->ro)
		return -EROFS;
	while (len) {
		u64 n = MIN(len, (u64)d->max_io);
		int err = d->ops->rw(d, write, off / ss, p, n);

		if (err)
			return err;
		if (write) {
			d->nwrites++;
			d->write_bytes += n;
		} else {
			d->nreads++;
			d->read_bytes += n;
		}
		off += n;
		p += n;
		len -= n;
	}
	return 0;
}

int blk_read(struct blkdev *d, u64 off, void *buf, u64 len)
{
	return transfer(d, false, off, buf, len);
}

int blk_write(struct blkdev *d, u64 off, const void *buf, u64 len)
{
	return transfer(d, true, off, (void *)buf, len);
}

int blk_flush(struct blkdev *d)
{
	if (d->ro || !d->ops->flush)
		return 0;
	return d->ops->flush(d);
}

bool blk_may_sleep(void)
{
	return !polling;
}

void blk_set_polling(bool on)
{
	polling = on;
}

bool blk_waiting(void)
{
	return waiting > 0;
}

void blk_wait_begin(void)
{
	waiting++;
}

void blk_wait_end(void)
{
	waiting--;
}

u64 blk_phys(u64 va)
{
	u64 pa;

	if (va >= dmap_base && va - dmap_base < DMAP_LIMIT)
		return va - dmap_base;
	if (va >= 0x100000 && va < USER_MIN)
		return va; /* the runtime's image, mapped 1:1 */
	pa = arch_lookup_page(va & PAGE_MASK);
	return pa ? pa + (va & ~PAGE_MASK) : ~0UL;
}

u64 blk_phys_run(u64 va, u64 len, u64 *pa)
{
	u64 run = 0;

	*pa = blk_phys(va);
	if (*pa == ~0UL)
		return 0;
	while (run < len) {
		u64 chunk = MIN(len - run, PAGE_SIZE - ((va + run) & ~PAGE_MASK));

		if (run && blk_phys(va + run) != *pa + run)
			break;
		run += chunk;
	}
	return run;
}
