/* blk.h - block devices: the disks the file systems of volumes live on.
 *
 * A disk driver fills a `struct blkdev` and calls blk_register(); disks are
 * numbered 0, 1, ... in the order they are registered, which is the order
 * the platform finds them (the DISK of a unik.mount= word, abi/boot.h).
 * Drivers: virtio-blk over MMIO and PCI (platform/qemu/virtio_blk.c), the
 * monitor's BLOCK_* calls (platform/hvt), host pread64/pwrite64 on an fd
 * the monitor opened (platform/spt).  A new one (Xen blkfront, AHCI, NVMe)
 * is one more blk_ops and a blk_register() call from its platform's
 * blk_probe (platform/platform.h).
 *
 * I/O is synchronous: blk_read/blk_write return when the transfer is done.
 * Buffers are virtual addresses of any alignment: runtime memory (the
 * direct map, the runtime's image) or program memory the caller checked
 * and backed (user_ok); the driver finds what the device needs (physical
 * runs, guest-physical addresses, host addresses).  A driver whose device
 * works asynchronously waits for it through sched_wait() when
 * blk_may_sleep() (other threads run meanwhile, the CPU halts when none
 * can), and polls when not: at boot, before the program's first thread,
 * and while the runtime shuts down.
 */
#ifndef UNIK_RT_BLK_H
#define UNIK_RT_BLK_H

#include "kernel.h"

#define BLK_MAX_DISKS 16
#define BLK_SECTOR 512

struct blkdev;

struct blk_ops {
	/* Transfers [buf, buf + len) to (write) or from the disk at sector
	 * `sector` (units of sector_size).  len is a non-zero multiple of
	 * sector_size, at most max_io, and the range lies on the disk (blk.c
	 * checked).  0, or -EIO. */
	int (*rw)(struct blkdev *d, bool write, u64 sector, void *buf, u64 len);
	/* Makes everything written so far durable (the host's fdatasync, a
	 * virtio FLUSH).  0 or -EIO; NULL: nothing to do. */
	int (*flush)(struct blkdev *d);
};

struct blkdev {
	const struct blk_ops *ops;
	void *priv; /* the driver's */
	u64 sectors; /* size in sectors */
	u32 sector_size; /* bytes: 512, or 4096 for a 4Kn disk */
	u32 max_io; /* bytes per rw call at most (a multiple of sector_size) */
	bool ro; /* writes give -EROFS */
	int index; /* set by blk_register */
	char name[32]; /* for messages: "virtio-blk at 0xfeb00e00" */
	/* counted by blk.c */
	u64 nreads, nwrites, read_bytes, write_bytes;
};

/* Adds a disk (its fields filled in); 0, or -ENOSPC past BLK_MAX_DISKS. */
int blk_register(struct blkdev *d);
/* Finds the platform's disks once (platform_ops.blk_probe). */
void blk_probe(void);
/* The number of disks, and disk i (NULL when there is none). */
int blk_count(void);
struct blkdev *blk_get(int i);

/* Reads or writes len bytes (a multiple of the sector size) at byte offset
 * `off` (a multiple of it too), split into the driver's max_io pieces.
 * 0, -EINVAL (not sector-aligned or past the end), -EROFS, -EIO. */
int blk_read(struct blkdev *d, u64 off, void *buf, u64 len);
int blk_write(struct blkdev *d, u64 off, const void *buf, u64 len);
int blk_flush(struct blkdev *d);

/* May a driver sleep in sched_wait() now?  False at boot and while the
 * runtime shuts down (blk_set_polling). */
bool blk_may_sleep(void);
void blk_set_polling(bool on);
/* Somebody waits for a disk: the idle loop must not declare the wait
 * endless (sched.c). */
bool blk_waiting(void);
void blk_wait_begin(void);
void blk_wait_end(void);

/* For drivers: the physical (guest-physical) address behind the virtual
 * address va of runtime or backed program memory, or ~0 when unmapped. */
u64 blk_phys(u64 va);
/* For drivers: the physically contiguous run starting at va, at most len
 * bytes: its length (0 when va is unmapped), *pa its address. */
u64 blk_phys_run(u64 va, u64 len, u64 *pa);

#endif
