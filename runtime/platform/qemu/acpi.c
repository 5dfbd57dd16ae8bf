/* acpi.c - the ACPI fixed power button: a graceful stop on QEMU's
 * system_powerdown (-M pc, q35) and VirtualBox's "ACPI shutdown", after
 * the ACPI specification (6.x: RSDP, RSDT/XSDT, FADT, MADT; the PM1 event
 * and control blocks).
 *
 * The RSDP comes from the loader (the PVH start info's rsdp_paddr) or is
 * looked for where the BIOS puts it: the first KiB of the EBDA and
 * [0xe0000, 0x100000), on 16-byte boundaries.  Every table is checked
 * (signature, a length within bounds, checksum) before a field is read:
 * the firmware's tables are device data.  From the FADT: SCI_INT, SMI_CMD
 * and ACPI_ENABLE (to switch the chipset into ACPI mode when SCI_EN is
 * clear), PM1a_EVT_BLK / PM1_EVT_LEN and PM1a_CNT_BLK (I/O ports; the
 * 64-bit X_ forms when the 32-bit ones are 0, in I/O space only).  The SCI
 * goes through the I/O APIC: its GSI and polarity from the MADT's interrupt
 * source override for it, else GSI = SCI_INT, level, active low.  Only
 * PWRBTN_EN is enabled; the SCI handler clears PWRBTN_STS and calls
 * sched_irq_stop(), which the core turns into SIGTERM for the program, as
 * QEMU's NMI (apic.c) and Xen's control/shutdown (platform/xen) do.
 * Without ACPI (microvm,acpi=off) nothing is done.
 *
 * Power-off (acpi_poweroff, the end of every run): sleep state S5, whose
 * SLP_TYP values are the \\_S5 package of the DSDT (found by its name and
 * read as AML data: a Package of byte constants), written with SLP_EN to
 * PM1a_CNT (and PM1b_CNT).  On a VM without isa-debug-exit (VirtualBox, a
 * plain -M pc) this is how the machine ends when the program does.
 */
#include "pcdev.h"
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"
#include "../../core/sched.h"

#define IRQ_VECTOR (IRQ_VECTOR_BASE + 8)
#define TABLE_MAX 0x10000 /* bytes: far more than any RSDT/XSDT/FADT/MADT here */
#define PM1_PWRBTN (1u << 8) /* PWRBTN_STS in the status, PWRBTN_EN in the enable half */
#define PM1_SCI_EN (1u << 0)
#define FADT_PWR_BUTTON (1u << 4) /* a control-method power button: not the fixed one */

#define PM1_SLP_EN (1u << 13)
#define PM1_SLP_TYP_SHIFT 10

static u64 dmap_top;
static u16 pm1a_evt, pm1a_en, pm1a_cnt, pm1b_cnt;
static int s5_typ_a = -1, s5_typ_b;

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 le64(const u8 *p)
{
	return (u64)le32(p) | (u64)le32(p + 4) << 32;
}

/* [pa, pa + len) readable: the direct map below dmap_top (RAM, cached),
 * else an uncached device mapping (firmware memory past the RAM); NULL
 * when it cannot be mapped. */
static const u8 *map(u64 pa, u64 len)
{
	if (!pa || len > DMAP_LIMIT || pa > DMAP_LIMIT - len)
		return NULL;
	if (pa + len <= dmap_top)
		return phys_to_virt(pa);
	return arch_map_mmio(pa, len);
}

static bool sum_ok(const u8 *p, u32 len)
{
	u8 sum = 0;

	for (u32 i = 0; i < len; i++)
		sum = (u8)(sum + p[i]);
	return sum == 0;
}

/* The table at pa if its signature is sig (NULL: any), its length is at
 * least min and its checksum right; *len its length. */
