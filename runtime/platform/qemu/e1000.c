/* e1000.c - the Intel PRO/1000 network adapter (8254x family: 82540EM,
 * VirtualBox's and QEMU's default "e1000"; 82545EM; 82543GC; and the
 * 82574L, QEMU's "e1000e"), after Intel's 8254x and 82574 manuals.
 *
 * The registers are the memory BAR 0.  After a software reset the MAC
 * address is what the hardware loaded from its EEPROM into receive address
 * 0 (RAL0/RAH0); when that entry is not valid it is read from the EEPROM
 * (EERD, whose layout differs on the 82574L).  One receive and one
 * transmit ring of legacy descriptors, RING entries each, every entry with
 * its own 2 KiB buffer: received frames are copied out and the descriptor
 * handed back (RDT); frames to send are copied into the next free buffer
 * (TDT) and their descriptors reclaimed once the adapter reports them done
 * (DD).  No offloads, CRC stripped by the adapter (SECRC).  Interrupts:
 * receive timer, overrun, ring low and link change, on the INTx line routed
 * through the I/O APIC; the handler reads ICR (which lowers the line) and
 * wakes waits (sched_irq_net); frames are taken by polling the ring, as
 * with virtio-net, so an idle guest halts.
 *
 * Everything the adapter writes (descriptor lengths, status) is checked
 * before use: a length past the buffer or a frame split over several
 * descriptors (none of ours is smaller than a frame) is dropped.
 */
#include "pcdev.h"
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/errno.h"
#include "../../core/mm.h"
#include "../../core/random.h"
#include "../../core/sched.h"
#include "../platform.h"
#include "pci.h"

#define INTEL_VENDOR 0x8086
#define IRQ_VECTOR (IRQ_VECTOR_BASE + 6)
#define BAR_SIZE 0x20000
#define RING 128
#define BUF_SIZE 2048

/* registers */
#define CTRL 0x0000
#define STATUS 0x0008
#define EERD 0x0014
#define ICR 0x00c0
#define IMS 0x00d0
#define IMC 0x00d8
#define RCTL 0x0100
#define TCTL 0x0400
#define TIPG 0x0410
#define RDBAL 0x2800
#define RDBAH 0x2804
#define RDLEN 0x2808
#define RDH 0x2810
#define RDT 0x2818
#define RDTR 0x2820
#define TDBAL 0x3800
#define TDBAH 0x3804
#define TDLEN 0x3808
#define TDH 0x3810
#define TDT 0x3818
#define MTA 0x5200
#define RAL0 0x5400
#define RAH0 0x5404
/* bits */
#define CTRL_ASDE (1u << 5)
#define CTRL_SLU (1u << 6)
#define CTRL_RST (1u << 26)
#define CTRL_PHY_RST (1u << 31)
#define STATUS_LU (1u << 1)
#define RAH_AV (1u << 31)
#define RCTL_EN (1u << 1)
#define RCTL_BAM (1u << 15)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3)
#define TCTL_CT (0x10u << 4)
#define TCTL_COLD (0x40u << 12)
#define INT_LSC (1u << 2)
#define INT_RXDMT0 (1u << 4)
#define INT_RXO (1u << 6)
#define INT_RXT0 (1u << 7)
#define TX_EOP 0x01
#define TX_IFCS 0x02
#define TX_RS 0x08
#define DESC_DD 0x01
#define DESC_EOP 0x02

struct rx_desc {
	u64 addr;
	u16 length, csum;
	u8 status, errors;
	u16 special;
};

struct tx_desc {
	u64 addr;
	u16 length;
	u8 cso, cmd, status, css;
	u16 special;
};

static struct pci_fn dev;
static u16 dev_id;
static volatile u8 *regs;
static bool opened;
static volatile struct rx_desc *rx;
static volatile struct tx_desc *tx;
static u8 *rx_bufs, *tx_bufs;
static u64 ring_pa, rx_bufs_pa, tx_bufs_pa;
static u32 rx_next, tx_tail, tx_clean;
static bool rx_discard; /* inside a frame split over descriptors */

static u32 rd(u32 reg)
{
	return mmio_read32(regs + reg);
}

static void wr(u32 reg, u32 v)
{
	mmio_write32(regs + reg, v);
}

static bool is_e1000(struct pci_fn f, u16 vendor, u16 device)
{
	(void)f;
	return vendor == INTEL_VENDOR &&
	       (device == 0x100e /* 82540EM */ || device == 0x100f /* 82545EM copper */ ||
		device == 0x1004 /* 82543GC copper */ || device == 0x10d3 /* 82574L */);
}

