/* virtio_net_mmio.c - a virtio-net driver over the virtio-mmio transport
 * (QEMU microvm), legacy (version 1, QEMU's default) and modern (version 2).
 *
 * Found through the kernel command line: QEMU appends one word
 * `virtio_mmio.device=SIZE@ADDR:IRQ` per virtio-mmio device to a -kernel
 * boot.  We take the first that is a network device.  No offloads are
 * negotiated (only the MAC, and VERSION_1 on a modern device).  The queues
 * and frames are virtio_net_queue.c's.  The device's interrupt only wakes
 * the halted CPU (the handler acknowledges it); frames are taken by
 * polling the used ring.  The handler acknowledges both causes (used
 * buffers and configuration change) without reading the status register
 * first: no feature that reports through the configuration is negotiated,
 * and frames that arrive after the acknowledgement raise the line again,
 * so one register access (an exit to QEMU) per interrupt is saved.
 */
#include "virtio.h"
#include "../../core/sched.h"
#include "virtio_net.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/random.h"

#define F_MAC (1u << 5)
#define DEV_NET 1
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 1)
#define INT_ALL 3 /* used buffer notification | configuration change */

static volatile u8 *regs;
static u32 version;
static u64 base_pa;

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

bool virtio_mmio_parse_device(const char *w, size_t len, u64 *addr, u64 *size, u64 *gsi)
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

/* Sets up queue q and tells the device; false on failure. */
static bool vq_init(int q)
{
	struct vq *v;

	wr(R_QUEUE_SEL, (u32)q);
	if (rd(R_QUEUE_NUM_MAX) < VQ_SIZE || !(v = vnet_queue_alloc(q, VQ_SIZE)))
		return false;
	wr(R_QUEUE_NUM, VQ_SIZE);
	if (version == 1) {
		wr(R_QUEUE_ALIGN, PAGE_SIZE);
		wr(R_QUEUE_PFN, (u32)(v->desc_pa / PAGE_SIZE));
	} else {
		wr(R_QUEUE_DESC, (u32)v->desc_pa);
		wr(R_QUEUE_DESC + 4, (u32)(v->desc_pa >> 32));
		wr(R_QUEUE_AVAIL, (u32)v->avail_pa);
		wr(R_QUEUE_AVAIL + 4, (u32)(v->avail_pa >> 32));
		wr(R_QUEUE_USED, (u32)v->used_pa);
		wr(R_QUEUE_USED + 4, (u32)(v->used_pa >> 32));
		wr(R_QUEUE_READY, 1);
	}
	return true;
}

static void notify(int q)
{
	wr(R_QUEUE_NOTIFY, (u32)q);
}

static void irq_handler(int vector)
{
	wr(R_INTERRUPT_ACK, INT_ALL);
	apic_eoi();
	sched_irq_net();
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
		    !virtio_mmio_parse_device(w + kl, (size_t)(p - w) - kl, &addr, &size, &gsi))
			continue;
		r = arch_map_mmio(addr, size);
		if (!r || mmio_read32(r + R_MAGIC) != VIRTIO_MAGIC ||
		    mmio_read32(r + R_DEVICE_ID) != DEV_NET)
			continue;
		regs = r;
		base_pa = addr;
		version = mmio_read32(r + R_VERSION);
		if (route && !route((u32)gsi, IRQ_VECTOR, irq_handler))
			kprintf("unikernel: virtio-net: cannot route IRQ %lu; waits will poll\n",
				gsi);
		return version == 1 || version == 2;
	}
	return false;
}

int virtio_net_mmio_open(u8 mac[6], u32 *mtu)
{
	u32 feat, feat_hi = 0, want, hdr_len;

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
	if (!vq_init(VNET_RXQ) || !vq_init(VNET_TXQ))
		goto failed;
	vnet_queues_start(hdr_len, notify);
	if (want & F_MAC) {
		for (int i = 0; i < 6; i++)
			mac[i] = *(volatile u8 *)(regs + R_CONFIG + i);
	} else {
		mac[0] = 0x02; /* locally administered; the device did not say */
		random_fill(mac + 1, 5);
	}
	*mtu = 1500;
	wr(R_STATUS, rd(R_STATUS) | ST_DRIVER_OK);
	notify(VNET_RXQ);
	return 0;
failed:
	wr(R_STATUS, ST_FAILED);
	kprintf("unikernel: virtio-net at 0x%lx: the device refused our setup\n", base_pa);
	regs = NULL;
	return -ENODEV;
}