static const u8 *table(u64 pa, const char *sig, u32 min, u32 *len)
{
	const u8 *h = map(pa, 36);

	if (!h || (sig && memcmp(h, sig, 4)))
		return NULL;
	*len = le32(h + 4);
	if (*len < 36 || *len < min || *len > TABLE_MAX || !(h = map(pa, *len)))
		return NULL;
	return sum_ok(h, *len) ? h : NULL;
}

static const u8 *rsdp_at(u64 pa)
{
	const u8 *p = map(pa, 36);

	if (!p || memcmp(p, "RSD PTR ", 8) || !sum_ok(p, 20))
		return NULL;
	if (p[15] >= 2 && (le32(p + 20) < 36 || le32(p + 20) > 64 || !sum_ok(p, 36)))
		return NULL;
	return p;
}

static const u8 *rsdp_find(u64 hint)
{
	const u8 *p;
	u64 ebda;

	if (hint && (p = rsdp_at(hint)))
		return p;
	ebda = (u64) * (const volatile u16 *)phys_to_virt(0x40e) << 4;
	if (ebda >= 0x80000 && ebda < 0xa0000) {
		for (u64 a = ebda; a < ebda + 1024; a += 16)
			if ((p = rsdp_at(a)))
				return p;
	}
	for (u64 a = 0xe0000; a < 0x100000; a += 16)
		if ((p = rsdp_at(a)))
			return p;
	return NULL;
}

/* The table with signature sig among those of the XSDT (8-byte entries)
 * or RSDT (4-byte ones). */
static const u8 *sdt_find(const u8 *rsdp, const char *sig, u32 min, u32 *len)
{
	bool x = rsdp[15] >= 2 && le64(rsdp + 24);
	u32 slen, esize = x ? 8 : 4;
	const u8 *sdt =
	    table(x ? le64(rsdp + 24) : le32(rsdp + 16), x ? "XSDT" : "RSDT", 36, &slen);

	if (!sdt)
		return NULL;
	for (u32 off = 36; off + esize <= slen; off += esize) {
		const u8 *t = table(x ? le64(sdt + off) : le32(sdt + off), sig, min, len);

		if (t)
			return t;
	}
	return NULL;
}

/* The GSI and polarity of ISA interrupt irq: the MADT's interrupt source
 * override for it, else the same number, active low (the SCI's default). */
static u32 sci_gsi(const u8 *rsdp, u8 irq, bool *active_low)
{
	u32 len;
	const u8 *m = sdt_find(rsdp, "APIC", 44, &len);

	*active_low = true;
	if (!m)
		return irq;
	for (u32 off = 44; off + 2 <= len && m[off + 1] >= 2 && off + m[off + 1] <= len;
	     off += m[off + 1]) {
		if (m[off] == 2 && m[off + 1] >= 10 && m[off + 3] == irq) {
			u16 flags = (u16)(m[off + 8] | m[off + 9] << 8);

			*active_low = (flags & 3) != 1; /* 01: active high; 00, 11: low */
			return le32(m + off + 4);
		}
	}
	return irq;
}

static void sci_irq(int vector)
{
	u16 sts = inw(pm1a_evt);

	(void)vector;
	if (sts & PM1_PWRBTN) {
		outw(pm1a_evt, PM1_PWRBTN); /* write 1 to clear */
		sched_irq_stop();
	}
	apic_eoi();
}

/* An I/O port block: the 32-bit field, else the X_ one's address when it
 * is in I/O space (generic address structure, space id 1). */
static u16 io_block(const u8 *fadt, u32 len, u32 off32, u32 offx)
{
	u32 port = le32(fadt + off32);

	if (!port && offx + 12 <= len && fadt[offx] == 1)
		port = (u32)le64(fadt + offx + 4);
	return port && port <= 0xfff0 ? (u16)port : 0;
}

/* One AML data object that is a small integer: ZeroOp, OneOp, BytePrefix
 * n; -1 for anything else. */
static int aml_byte(const u8 *p, const u8 *end, const u8 **next)
{
	if (p >= end)
		return -1;
	if (*p == 0x00 || *p == 0x01) {
		*next = p + 1;
		return *p;
	}
	if (*p == 0x0a && p + 1 < end) {
		*next = p + 2;
		return p[1];
	}
	return -1;
}