static void irq_handler(int vector)
{
	(void)vector;
	if (regs)
		wr(ICR, rd(ICR)); /* read (and write-1) clears: the line drops */
	apic_eoi();
	sched_irq_net();
}

bool e1000_probe(bool (*route)(u32 gsi, int vector, void (*fn)(int vector)))
{
	u64 base;
	int gsi;

	if (!pci_find(is_e1000, &dev))
		return false;
	dev_id = pci_read16(dev, PCI_DEVICE_ID);
	if (!(base = pci_bar_address(dev, 0)) || !(regs = arch_map_mmio(base, BAR_SIZE))) {
		kprintf("unikernel: e1000 at PCI 00:%02x.%x: its register BAR is unusable\n",
			dev.dev, dev.fn);
		regs = NULL;
		return false;
	}
	pci_write16(dev, PCI_COMMAND,
		    (pci_read16(dev, PCI_COMMAND) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) &
			(u16)~PCI_COMMAND_INTX_DISABLE);
	wr(IMC, 0xffffffffu);
	gsi = pci_intx_gsi(dev);
	if (route && (gsi < 0 || !route((u32)gsi, IRQ_VECTOR, irq_handler)))
		kprintf("unikernel: e1000: cannot route its PCI interrupt; waits will poll\n");
	return true;
}

