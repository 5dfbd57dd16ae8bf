/* virtio_net_mmio.c - a virtio-net driver over the virtio-mmio transport
 * (QEMU microvm), legacy (version 1, QEMU's default) and modern (version 2).
 *
 * Found through the kernel command line: QEMU appends one word
 * `virtio_mmio.device=SIZE@ADDR:IRQ` per virtio-mmio device to a -kernel
 * boot.  We take the first that is a network device.  No offloads are
 * negotiated (only the MAC, and VERSION_1 on a modern device): every frame
 * carries a zeroed virtio-net header.  Two queues of QSIZE entries, each
 * entry with its own fixed buffer: receive buffers stay posted and are
 * copied out; send buffers are copied into.  The device's interrupt only
 * wakes the halted CPU (the handler acknowledges it); frames are taken by
 * polling the used ring.
 */
#include "virtio_net.h"
#include "../arch/x86_64/arch.h"
#include "../core/errno.h"
#include "../core/mm.h"
#include "../core/random.h"

#define VIRTIO_MAGIC 0x74726976 /* "virt" */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEVICE_FEATURES 0x010
#define R_DEVICE_FEATURES_SEL 0x014
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_GUEST_PAGE_SIZE 0x028 /* legacy */
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_ALIGN 0x03c /* legacy */
#define R_QUEUE_PFN 0x040 /* legacy */
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_STATUS 0x060
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_AVAIL 0x090
#define R_QUEUE_USED 0x0a0
#define R_CONFIG 0x100
#define ST_ACK 1
#define ST_DRIVER 2
#define ST_DRIVER_OK 4
#define ST_FEATURES_OK 8
#define ST_FAILED 128
#define F_MAC (1u << 5)
#define F_VERSION_1_HI (1u << 0) /* feature bit 32 */
#define DEV_NET 1
#define DESC_F_WRITE 2
#define QSIZE 128
#define BUF_SIZE 2048
#define RXQ 0
#define TXQ 1
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 1)

struct vq_desc {
	u64 addr;
	u32 len;
	u16 flags, next;
};

struct vq_avail {
	u16 flags, idx;
	u16 ring[QSIZE];
	u16 used_event;
};

struct vq_used_elem {
	u32 id, len;
};

struct vq_used {
	u16 flags, idx;
	struct vq_used_elem ring[QSIZE];
	u16 avail_event;
};

struct vq {
	struct vq_desc *desc;
	struct vq_avail *avail;
	volatile struct vq_used *used;
	u8 *bufs; /* QSIZE buffers of BUF_SIZE, physically contiguous */
	u64 bufs_pa;
	u16 avail_idx, used_seen;
};

static volatile u8 *regs;
static u32 version, hdr_len;
static struct vq vqs[2];
static u64 base_pa, irq;

static u32 rd(u32 reg)
{
	return mmio_read32(regs + reg);
}

static void wr(u32 reg, u32 v)
{
	mmio_write32(regs + reg, v);
}

static u64 parse_num(const char **s, bool *ok)
{
	const char *p = *s;
	u64 v = 0, base = 10;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		int d = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : 99;

		if (d >= (int)base)
			break;
		v = v * base + (u64)d;
	}
	*ok = *ok && p != *s;
	if (*p == 'K' || *p == 'k')
		v <<= 10, p++;
	else if (*p == 'M' || *p == 'm')
		v <<= 20, p++;
	*s = p;
	return v;
}

/* "SIZE@ADDR:IRQ" (SIZE may end in K or M). */
static bool parse_device(const char *w, size_t len, u64 *addr, u64 *size, u64 *gsi)
{
	char buf[64];
	const char *p = buf;
	bool ok = true;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, w, len);
	buf[len] = 0;
	*size = parse_num(&p, &ok);
	if (*p++ != '@')
		return false;
	*addr = parse_num(&p, &ok);
	if (*p++ != ':')
		return false;
	*gsi = parse_num(&p, &ok);
	return ok && !*p && *size >= 0x200 && *addr < DMAP_LIMIT;
}