/* SLP_TYPa/b of S5 from the DSDT's Name(_S5_, Package(){a, b, ...}). */
static void find_s5(const u8 *fadt, u32 flen)
{
	u64 pa = le32(fadt + 40);
	const u8 *dsdt, *end;
	u32 len;

	if (!pa && flen >= 148)
		pa = le64(fadt + 140);
	if (!pa || !(dsdt = table(pa, "DSDT", 36, &len)))
		return;
	end = dsdt + len;
	for (const u8 *p = dsdt + 36; p + 8 < end; p++) {
		const u8 *q, *next;
		int a, b, pkglen_bytes;

		if (memcmp(p, "_S5_", 4) || !(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))
			continue;
		q = p + 4;
		if (*q++ != 0x12) /* PackageOp */
			continue;
		pkglen_bytes = (*q >> 6) & 3;
		q += 1 + pkglen_bytes; /* PkgLength */
		q++; /* NumElements */
		a = aml_byte(q, end, &next);
		if (a < 0)
			continue;
		b = aml_byte(next, end, &next);
		s5_typ_a = a & 7;
		s5_typ_b = b < 0 ? 0 : b & 7;
		return;
	}
}

void acpi_poweroff(void)
{
	if (!pm1a_cnt || s5_typ_a < 0)
		return;
	outw(pm1a_cnt, (u16)(s5_typ_a << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
	if (pm1b_cnt)
		outw(pm1b_cnt, (u16)(s5_typ_b << PM1_SLP_TYP_SHIFT | PM1_SLP_EN));
}

bool acpi_init(u64 rsdp_pa, u64 mapped_top)
{
	const u8 *rsdp, *fadt;
	u32 len, smi_cmd, gsi;
	u16 cnt, sci;
	u8 evt_len, enable;
	bool low;

	dmap_top = mapped_top;
	if (!(rsdp = rsdp_find(rsdp_pa)) || !(fadt = sdt_find(rsdp, "FACP", 116, &len)))
		return false;
	sci = (u16)(fadt[46] | fadt[47] << 8);
	smi_cmd = le32(fadt + 48);
	enable = fadt[52];
	evt_len = fadt[88];
	pm1a_evt = io_block(fadt, len, 56, 148);
	cnt = io_block(fadt, len, 64, 172);
	if (!pm1a_evt || !cnt || evt_len < 4 || evt_len > 32 || sci > 0xff)
		return false;
	pm1a_cnt = cnt;
	pm1b_cnt = io_block(fadt, len, 68, 184);
	find_s5(fadt, len);
	if (le32(fadt + 112) & FADT_PWR_BUTTON)
		kprintf("unikernel: acpi: the firmware says the power button is a control-method "
			"device; using the fixed one's event anyway\n");
	pm1a_en = (u16)(pm1a_evt + evt_len / 2);
	if (!(inw(cnt) & PM1_SCI_EN) && smi_cmd && smi_cmd <= 0xffff && enable) {
		outb((u16)smi_cmd, enable); /* to ACPI mode (before the clock runs: counted) */
		for (int i = 0; i < 1000000 && !(inw(cnt) & PM1_SCI_EN); i++)
			cpu_relax();
	}
	if (!(inw(cnt) & PM1_SCI_EN)) {
		kprintf("unikernel: acpi: the chipset does not enter ACPI mode\n");
		return false;
	}
	outw(pm1a_en, 0);
	outw(pm1a_evt, 0xffff); /* clears every status bit */
	gsi = sci_gsi(rsdp, (u8)sci, &low);
	if (!apic_route_irq_pol(gsi, IRQ_VECTOR, sci_irq, low)) {
		kprintf("unikernel: acpi: cannot route the SCI; the power button is not used\n");
		return false;
	}
	outw(pm1a_en, PM1_PWRBTN);
	return true;
}