/* Spins until (rd(reg) & mask) == want, at most `ms` milliseconds. */
static bool wait_reg(u32 reg, u32 mask, u32 want, u64 ms)
{
	u64 end = plat_monotonic_ns() + ms * 1000000UL;

	while ((rd(reg) & mask) != want) {
		if (plat_monotonic_ns() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* EEPROM word `addr` through EERD; false when the read does not finish. */
static bool eeprom_read(u8 addr, u16 *out)
{
	bool e574 = dev_id == 0x10d3; /* 82574L: address at bit 2, done at bit 1 */
	u32 done = e574 ? 1u << 1 : 1u << 4;

	wr(EERD, 1u | (u32)addr << (e574 ? 2 : 8));
	if (!wait_reg(EERD, done, done, 10))
		return false;
	*out = (u16)(rd(EERD) >> 16);
	return true;
}

static void read_mac(u8 mac[6])
{
	u32 lo = rd(RAL0), hi = rd(RAH0);
	u16 w;

	if (hi & RAH_AV && (lo || (hi & 0xffff))) {
		for (int i = 0; i < 4; i++)
			mac[i] = (u8)(lo >> (8 * i));
		mac[4] = (u8)hi;
		mac[5] = (u8)(hi >> 8);
		return;
	}
	for (u8 i = 0; i < 3; i++) {
		if (!eeprom_read(i, &w)) {
			mac[0] = 0x02; /* locally administered: the adapter did not say */
			random_fill(mac + 1, 5);
			return;
		}
		mac[2 * i] = (u8)w;
		mac[2 * i + 1] = (u8)(w >> 8);
	}
}

/* The rings (one page of descriptors) and their buffers, once. */
static bool rings_alloc(void)
{
	if (!ring_pa) {
		ring_pa = frames_alloc_contig(1);
		rx_bufs_pa = frames_alloc_contig(RING * BUF_SIZE / PAGE_SIZE);
		tx_bufs_pa = frames_alloc_contig(RING * BUF_SIZE / PAGE_SIZE);
		if (!ring_pa || !rx_bufs_pa || !tx_bufs_pa) {
			ring_pa = 0;
			return false;
		}
	}
	rx = phys_to_virt(ring_pa);
	tx = (volatile struct tx_desc *)((u8 *)phys_to_virt(ring_pa) + RING * sizeof(*rx));
	rx_bufs = phys_to_virt(rx_bufs_pa);
	tx_bufs = phys_to_virt(tx_bufs_pa);
	memset(phys_to_virt(ring_pa), 0, PAGE_SIZE);
	for (u32 i = 0; i < RING; i++) {
		rx[i].addr = rx_bufs_pa + (u64)i * BUF_SIZE;
		tx[i].addr = tx_bufs_pa + (u64)i * BUF_SIZE;
	}
	rx_next = tx_tail = tx_clean = 0;
	rx_discard = false;
	return true;
}

int e1000_open(u8 mac[6], u32 *mtu)
{
	u64 tx_pa = ring_pa;

	if (!regs)
		return -ENODEV;
	wr(IMC, 0xffffffffu);
	wr(RCTL, 0);
	wr(TCTL, 0);
	wr(CTRL, rd(CTRL) | CTRL_RST);
	/* The reset clears itself within ~1 us; registers read back after it. */
	if (!wait_reg(CTRL, CTRL_RST, 0, 100)) {
		kprintf("unikernel: e1000: the adapter did not come out of reset\n");
		return -ENODEV;
	}
	wr(IMC, 0xffffffffu);
	(void)rd(ICR);
	if (!rings_alloc())
		return -ENODEV;
	tx_pa = ring_pa + RING * sizeof(struct rx_desc);
	read_mac(mac);
	wr(RAL0, (u32)mac[0] | (u32)mac[1] << 8 | (u32)mac[2] << 16 | (u32)mac[3] << 24);
	wr(RAH0, (u32)mac[4] | (u32)mac[5] << 8 | RAH_AV);
	for (u32 i = 0; i < 128; i++)
		wr(MTA + 4 * i, 0);
	wr(CTRL, (rd(CTRL) | CTRL_SLU | CTRL_ASDE) & ~(CTRL_PHY_RST | CTRL_RST));
	/* receive */
	wr(RDBAL, (u32)ring_pa);
	wr(RDBAH, (u32)(ring_pa >> 32));
	wr(RDLEN, RING * sizeof(struct rx_desc));
	wr(RDH, 0);
	wr(RDT, RING - 1); /* every buffer but one is the adapter's */
	wr(RDTR, 0);
	wr(RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC); /* BSIZE 00: 2048 bytes */
	/* transmit */
	wr(TDBAL, (u32)tx_pa);
	wr(TDBAH, (u32)(tx_pa >> 32));
	wr(TDLEN, RING * sizeof(struct tx_desc));
	wr(TDH, 0);
	wr(TDT, 0);
	wr(TIPG, 10u | 8u << 10 | 6u << 20);
	wr(TCTL, TCTL_EN | TCTL_PSP | TCTL_CT | TCTL_COLD);
	wr(IMS, INT_RXT0 | INT_RXO | INT_RXDMT0 | INT_LSC);
	if (!wait_reg(STATUS, STATUS_LU, STATUS_LU, 100))
		kprintf("unikernel: e1000: the link is not up yet\n");
	*mtu = 1500;
	opened = true;
	return 0;
}

int e1000_send(const void *frame, size_t len)
{
	u32 id;

	if (!opened)
		return -ENODEV;
	if (len > BUF_SIZE || len < 14)
		return -EIO;
	while (tx_clean != tx_tail && tx[tx_clean].status & DESC_DD)
		tx_clean = (tx_clean + 1) % RING;
	if ((tx_tail + 1) % RING == tx_clean)
		return -EAGAIN;
	id = tx_tail;
	memcpy(tx_bufs + (u64)id * BUF_SIZE, frame, len);
	tx[id].length = (u16)len;
	tx[id].cso = tx[id].css = 0;
	tx[id].special = 0;
	tx[id].status = 0;
	tx[id].cmd = TX_EOP | TX_IFCS | TX_RS;
	__asm__ volatile("" : : : "memory"); /* the descriptor before the tail (x86: TSO) */
	tx_tail = (tx_tail + 1) % RING;
	wr(TDT, tx_tail);
	return 0;
}

long e1000_recv(void *buf, size_t size)
{
	for (int n = 0; opened && n < RING; n++) {
		volatile struct rx_desc *d = &rx[rx_next];
		u8 status = d->status;
		u32 len;
		bool ok;

		if (!(status & DESC_DD))
			return 0;
		__asm__ volatile("" : : : "memory"); /* the status before the rest */
		len = d->length;
		ok = !rx_discard && status & DESC_EOP && !d->errors && len >= 14 &&
		     len <= BUF_SIZE && len <= size;
		rx_discard = !(status & DESC_EOP); /* a split frame's pieces are dropped */
		if (ok)
			memcpy(buf, rx_bufs + (u64)rx_next * BUF_SIZE, len);
		d->status = 0;
		d->errors = 0;
		__asm__ volatile("" : : : "memory");
		wr(RDT, rx_next); /* the buffer is the adapter's again */
		rx_next = (rx_next + 1) % RING;
		if (ok)
			return len;
	}
	return 0;
}
