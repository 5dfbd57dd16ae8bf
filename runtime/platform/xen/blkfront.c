/* blkfront.c - Xen's PV block front end: each vbd the toolstack gave the
 * domain (device/vbd/<devid>, ascending: xvda, xvdb, ... in the order of
 * the xl config's `disk` list) becomes one disk of the block layer.
 *
 * One shared request ring page and one event channel per disk, set up by
 * the xenbus handshake (xen/include/public/io/blkif.h): we write ring-ref,
 * event-channel and protocol, go Initialised, and the back end (blkback in
 * dom0) connects and publishes the size (`sectors`, always in 512-byte
 * units), `sector-size`, `info` (read-only) and its features.  I/O is one
 * request at a time through a bounce buffer of BLKIF_SEGS pages granted to
 * the back end once at setup; sector numbers in requests are 512-byte
 * units whatever the sector size.  The event handler only records
 * (sched_irq_io); callers that may sleep wait in sched_wait, the others
 * (boot, shutdown) poll the ring and yield the CPU to dom0 meanwhile.
 * Everything from the back end (ring indexes, response ids, store values)
 * is checked: a disk that breaks the protocol fails its I/O with EIO. */
#include "xen.h"
#include "gnttab.h"
#include "xenbus.h"
#include "../../core/blk.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/runtime.h"
#include "../../core/sched.h"
#include "../platform.h"

#define BLKIF_SEGS 11 /* BLKIF_MAX_SEGMENTS_PER_REQUEST */
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_RSP_OKAY 0
#define VDISK_READONLY 4
#define MAX_VBD 8
#define CONNECT_NS 10000000000UL /* 10 s for a back end to connect */
#define POLL_NS 10000000UL

struct blkif_seg {
	u32 gref;
	u8 first_sect, last_sect;
	u16 pad;
};

struct blkif_req {
	u8 operation, nr_segments;
	u16 handle;
	u32 pad;
	u64 id, sector_number;
	struct blkif_seg seg[BLKIF_SEGS];
};

struct blkif_rsp {
	u64 id;
	u8 operation, pad;
	s16 status;
	u32 pad2;
};

union blkif_entry {
	struct blkif_req req;
	struct blkif_rsp rsp;
};

/* The shared ring page: indexes, then (at 64) the entries. */
struct blkif_sring {
	u32 req_prod, req_event, rsp_prod, rsp_event;
	u8 pad[48];
	union blkif_entry ring[];
};

#define RING_SIZE 32 /* (4096 - 64) / 112 = 36, rounded down to a power of 2 */

_Static_assert(sizeof(struct blkif_req) == 112, "blkif_request");
_Static_assert(sizeof(struct blkif_rsp) == 16, "blkif_response");
_Static_assert(__builtin_offsetof(struct blkif_sring, ring) == 64, "blkif_sring");
_Static_assert(64 + RING_SIZE * sizeof(union blkif_entry) <= 4096, "ring size");

struct vbd {
	struct blkdev bd;
	struct xenbus_dev dev;
	volatile struct blkif_sring *ring;
	u32 req_prod, rsp_cons, port;
	u8 *bounce; /* BLKIF_SEGS pages, granted */
	int bounce_ref[BLKIF_SEGS];
	u32 scale; /* 512-byte units per sector */
	bool flush_ok, broken;
	volatile bool busy;
	u64 next_id;
};

static struct vbd vbds[MAX_VBD];

static void vbd_event(u32 port)
{
	sched_irq_io();
}

static bool has_response(void *arg)
{
	struct vbd *v = arg;

	return __atomic_load_n(&v->ring->rsp_prod, __ATOMIC_ACQUIRE) != v->rsp_cons;
}

static bool not_busy(void *arg)
{
	return !((struct vbd *)arg)->busy;
}

static void wait_response(struct vbd *v)
{
	if (blk_may_sleep()) {
		blk_wait_begin();
		while (sched_wait_noint(has_response, v, plat_monotonic_ns() + POLL_NS, "disk I/O"))
			;
		blk_wait_end();
	}
	while (!has_response(v)) /* boot or shutdown: dom0 runs when we yield */
		xen_hypercall(XEN_HC_SCHED_OP, XEN_SCHEDOP_YIELD, 0, 0, 0, 0);
}

/* One request (op; nbytes of data in the bounce buffer for I/O) and its
 * response: 0 or -EIO. */
