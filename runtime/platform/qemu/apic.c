/* apic.c - interrupts on the QEMU platform: the local APIC (its one-shot
 * timer wakes a halted CPU) and the I/O APICs (device interrupts to the
 * CPU).  With them qemu_wait_until() halts instead of spinning, so an idle
 * guest costs its host nothing.  Without a local APIC (CPUID says none) it
 * falls back to the pause loop.
 *
 * The timer is calibrated against the TSC once, at the first long wait.
 * I/O APICs: 0xfec00000 for GSI 0-23 and, on microvm with its second one
 * (ioapic2), 0xfec10000 for GSI 24-47.
 */
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1UL << 11)
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define TIMER_DIV_16 0x3
#define IOAPIC_BASE 0xfec00000UL
#define IOAPIC2_BASE 0xfec10000UL
#define IOAPIC_PINS 24
#define VEC_TIMER IRQ_VECTOR_BASE
#define VEC_SPURIOUS (IDT_VECTORS - 1)
#define CALIBRATE_NS 2000000UL
#define MIN_SLEEP_NS 20000UL

static volatile u8 *lapic;
static bool apic_tried;
static u64 timer_hz; /* timer ticks per second at divide 16 */

static u32 lapic_read(u32 reg)
{
	return mmio_read32(lapic + reg);
}

static void lapic_write(u32 reg, u32 v)
{
	mmio_write32(lapic + reg, v);
}

void apic_eoi(void)
{
	if (lapic)
		lapic_write(LAPIC_EOI, 0);
}

static void timer_irq(int vector)
{
	apic_eoi();
}

static void spurious_irq(int vector)
{
	/* no EOI for the spurious vector */
}

static bool lapic_init(void)
{
	u32 a, b, c, d;
	u64 base, t0, start;

	apic_tried = true;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		return false;
	base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic = arch_map_mmio(base & 0xfffff000UL, PAGE_SIZE);
	if (!lapic)
		return false;
	arch_set_irq_handler(VEC_TIMER, timer_irq);
	arch_set_irq_handler(VEC_SPURIOUS, spurious_irq);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	/* QEMU wires the 8259 to LINT0 as ExtINT; its IRQs (the PIT's, a PCI
	 * line shared with the I/O APIC on pc) would arrive as exceptions. */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	/* Count down from the top for a while, measured with the TSC. */
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	start = qemu_monotonic_ns();
	do
		t0 = qemu_monotonic_ns();
	while (t0 - start < CALIBRATE_NS);
	timer_hz = (u64)(0xffffffffu - lapic_read(LAPIC_TIMER_CUR)) * 1000000000UL / (t0 - start);
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
	if (!timer_hz) {
		lapic = NULL;
		return false;
	}
	return true;
}

bool apic_route_irq(u32 gsi, int vector, void (*fn)(int vector))
{
	volatile u8 *io;
	u32 pin;

	if (!apic_tried)
		lapic_init();
	if (!lapic || gsi >= 2 * IOAPIC_PINS)
		return false;
	io = arch_map_mmio(gsi < IOAPIC_PINS ? IOAPIC_BASE : IOAPIC2_BASE, PAGE_SIZE);
	pin = gsi % IOAPIC_PINS;
	if (!io || mmio_read32(io + 0x10) == 0xffffffffu)
		return false;
	arch_set_irq_handler(vector, fn);
	/* Level-triggered, active high, fixed delivery to APIC 0, unmasked. */
	mmio_write32(io, 0x11 + 2 * pin);
	mmio_write32(io + 0x10, 0);
	mmio_write32(io, 0x10 + 2 * pin);
	mmio_write32(io + 0x10, (1u << 15) | (u32)vector);
	return true;
}

void qemu_wait_until(u64 deadline_ns)
{
	u64 now = qemu_monotonic_ns(), ticks;

	if (now >= deadline_ns)
		return;
	if (!apic_tried && deadline_ns - now > CALIBRATE_NS)
		lapic_init();
	if (!lapic || deadline_ns - now < MIN_SLEEP_NS) {
		while (qemu_monotonic_ns() < deadline_ns)
			cpu_relax();
		return;
	}
	/* At most 10 s at once (callers loop): no overflow below 1.8 GHz. */
	ticks = MIN(deadline_ns - now, 10000000000UL) * timer_hz / 1000000000UL;
	lapic_write(LAPIC_TIMER_INIT, (u32)MAX(MIN(ticks, 0xffffffffUL), 1UL));
	cpu_idle(); /* the timer, or a device, wakes us */
	lapic_write(LAPIC_TIMER_INIT, 0);
}