/* Sets up queue q with QSIZE entries; false on failure. */
static bool vq_init(int q)
{
	struct vq *v = &vqs[q];
	u64 ring_pa, used_off = ALIGN_UP(sizeof(struct vq_desc) * QSIZE + sizeof(struct vq_avail),
					 PAGE_SIZE);
	u8 *ring;

	wr(R_QUEUE_SEL, (u32)q);
	if (rd(R_QUEUE_NUM_MAX) < QSIZE)
		return false;
	ring_pa = frames_alloc_contig((used_off + PAGE_SIZE) / PAGE_SIZE);
	v->bufs_pa = frames_alloc_contig(QSIZE * BUF_SIZE / PAGE_SIZE);
	if (!ring_pa || !v->bufs_pa)
		return false;
	ring = phys_to_virt(ring_pa);
	memset(ring, 0, used_off + PAGE_SIZE);
	v->desc = (struct vq_desc *)ring;
	v->avail = (struct vq_avail *)(ring + sizeof(struct vq_desc) * QSIZE);
	v->used = (volatile struct vq_used *)(ring + used_off);
	v->bufs = phys_to_virt(v->bufs_pa);
	for (int i = 0; i < QSIZE; i++) {
		v->desc[i].addr = v->bufs_pa + (u64)i * BUF_SIZE;
		v->desc[i].len = BUF_SIZE;
		v->desc[i].flags = q == RXQ ? DESC_F_WRITE : 0;
	}
	wr(R_QUEUE_NUM, QSIZE);
	if (version == 1) {
		wr(R_QUEUE_ALIGN, PAGE_SIZE);
		wr(R_QUEUE_PFN, (u32)(ring_pa / PAGE_SIZE));
	} else {
		u64 avail_pa = ring_pa + sizeof(struct vq_desc) * QSIZE,
		    used_pa = ring_pa + used_off;

		wr(R_QUEUE_DESC, (u32)ring_pa);
		wr(R_QUEUE_DESC + 4, (u32)(ring_pa >> 32));
		wr(R_QUEUE_AVAIL, (u32)avail_pa);
		wr(R_QUEUE_AVAIL + 4, (u32)(avail_pa >> 32));
		wr(R_QUEUE_USED, (u32)used_pa);
		wr(R_QUEUE_USED + 4, (u32)(used_pa >> 32));
		wr(R_QUEUE_READY, 1);
	}
	return true;
}

static void vq_push(struct vq *v, u16 id)
{
	v->avail->ring[v->avail_idx % QSIZE] = id;
	__asm__ volatile("" : : : "memory"); /* the entry before the index (x86: TSO) */
	v->avail->idx = ++v->avail_idx;
}

static void notify(int q)
{
	__asm__ volatile("mfence" : : : "memory");
	wr(R_QUEUE_NOTIFY, (u32)q);
}

static void irq_handler(int vector)
{
	wr(R_INTERRUPT_ACK, rd(R_INTERRUPT_STATUS));
	apic_eoi();
}

bool virtio_net_mmio_probe(const char *cmdline,
			   bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	const char *key = "virtio_mmio.device=";
	size_t kl = strlen(key);

	for (const char *p = cmdline; *p;) {
		const char *w;
		u64 addr, size, gsi;
		volatile u8 *r;

		while (*p == ' ')
			p++;
		w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) <= kl || memcmp(w, key, kl) ||
		    !parse_device(w + kl, (size_t)(p - w) - kl, &addr, &size, &gsi))
			continue;
		r = arch_map_mmio(addr, size);
		if (!r || mmio_read32(r + R_MAGIC) != VIRTIO_MAGIC ||
		    mmio_read32(r + R_DEVICE_ID) != DEV_NET)
			continue;
		regs = r;
		base_pa = addr;
		irq = gsi;
		version = mmio_read32(r + R_VERSION);
		if (route && !route((u32)gsi, IRQ_VECTOR, irq_handler))
			kprintf("unik: virtio-net: cannot route IRQ %lu; waits will poll\n", gsi);
		return version == 1 || version == 2;
	}
	return false;
}

