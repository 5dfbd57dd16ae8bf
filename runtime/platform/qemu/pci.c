/* pci.c - PCI configuration space through the ports 0xcf8/0xcfc (machines
 * pc and q35), memory BARs and INTx routing (PIIX3, ICH9); see pci.h.
 *
 * Firmware may leave BARs unassigned or put 64-bit ones above 4 GiB, where
 * the runtime maps nothing: such a BAR gets an address in [0xe0000000,
 * 0xfe000000), which pc never gives to RAM (its low RAM ends at 0xe0000000
 * at most), away from every BAR already assigned on bus 0.
 */
#include "pci.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define PCI_BAR0 0x10
#define BAR_IO 1u
#define BAR_TYPE_MASK 6u
#define BAR_TYPE_64 4u
#define WINDOW_START 0xe0000000UL
#define WINDOW_END 0xfe000000UL
#define PIIX3_VENDOR 0x8086
#define PIIX3_DEVICE 0x7000
#define PIIX3_PIRQ_ROUTE 0x60
#define PIRQ_DISABLED 0x80
#define ICH9_LPC_DEVICE 0x2918
#define ICH9_RCBA 0xf0

static void select_reg(struct pci_fn f, u8 off)
{
	outl(CONFIG_ADDRESS,
	     0x80000000u | (u32)f.bus << 16 | (u32)f.dev << 11 | (u32)f.fn << 8 | (off & 0xfcu));
}

u32 pci_read32(struct pci_fn f, u8 off)
{
	select_reg(f, off);
	return inl(CONFIG_DATA);
}

u16 pci_read16(struct pci_fn f, u8 off)
{
	select_reg(f, off);
	return inw((u16)(CONFIG_DATA + (off & 2)));
}

u8 pci_read8(struct pci_fn f, u8 off)
{
	select_reg(f, off);
	return inb((u16)(CONFIG_DATA + (off & 3)));
}

void pci_write32(struct pci_fn f, u8 off, u32 v)
{
	select_reg(f, off);
	outl(CONFIG_DATA, v);
}

void pci_write16(struct pci_fn f, u8 off, u16 v)
{
	select_reg(f, off);
	outw((u16)(CONFIG_DATA + (off & 2)), v);
}

