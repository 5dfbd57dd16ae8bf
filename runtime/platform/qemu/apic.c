/* apic.c - interrupts on the QEMU platform: the local APIC (its one-shot
 * timer wakes a halted CPU and preempts threads), the I/O APICs (device
 * interrupts to the CPU) and NMIs (the host's stop request).  With them
 * qemu_wait_until() halts instead of spinning, so an idle guest costs its
 * host nothing.  Without a local APIC (CPUID says none) it falls back to
 * the pause loop and threads are not preempted.
 *
 * The local APIC is enabled at boot; its timer is calibrated against the
 * TSC once, at the first long wait or timer use.  I/O APICs: 0xfec00000 for
 * GSI 0-23 and, on microvm with its second one (ioapic2), 0xfec10000 for
 * GSI 24-47.
 *
 * Stopping: providers/qemu asks QEMU for an NMI (QMP inject-nmi), the one
 * event QMP can inject into any machine without ACPI.  The NMI handler only
 * records it (sched_irq_stop) and sends the CPU a self-IPI, an ordinary
 * interrupt that wakes a halted CPU or preempts the program as soon as
 * interrupts are on, where the core turns the request into SIGTERM.
 */
#include "qemu.h"
#include "../../arch/x86_64/arch.h"
#include "../../core/mm.h"
#include "../../core/sched.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_ENABLE (1UL << 11)
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_ICR_LOW 0x300
#define ICR_SELF (1u << 18)
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LVT_NMI (4u << 8) /* delivery mode NMI */
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define LVT_MASKED (1u << 16)
#define TIMER_DIV_16 0x3
#define IOAPIC_BASE 0xfec00000UL
#define IOAPIC2_BASE 0xfec10000UL
#define IOAPIC_PINS 24
#define VEC_TIMER IRQ_VECTOR_BASE
#define VEC_KICK (IRQ_VECTOR_BASE + 3) /* 33, 34: the virtio-net devices */
#define VEC_SPURIOUS (IDT_VECTORS - 1)
#define CALIBRATE_NS 2000000UL
#define MIN_SLEEP_NS 20000UL

static volatile u8 *lapic;
static bool apic_tried, calibrated;
static u64 timer_hz; /* timer ticks per second at divide 16 */
/* The deadline the one-shot timer counts down to, 0 when it is not armed
 * (it fired, or was stopped): a wait for a later time leaves it as it is
 * (waking early is allowed; the caller loops), which saves the register
 * write (an exit to QEMU) that a wait per request would otherwise cost. */
static volatile u64 timer_deadline;

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
	timer_deadline = 0;
	apic_eoi();
	sched_irq_timer();
}

static void kick_irq(int vector)
{
	apic_eoi();
}

/* NMI context: a flag and an IPI, nothing that could race the code it
 * interrupted (an ICR write is one store). */
static void stop_nmi(void)
{
	sched_irq_stop();
	if (lapic)
		lapic_write(LAPIC_ICR_LOW, ICR_SELF | VEC_KICK);
}

static void spurious_irq(int vector)
{
	/* no EOI for the spurious vector */
}

static bool lapic_enable(void)
{
	u32 a, b, c, d;
	u64 base;

	apic_tried = true;
	/* Mask every line of both 8259s (their data ports), which the BIOS
	 * left routed to vectors 8-15: a line a BIOS driver or a boot loader
	 * left raised (the AHCI controller's after GRUB or SeaBIOS read the
	 * disk through it) would otherwise arrive as an exception, pending
	 * from before LINT0 is masked below. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & (1u << 9)))
		return false;
	base = rdmsr(MSR_APIC_BASE);
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
	lapic = arch_map_mmio(base & 0xfffff000UL, PAGE_SIZE);
	if (!lapic)
		return false;
	arch_set_irq_handler(VEC_TIMER, timer_irq);
	arch_set_irq_handler(VEC_KICK, kick_irq);
	arch_set_irq_handler(VEC_SPURIOUS, spurious_irq);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	/* QEMU wires the 8259 to LINT0 as ExtINT; its IRQs (the PIT's, a PCI
	 * line shared with the I/O APIC on pc) would arrive as exceptions. */
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	/* QEMU's inject-nmi arrives on LINT1, as on real boards */
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	return true;
}

