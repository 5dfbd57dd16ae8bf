/* virtio_net_queue.c - the virtqueues and frame path of the virtio-net
 * driver, shared by its transports (virtio_net_mmio.c, virtio_net_pci.c).
 *
 * Split virtqueues of VQ_SIZE entries, each entry with its own fixed buffer
 * of VQ_BUF_SIZE bytes: receive buffers stay posted and frames are copied
 * out of them; frames to send are copied into a free buffer.  No offloads:
 * every frame carries a zeroed virtio-net header (10 bytes legacy, 12 with
 * VIRTIO_F_VERSION_1).  The device is notified only when it asks to be
 * (VRING_USED_F_NO_NOTIFY clear), which saves an exit per frame while it
 * is busy with a queue.
 */
#include "virtio_net.h"
#include "../../core/errno.h"
#include "../../core/mm.h"

#define DESC_F_WRITE 2
#define USED_F_NO_NOTIFY 1

static struct vq queues[2];
static u32 hdr_len;
static void (*notify_fn)(int q);

struct vq *vnet_queue_alloc(int q)
{
	struct vq *v = &queues[q];
	u64 used_off =
	    ALIGN_UP(sizeof(struct vq_desc) * VQ_SIZE + sizeof(struct vq_avail), PAGE_SIZE);
	u8 *ring;

	if (!v->desc) {
		v->desc_pa = frames_alloc_contig((used_off + PAGE_SIZE) / PAGE_SIZE);
		v->bufs_pa = frames_alloc_contig(VQ_SIZE * VQ_BUF_SIZE / PAGE_SIZE);
		if (!v->desc_pa || !v->bufs_pa)
			return NULL;
	}
	ring = phys_to_virt(v->desc_pa);
	memset(ring, 0, used_off + PAGE_SIZE);
	v->avail_pa = v->desc_pa + sizeof(struct vq_desc) * VQ_SIZE;
	v->used_pa = v->desc_pa + used_off;
	v->desc = (struct vq_desc *)ring;
	v->avail = (struct vq_avail *)(ring + sizeof(struct vq_desc) * VQ_SIZE);
	v->used = (volatile struct vq_used *)(ring + used_off);
	v->bufs = phys_to_virt(v->bufs_pa);
	v->avail_idx = v->used_seen = 0;
	for (int i = 0; i < VQ_SIZE; i++) {
		v->desc[i].addr = v->bufs_pa + (u64)i * VQ_BUF_SIZE;
		v->desc[i].len = VQ_BUF_SIZE;
		v->desc[i].flags = q == VNET_RXQ ? DESC_F_WRITE : 0;
	}
	return v;
}

static void vq_push(struct vq *v, u16 id)
{
	v->avail->ring[v->avail_idx % VQ_SIZE] = id;
	__asm__ volatile("" : : : "memory"); /* the entry before the index (x86: TSO) */
	v->avail->idx = ++v->avail_idx;
}

/* Tells the device about new buffers of queue q, unless it said it does
 * not need to be told (it is processing the queue and will look again). */
static void kick(int q)
{
	__asm__ volatile("mfence" : : : "memory"); /* avail->idx before used->flags */
	if (!(queues[q].used->flags & USED_F_NO_NOTIFY))
		notify_fn(q);
}

void vnet_queues_start(u32 header_len, void (*notify)(int q))
{
	hdr_len = header_len;
	notify_fn = notify;
	for (u16 i = 0; i < VQ_SIZE; i++)
		vq_push(&queues[VNET_RXQ], i);
}

int virtio_net_send(const void *frame, size_t len)
{
	struct vq *v = &queues[VNET_TXQ];
	u16 id;

	if (!notify_fn)
		return -ENODEV;
	if (len + hdr_len > VQ_BUF_SIZE)
		return -EIO;
	v->used_seen = v->used->idx; /* sent frames are done with */
	if ((u16)(v->avail_idx - v->used_seen) >= VQ_SIZE)
		return -EAGAIN;
	id = v->avail_idx % VQ_SIZE;
	memset(v->bufs + (u64)id * VQ_BUF_SIZE, 0, hdr_len);
	memcpy(v->bufs + (u64)id * VQ_BUF_SIZE + hdr_len, frame, len);
	v->desc[id].len = (u32)(hdr_len + len);
	vq_push(v, id);
	kick(VNET_TXQ);
	return 0;
}

long virtio_net_recv(void *buf, size_t size)
{
	struct vq *v = &queues[VNET_RXQ];
	u32 id, len;

	if (!notify_fn || v->used_seen == v->used->idx)
		return 0;
	__asm__ volatile("" : : : "memory");
	id = v->used->ring[v->used_seen % VQ_SIZE].id % VQ_SIZE;
	len = v->used->ring[v->used_seen % VQ_SIZE].len;
	v->used_seen++;
	len = len > hdr_len ? len - hdr_len : 0;
	if (len > size)
		len = 0; /* too large for the caller: dropped */
	memcpy(buf, v->bufs + (u64)id * VQ_BUF_SIZE + hdr_len, len);
	vq_push(v, (u16)id);
	kick(VNET_RXQ);
	return len;
}
