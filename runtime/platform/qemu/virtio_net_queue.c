/* virtio_net_queue.c - the virtqueues and frame path of the virtio-net
 * driver, shared by its transports (virtio_net_mmio.c, virtio_net_pci.c).
 *
 * Split virtqueues of VQ_SIZE entries (legacy virtio-pci: the device's
 * size, up to VQ_MAX), each entry with its own fixed buffer
 * of VQ_BUF_SIZE bytes: receive buffers stay posted and frames are copied
 * out of them; frames to send are copied into a free buffer.  No offloads:
 * every frame carries a zeroed virtio-net header (10 bytes legacy, 12 with
 * VIRTIO_F_VERSION_1).  The device is notified only when it asks to be
 * (VRING_USED_F_NO_NOTIFY clear), which saves an exit per frame while it
 * is busy with a queue.  The device is asked not to interrupt for sent
 * frames (VRING_AVAIL_F_NO_INTERRUPT on the transmit queue): their buffers
 * are taken back when the next frame is sent, and only received frames
 * need to wake a wait.  That saves an interrupt (and its status read and
 * acknowledgement) per frame sent.
 */
#include "virtio_net.h"
#include "../../core/errno.h"
#include "../../core/mm.h"

#define DESC_F_WRITE 2
#define USED_F_NO_NOTIFY 1
#define AVAIL_F_NO_INTERRUPT 1

static struct vq queues[2];
static u32 hdr_len;
static void (*notify_fn)(int q);

/* Bytes from the descriptors to the device ring (on a page boundary), and
 * of the whole ring, for a queue of n entries. */
static u64 used_off(u32 n)
{
	return ALIGN_UP(sizeof(struct vq_desc) * n + 2 * (3 + n), PAGE_SIZE);
}

static u64 ring_bytes(u32 n)
{
	return used_off(n) + ALIGN_UP(2 * 3 + sizeof(struct vq_used_elem) * n, PAGE_SIZE);
}

struct vq *vnet_queue_alloc(int q, u16 size)
{
	struct vq *v = &queues[q];
	u8 *ring;

	if (!size || size > VQ_MAX || (size & (size - 1)) || (v->desc && size > v->cap))
		return NULL;
	if (!v->desc) {
		v->desc_pa = frames_alloc_contig(ring_bytes(size) / PAGE_SIZE);
		v->bufs_pa = frames_alloc_contig((u64)size * VQ_BUF_SIZE / PAGE_SIZE);
		if (!v->desc_pa || !v->bufs_pa)
			return NULL;
		v->cap = size;
		v->desc = phys_to_virt(v->desc_pa);
	}
	v->size = size;
	ring = phys_to_virt(v->desc_pa);
	memset(ring, 0, ring_bytes(size));
	v->avail_pa = v->desc_pa + sizeof(struct vq_desc) * size;
	v->used_pa = v->desc_pa + used_off(size);
	v->avail = (volatile u16 *)(ring + sizeof(struct vq_desc) * size);
	v->used = (volatile u16 *)(ring + used_off(size));
	v->used_ring = (volatile struct vq_used_elem *)(ring + used_off(size) + 4);
	v->bufs = phys_to_virt(v->bufs_pa);
	v->avail_idx = v->used_seen = 0;
	for (u32 i = 0; i < size; i++) {
		v->desc[i].addr = v->bufs_pa + (u64)i * VQ_BUF_SIZE;
		v->desc[i].len = VQ_BUF_SIZE;
		v->desc[i].flags = q == VNET_RXQ ? DESC_F_WRITE : 0;
	}
	return v;
}

static void vq_push(struct vq *v, u16 id)
{
	v->avail[2 + v->avail_idx % v->size] = id;
	__asm__ volatile("" : : : "memory"); /* the entry before the index (x86: TSO) */
	v->avail[1] = ++v->avail_idx;
}

/* Tells the device about new buffers of queue q, unless it said it does
 * not need to be told (it is processing the queue and will look again). */
static void kick(int q)
{
	__asm__ volatile("mfence" : : : "memory"); /* avail idx before used flags */
	if (!(queues[q].used[0] & USED_F_NO_NOTIFY))
		notify_fn(q);
}

void vnet_queues_start(u32 header_len, void (*notify)(int q))
{
	hdr_len = header_len;
	notify_fn = notify;
	queues[VNET_TXQ].avail[0] = AVAIL_F_NO_INTERRUPT;
	for (u16 i = 0; i < queues[VNET_RXQ].size; i++)
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
	v->used_seen = v->used[1]; /* sent frames are done with */
	if ((u16)(v->avail_idx - v->used_seen) >= v->size)
		return -EAGAIN;
	id = v->avail_idx % v->size;
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

	if (!notify_fn || v->used_seen == v->used[1])
		return 0;
	__asm__ volatile("" : : : "memory");
	id = v->used_ring[v->used_seen % v->size].id % v->size; /* the device's: bounded */
	len = v->used_ring[v->used_seen % v->size].len;
	v->used_seen++;
	len = len > hdr_len ? len - hdr_len : 0;
	if (len > size || len > VQ_BUF_SIZE - hdr_len)
		len = 0; /* too large for the caller or the buffer: dropped */
	memcpy(buf, v->bufs + (u64)id * VQ_BUF_SIZE + hdr_len, len);
	vq_push(v, (u16)id);
	kick(VNET_RXQ);
	return len;
}