/* Counts the timer down from the top for a while, measured with the TSC. */
static bool lapic_calibrate(void)
{
	u64 t0, start;

	calibrated = true;
	if (!lapic)
		return false;
	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_16);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffffu);
	start = qemu_monotonic_ns();
	do
		t0 = qemu_monotonic_ns();
	while (t0 - start < CALIBRATE_NS);
	timer_hz = (u64)(0xffffffffu - lapic_read(LAPIC_TIMER_CUR)) * 1000000000UL / (t0 - start);
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER); /* one-shot, unmasked */
	return timer_hz != 0;
}

void apic_init(void)
{
	lapic_enable();
	arch_set_nmi_handler(stop_nmi);
}

/* GSIs with more than one device (PCI INTx lines are shared): the first
 * route's vector serves them all, calling each device's handler. */
#define SHARED_MAX 8
static struct {
	u32 gsi;
	int vector, n;
	void (*fns[4])(int vector);
} routes[SHARED_MAX];
static int nroutes;

static void shared_irq(int vector)
{
	for (int i = 0; i < nroutes; i++) {
		if (routes[i].vector != vector)
			continue;
		for (int k = 0; k < routes[i].n; k++)
			routes[i].fns[k](
			    vector); /* each acknowledges its device (extra EOIs are harmless) */
	}
}

bool apic_route_irq(u32 gsi, int vector, void (*fn)(int vector))
{
	return apic_route_irq_pol(gsi, vector, fn, false);
}

bool apic_route_irq_pol(u32 gsi, int vector, void (*fn)(int vector), bool active_low)
{
	volatile u8 *io;
	u32 pin;

	for (int i = 0; i < nroutes; i++) {
		if (routes[i].gsi != gsi)
			continue;
		if (routes[i].n == 4)
			return false;
		routes[i].fns[routes[i].n++] = fn; /* shared: one more handler on its vector */
		return true;
	}
	if (nroutes == SHARED_MAX)
		return false;
	if (!apic_tried)
		lapic_enable();
	if (!lapic || gsi >= 2 * IOAPIC_PINS)
		return false;
	io = arch_map_mmio(gsi < IOAPIC_PINS ? IOAPIC_BASE : IOAPIC2_BASE, PAGE_SIZE);
	pin = gsi % IOAPIC_PINS;
	if (!io || mmio_read32(io + 0x10) == 0xffffffffu)
		return false;
	routes[nroutes].gsi = gsi;
	routes[nroutes].vector = vector;
	routes[nroutes].fns[0] = fn;
	routes[nroutes++].n = 1;
	arch_set_irq_handler(vector, shared_irq);
	/* Level-triggered, active high (or low), fixed delivery to APIC 0, unmasked. */
	mmio_write32(io, 0x11 + 2 * pin);
	mmio_write32(io + 0x10, 0);
	mmio_write32(io, 0x10 + 2 * pin);
	mmio_write32(io + 0x10, (1u << 15) | (active_low ? 1u << 13 : 0) | (u32)vector);
	return true;
}

/* Programs the one-shot timer for deadline_ns; false when there is none. */
static bool arm(u64 deadline_ns, u64 now)
{
	u64 ticks;

	if (!calibrated && !lapic_calibrate())
		return false;
	if (!timer_hz)
		return false;
	/* At most 10 s at once (callers loop): no overflow below 1.8 GHz. */
	ticks =
	    MIN(deadline_ns > now ? deadline_ns - now : 0, 10000000000UL) * timer_hz / 1000000000UL;
	lapic_write(LAPIC_TIMER_INIT, (u32)MAX(MIN(ticks, 0xffffffffUL), 1UL));
	timer_deadline = MIN(deadline_ns, now + 10000000000UL);
	return true;
}

void qemu_timer_set(u64 deadline_ns)
{
	if (!lapic)
		return;
	if (deadline_ns == ~0UL) {
		if (calibrated)
			lapic_write(LAPIC_TIMER_INIT, 0);
		timer_deadline = 0;
		return;
	}
	arm(deadline_ns, qemu_monotonic_ns());
}

void qemu_wait_until(u64 deadline_ns)
{
	u64 now = qemu_monotonic_ns();

	if (now >= deadline_ns)
		return;
	if (!lapic || (!calibrated && deadline_ns - now <= CALIBRATE_NS) ||
	    deadline_ns - now < MIN_SLEEP_NS ||
	    ((!timer_deadline || timer_deadline <= now || timer_deadline > deadline_ns) &&
	     !arm(deadline_ns, now))) {
		while (qemu_monotonic_ns() < deadline_ns && !sched_irq_pending)
			cpu_relax();
		return;
	}
	cpu_idle(); /* the timer, a device or the stop request wakes us */
}