static int request(struct vbd *v, u8 op, u64 sector512, u32 nbytes)
{
	volatile struct blkif_req *r;
	struct blkif_rsp rsp;
	u32 prod, nseg = (nbytes + PAGE_SIZE - 1) / PAGE_SIZE;
	int rc = -EIO;

	if (v->busy) /* another thread's request */
		sched_wait_noint(not_busy, v, SCHED_FOREVER, "a busy disk");
	if (v->broken)
		return -EIO;
	v->busy = true;
	prod = v->req_prod;
	r = &v->ring->ring[prod % RING_SIZE].req;
	r->operation = op;
	r->nr_segments = (u8)nseg;
	r->handle = (u16)v->dev.devid;
	r->id = ++v->next_id;
	r->sector_number = sector512;
	for (u32 i = 0; i < nseg; i++) {
		u32 bytes = MIN(nbytes - i * PAGE_SIZE, (u32)PAGE_SIZE);

		r->seg[i].gref = (u32)v->bounce_ref[i];
		r->seg[i].first_sect = 0;
		r->seg[i].last_sect = (u8)(bytes / BLK_SECTOR - 1);
	}
	v->req_prod = prod + 1;
	__atomic_store_n(&v->ring->req_prod, v->req_prod, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	xen_evtchn_send(v->port);
	for (;;) {
		u32 rp;

		/* ask for an event at the next response, then look */
		v->ring->rsp_event = v->rsp_cons + 1;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		wait_response(v);
		rp = __atomic_load_n(&v->ring->rsp_prod, __ATOMIC_ACQUIRE);
		if (rp - v->rsp_cons > RING_SIZE || rp - v->rsp_cons > v->req_prod - v->rsp_cons) {
			kprintf(
			    "unikernel: xen: %s: the back end broke the ring; the disk fails now\n",
			    v->bd.name);
			v->broken = true;
			break;
		}
		rsp = v->ring->ring[v->rsp_cons % RING_SIZE].rsp;
		v->rsp_cons++;
		if (rsp.id == v->next_id) {
			rc = rsp.status == BLKIF_RSP_OKAY ? 0 : -EIO;
			break;
		}
	}
	v->busy = false;
	sched_wake();
	return rc;
}

static int vbd_rw(struct blkdev *d, bool write, u64 sector, void *buf, u64 len)
{
	struct vbd *v = d->priv;
	int rc;

	if (write)
		memcpy(v->bounce, buf, len);
	rc = request(v, write ? BLKIF_OP_WRITE : BLKIF_OP_READ, sector * v->scale, (u32)len);
	if (!rc && !write)
		memcpy(buf, v->bounce, len);
	return rc;
}

static int vbd_flush(struct blkdev *d)
{
	struct vbd *v = d->priv;

	return v->flush_ok ? request(v, BLKIF_OP_FLUSH_DISKCACHE, 0, 0) : 0;
}

static const struct blk_ops vbd_ops = {
	.rw = vbd_rw,
	.flush = vbd_flush,
};

static int grant_buffers(struct vbd *v)
{
	u64 ring_pa = frame_alloc(), bounce_pa = frames_alloc_contig(BLKIF_SEGS);
	int ref;

	if (!ring_pa || !bounce_pa)
		return -ENOMEM;
	v->ring = phys_to_virt(ring_pa);
	v->ring->req_event = v->ring->rsp_event = 1;
	v->bounce = phys_to_virt(bounce_pa);
	for (int i = 0; i < BLKIF_SEGS; i++) {
		v->bounce_ref[i] =
		    gnttab_grant(v->dev.backend_id, (bounce_pa >> 12) + (u64)i, false);
		if (v->bounce_ref[i] < 0)
			return -ENOSPC;
	}
	ref = gnttab_grant(v->dev.backend_id, ring_pa >> 12, false);
	if (ref < 0)
		return -ENOSPC;
	if (xenbus_alloc_evtchn(v->dev.backend_id, &v->port))
		return -EIO;
	if (xenbus_write_u64(v->dev.node, "ring-ref", (u64)ref) ||
	    xenbus_write_u64(v->dev.node, "event-channel", v->port) ||
	    xenbus_write(v->dev.node, "protocol", "x86_64-abi"))
		return -EIO;
	return 0;
}

/* The handshake and the disk's geometry: 0, or -errno with the disk unused. */
static int connect(struct vbd *v)
{
	u64 sectors, ssize = BLK_SECTOR, info = 0, flush = 0;
	char mode[8] = "";
	int rc;

	rc = xenbus_wait_backend(&v->dev, XENBUS_INITWAIT, CONNECT_NS);
	if (rc)
		return rc;
	rc = grant_buffers(v);
	if (rc)
		return rc;
	if (xenbus_set_state(&v->dev, XENBUS_INITIALISED))
		return -EIO;
	rc = xenbus_wait_backend(&v->dev, XENBUS_CONNECTED, CONNECT_NS);
	if (rc)
		return rc;
	if (xenbus_read_u64(v->dev.backend, "sectors", &sectors))
		return -EIO;
	xenbus_read_u64(v->dev.backend, "sector-size", &ssize);
	xenbus_read_u64(v->dev.backend, "info", &info);
	xenbus_read_u64(v->dev.backend, "feature-flush-cache", &flush);
	{
		char path[192];

		ksnprintf(path, sizeof(path), "%s/mode", v->dev.backend);
		xs_read(path, mode, sizeof(mode));
	}
	if (ssize != BLK_SECTOR && ssize != 4096)
		return -EINVAL;
	v->scale = (u32)(ssize / BLK_SECTOR);
	v->bd.ops = &vbd_ops;
	v->bd.priv = v;
	v->bd.sectors = sectors / v->scale;
	v->bd.sector_size = (u32)ssize;
	v->bd.max_io = BLKIF_SEGS * PAGE_SIZE / (u32)ssize * (u32)ssize;
	v->bd.ro = (info & VDISK_READONLY) || !strcmp(mode, "r");
	v->flush_ok = flush == 1;
	ksnprintf(v->bd.name, sizeof(v->bd.name), "xen vbd %u", v->dev.devid);
	xen_event_bind(v->port, vbd_event);
	if (xenbus_set_state(&v->dev, XENBUS_CONNECTED))
		return -EIO;
	return 0;
}

void xen_blk_disks(void)
{
	struct xenbus_dev devs[MAX_VBD];
	int n;

	n = xenbus_devices("vbd", devs, MAX_VBD);
	if (n <= 0)
		return;
	if (gnttab_init()) {
		kprintf("unikernel: xen: no grant table: the disks are not used\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct vbd *v = &vbds[i];
		int rc;

		v->dev = devs[i];
		rc = connect(v);
		if (rc) {
			kprintf(
			    "unikernel: xen: disk %s (back end %s) did not connect (%d); skipped\n",
			    v->dev.node, v->dev.backend, rc);
			xenbus_set_state(&v->dev, XENBUS_CLOSED);
			continue;
		}
		blk_register(&v->bd);
	}
}