bool pci_find(bool (*match)(struct pci_fn f, u16 vendor, u16 device), struct pci_fn *out)
{
	for (u8 dev = 0; dev < 32; dev++) {
		u8 nfn = 1;

		for (u8 fn = 0; fn < nfn; fn++) {
			struct pci_fn f = { 0, dev, fn };
			u32 id = pci_read32(f, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
				continue;
			if (fn == 0 && (pci_read8(f, PCI_HEADER_TYPE) & 0x80))
				nfn = 8;
			if (match(f, (u16)id, (u16)(id >> 16))) {
				*out = f;
				return true;
			}
		}
	}
	return false;
}

/* Address and size of memory BAR `bar` of f as programmed now (size 0:
 * not a memory BAR); *is64 when it takes two registers. */
static u64 bar_probe(struct pci_fn f, int bar, u64 *size, bool *is64)
{
	u8 off = (u8)(PCI_BAR0 + 4 * bar);
	u32 lo = pci_read32(f, off), hi = 0, mlo, mhi = 0xffffffffu;
	u16 cmd = pci_read16(f, PCI_COMMAND);

	*size = 0;
	*is64 = (lo & BAR_TYPE_MASK) == BAR_TYPE_64;
	if (lo & BAR_IO || (*is64 && bar == 5))
		return 0;
	pci_write16(f, PCI_COMMAND, cmd & (u16)~PCI_COMMAND_MEMORY); /* no decoding while sized */
	pci_write32(f, off, 0xffffffffu);
	mlo = pci_read32(f, off) & ~0xfu;
	pci_write32(f, off, lo);
	if (*is64) {
		hi = pci_read32(f, (u8)(off + 4));
		pci_write32(f, (u8)(off + 4), 0xffffffffu);
		mhi = pci_read32(f, (u8)(off + 4));
		pci_write32(f, (u8)(off + 4), hi);
	}
	pci_write16(f, PCI_COMMAND, cmd);
	if (mlo || mhi != 0xffffffffu)
		*size = ~((u64)mhi << 32 | mlo) + 1;
	return ((u64)hi << 32 | lo) & ~0xfUL;
}

static bool overlap_fn(struct pci_fn f, u64 base, u64 size)
{
	for (int bar = 0; bar < 6; bar++) {
		u64 sz, a = 0;
		bool is64 = false;

		if (!(pci_read32(f, (u8)(PCI_BAR0 + 4 * bar)) & BAR_IO))
			a = bar_probe(f, bar, &sz, &is64);
		if (a && sz && a < base + size && base < a + sz)
			return true;
		if (is64)
			bar++;
	}
	return false;
}

/* True when [base, base + size) meets a memory BAR assigned on bus 0. */
static bool overlaps_any(u64 base, u64 size)
{
	for (u8 dev = 0; dev < 32; dev++) {
		for (u8 fn = 0; fn < 8; fn++) {
			struct pci_fn f = { 0, dev, fn };
			u16 vendor = pci_read16(f, PCI_VENDOR_ID);

			if (vendor == 0xffff || vendor == 0) {
				if (fn == 0)
					break;
				continue;
			}
			if ((pci_read8(f, PCI_HEADER_TYPE) & 0x7f) == 0 &&
			    overlap_fn(f, base, size))
				return true;
			if (fn == 0 && !(pci_read8(f, PCI_HEADER_TYPE) & 0x80))
				break;
		}
	}
	return false;
}

u64 pci_bar_address(struct pci_fn f, int bar)
{
	u8 off = (u8)(PCI_BAR0 + 4 * bar);
	u64 size, addr;
	bool is64;

	addr = bar_probe(f, bar, &size, &is64);
	if (!size)
		return 0;
	if (!addr || addr + size > DMAP_LIMIT) {
		u64 a = ALIGN_UP(WINDOW_START, size);

		while (a + size <= WINDOW_END && overlaps_any(a, size))
			a += size;
		if (a + size > WINDOW_END)
			return 0;
		pci_write16(f, PCI_COMMAND, pci_read16(f, PCI_COMMAND) & (u16)~PCI_COMMAND_MEMORY);
		pci_write32(f, off, (u32)a | (pci_read32(f, off) & 0xfu));
		if (is64)
			pci_write32(f, (u8)(off + 4), 0);
		addr = a;
	}
	pci_write16(f, PCI_COMMAND, pci_read16(f, PCI_COMMAND) | PCI_COMMAND_MEMORY);
	return addr;
}

u64 pci_bar_size(struct pci_fn f, int bar)
{
	u64 size;
	bool is64;

	bar_probe(f, bar, &size, &is64);
	return size;
}

static bool is_piix3(struct pci_fn f, u16 vendor, u16 device)
{
	return vendor == PIIX3_VENDOR && device == PIIX3_DEVICE;
}

static bool is_ich9_lpc(struct pci_fn f, u16 vendor, u16 device)
{
	return vendor == PIIX3_VENDOR && device == ICH9_LPC_DEVICE && f.dev == 31 && f.fn == 0;
}

/* q35 / ICH9 in APIC mode: PIRQ A-H are GSI 16-23.  Which PIRQ a pin of
 * slot s drives: for the chipset's own slots 25-31 (not 30), the device's
 * interrupt route register DxxIR in the chipset configuration space
 * (RCBA); elsewhere on bus 0 QEMU's fixed swizzle, PIRQ E-H.  -1 when the
 * RCBA is not enabled. */
static int ich9_gsi(struct pci_fn lpc, struct pci_fn f, u8 pin)
{
	static const u16 dir[7] = { 0x3150, 0x314c, 0x3148, 0x3146, 0x3144, 0, 0x3140 };
	u32 rcba;
	volatile u8 *cc;

	if (f.dev == 30) /* the DMI-to-PCI bridge: PIRQ E-H in pin order */
		return 16 + 4 + pin - 1;
	if (f.dev < 25)
		return 16 + (f.dev + pin - 1) % 4 + 4;
	rcba = pci_read32(lpc, ICH9_RCBA);
	if (!(rcba & 1u) || !(cc = arch_map_mmio(rcba & ~0x3fffu, 0x4000)))
		return -1;
	return 16 + ((*(volatile u16 *)(cc + dir[f.dev - 25]) >> (4 * (pin - 1))) & 7);
}

int pci_intx_gsi(struct pci_fn f)
{
	static const u8 default_irq[4] = { 10, 10, 11, 11 }; /* as SeaBIOS routes them */
	struct pci_fn router;
	u8 pin = pci_read8(f, PCI_INTERRUPT_PIN), pirq, route;
	u32 routes;

	if (pin < 1 || pin > 4 || f.bus != 0)
		return -1;
	if (!pci_find(is_piix3, &router))
		return pci_find(is_ich9_lpc, &router) ? ich9_gsi(router, f, pin) : -1;
	/* i440fx swizzle (QEMU's piix): PIRQ = (pin - 1 + slot - 1) mod 4 */
	pirq = (u8)((pin - 1 + f.dev + 3) & 3);
	routes = pci_read32(router, PIIX3_PIRQ_ROUTE);
	route = (u8)(routes >> (8 * pirq));
	if (route & PIRQ_DISABLED || (route & 0xf) < 3) {
		route = default_irq[pirq];
		routes = (routes & ~(0xffu << (8 * pirq))) | (u32)route << (8 * pirq);
		pci_write32(router, PIIX3_PIRQ_ROUTE, routes);
	}
	return route & 0xf;
}