int virtio_net_open(u8 mac[6], u32 *mtu)
{
	u32 feat, feat_hi = 0, want;

	if (!regs)
		return -ENODEV;
	wr(R_STATUS, 0);
	wr(R_STATUS, ST_ACK);
	wr(R_STATUS, ST_ACK | ST_DRIVER);
	wr(R_DEVICE_FEATURES_SEL, 0);
	feat = rd(R_DEVICE_FEATURES);
	if (version == 2) {
		wr(R_DEVICE_FEATURES_SEL, 1);
		feat_hi = rd(R_DEVICE_FEATURES);
		if (!(feat_hi & F_VERSION_1_HI))
			goto failed;
	}
	want = feat & F_MAC;
	wr(R_DRIVER_FEATURES_SEL, 0);
	wr(R_DRIVER_FEATURES, want);
	if (version == 2) {
		wr(R_DRIVER_FEATURES_SEL, 1);
		wr(R_DRIVER_FEATURES, F_VERSION_1_HI);
		wr(R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
		if (!(rd(R_STATUS) & ST_FEATURES_OK))
			goto failed;
		hdr_len = 12;
	} else {
		wr(R_GUEST_PAGE_SIZE, PAGE_SIZE);
		hdr_len = 10;
	}
	if (!vq_init(RXQ) || !vq_init(TXQ))
		goto failed;
	for (u16 i = 0; i < QSIZE; i++)
		vq_push(&vqs[RXQ], i);
	if (want & F_MAC) {
		for (int i = 0; i < 6; i++)
			mac[i] = *(volatile u8 *)(regs + R_CONFIG + i);
	} else {
		mac[0] = 0x02; /* locally administered; the device did not say */
		random_fill(mac + 1, 5);
	}
	*mtu = 1500;
	wr(R_STATUS, rd(R_STATUS) | ST_DRIVER_OK);
	notify(RXQ);
	return 0;
failed:
	wr(R_STATUS, ST_FAILED);
	kprintf("unik: virtio-net at 0x%lx: the device refused our setup\n", base_pa);
	regs = NULL;
	return -ENODEV;
}

int virtio_net_send(const void *frame, size_t len)
{
	struct vq *v = &vqs[TXQ];
	u16 id;

	if (len + hdr_len > BUF_SIZE)
		return -EIO;
	v->used_seen = v->used->idx; /* sent frames are done with */
	if ((u16)(v->avail_idx - v->used_seen) >= QSIZE)
		return -EAGAIN;
	id = v->avail_idx % QSIZE;
	memset(v->bufs + (u64)id * BUF_SIZE, 0, hdr_len);
	memcpy(v->bufs + (u64)id * BUF_SIZE + hdr_len, frame, len);
	v->desc[id].len = (u32)(hdr_len + len);
	vq_push(v, id);
	notify(TXQ);
	return 0;
}

long virtio_net_recv(void *buf, size_t size)
{
	struct vq *v = &vqs[RXQ];
	u32 id, len;

	if (!regs || v->used_seen == v->used->idx)
		return 0;
	__asm__ volatile("" : : : "memory");
	id = v->used->ring[v->used_seen % QSIZE].id % QSIZE;
	len = v->used->ring[v->used_seen % QSIZE].len;
	v->used_seen++;
	len = len > hdr_len ? len - hdr_len : 0;
	if (len > size)
		len = 0; /* too large for the caller: dropped */
	memcpy(buf, v->bufs + (u64)id * BUF_SIZE + hdr_len, len);
	vq_push(v, (u16)id);
	notify(RXQ);
	return len;
}
