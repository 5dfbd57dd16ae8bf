/* clock.c - time on the QEMU platform: the TSC, calibrated once at boot.
 *
 * The TSC frequency comes from, in order: kvmclock (KVM tells us its
 * TSC-to-ns scale), the hypervisor timing leaf 0x40000010, CPUID leaf 0x15,
 * or a 5 ms measurement against PIT channel 0.  Wall time at boot comes
 * from the CMOS RTC.  Waiting (halting until a timer interrupt) is apic.c's.
 */
#include "qemu.h"
#include "../../arch/x86_64/arch.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define PIT_HZ 1193182UL

struct pvclock_time_info {
	u32 version, pad0;
	u64 tsc_timestamp, system_time;
	u32 tsc_to_system_mul;
	s8 tsc_shift;
	u8 flags, pad[2];
} __attribute__((aligned(64)));

static u64 tsc_hz, tsc_boot, ns_mult; /* ns = (tsc delta * ns_mult) >> 32 */
static u64 wall_boot_ns;
static const char *source = "none";
static struct pvclock_time_info pvclock;

static u64 hv_base(void)
{
	u32 a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 31)))
		return 0;
	for (u32 base = 0x40000000; base < 0x40010000; base += 0x100) {
		cpuid(base, 0, &a, &b, &c, &d);
		if (b == 0x4b4d564b && c == 0x564b4d56 && d == 0x4d) /* "KVMKVMKVM\0\0\0" */
			return base;
	}
	return 0;
}

static u64 from_kvmclock(void)
{
	u64 base = hv_base(), hz;
	u32 a, b, c, d;

	if (!base)
		return 0;
	cpuid(base + 1, 0, &a, &b, &c, &d);
	if (!(a & KVM_FEATURE_CLOCKSOURCE2))
		return 0;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (u64)&pvclock | 1);
	if (!pvclock.tsc_to_system_mul) {
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
		return 0;
	}
	hz = (1000000000UL << 32) / pvclock.tsc_to_system_mul;
	if (pvclock.tsc_shift > 0)
		hz >>= pvclock.tsc_shift;
	else
		hz <<= -pvclock.tsc_shift;
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	return hz;
}

static u64 from_cpuid(void)
{
	u32 a, b, c, d, max;

	cpuid(0x40000000, 0, &max, &b, &c, &d);
	if (max >= 0x40000010 && max < 0x40010000) {
		cpuid(0x40000010, 0, &a, &b, &c, &d);
		if (a)
			return (u64)a * 1000;
	}
	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a;
	}
	return 0;
}

static u16 pit_read(void)
{
	u8 lo, hi;

	outb(0x43, 0x00); /* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return (u16)(hi << 8 | lo);
}

/* Counts TSC ticks over ~5 ms of PIT channel 0 (mode 0, one pass). */
static u64 from_pit(void)
{
	const u32 ticks = PIT_HZ / 200;
	u64 t0, t1;
	u16 start, now;
	u32 spins = 0;

	outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 */
	outb(0x40, 0xff);
	outb(0x40, 0xff);
	start = pit_read();
	t0 = rdtsc();
	do {
		now = pit_read();
		if (++spins > 20000 && now == start)
			return 0; /* no PIT: the counter never moves */
	} while ((u16)(start - now) < ticks);
	t1 = rdtsc();
	return (t1 - t0) * PIT_HZ / (u16)(start - now);
}

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static u64 bcd(u8 v, bool binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 15);
}

/* Days from 1970-01-01 to y-m-d (civil calendar). */
static u64 days_from_civil(u64 y, u64 m, u64 d)
{
	u64 era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static u64 rtc_wall_ns(void)
{
	u8 sec, min, hour, day, mon, year, b;
	bool binary;

	if (cmos(0x0a) == 0xff)
		return 0; /* no RTC */
	for (int i = 0; i < 10000 && (cmos(0x0a) & 0x80); i++)
		cpu_relax(); /* update in progress */
	sec = cmos(0x00);
	min = cmos(0x02);
	hour = cmos(0x04);
	day = cmos(0x07);
	mon = cmos(0x08);
	year = cmos(0x09);
	b = cmos(0x0b);
	binary = b & 4;
	if (!(b & 2) && (hour & 0x80))
		hour = (u8)(bcd(hour & 0x7f, binary) % 12 + 12); /* 12-hour clock, PM */
	else
		hour = (u8)bcd(hour, binary);
	return (
	    (days_from_civil(2000 + bcd(year, binary), bcd(mon, binary), bcd(day, binary)) * 86400 +
	     hour * 3600 + bcd(min, binary) * 60 + bcd(sec, binary)) *
	    1000000000UL);
}

void qemu_clock_init(void)
{
	tsc_boot = rdtsc();
	if ((tsc_hz = from_kvmclock()))
		source = "kvmclock";
	else if ((tsc_hz = from_cpuid()))
		source = "cpuid";
	else if ((tsc_hz = from_pit()))
		source = "pit";
	if (!tsc_hz) {
		tsc_hz = 1000000000UL;
		source = "uncalibrated (assuming 1 GHz)";
	}
	ns_mult = (1000000000UL << 32) / tsc_hz;
	wall_boot_ns = rtc_wall_ns();
}

const char *qemu_clock_source(void)
{
	return source;
}

u64 qemu_clock_hz(void)
{
	return tsc_hz;
}

u64 qemu_monotonic_ns(void)
{
	return (u64)(((unsigned __int128)(rdtsc() - tsc_boot) * ns_mult) >> 32);
}

u64 qemu_wall_ns(void)
{
	return wall_boot_ns + qemu_monotonic_ns();
}

u64 qemu_clock_res_ns(void)
{
	return 1;
}
