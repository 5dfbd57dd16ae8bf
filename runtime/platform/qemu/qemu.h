/* qemu.h - the QEMU platform (PVH boot, COM1 console, TSC clock,
 * isa-debug-exit): its pieces, joined into `qemu_platform` in pvh_start.c. */
#ifndef UNIK_RT_QEMU_H
#define UNIK_RT_QEMU_H

#include "../platform.h"

/* serial.c: COM1 set up for the console. */
void serial_init(void);
/* serial.c: n bytes to COM1. */
void qemu_console_write(const char *s, size_t n);
void qemu_console_err(const char *s, size_t n);
/* serial.c: console input (COM4, when QEMU has one): set up after
 * apic_init; then the platform's console_read. */
void serial_input_init(void);
long serial_console_read(void *buf, size_t n);
/* serial.c: the line "unik-exit-status=<n>" on COM2 if present, else as the
 * last line of COM1 (an EC2 instance's one serial port). */
void qemu_exit_line(int status);
/* serial.c: qemu_exit_line, isa-debug-exit, ACPI power off, halt. */
void qemu_exit(int status) __noreturn;

/* clock.c: the TSC, calibrated by kvmclock, CPUID or the PIT; the RTC for
 * wall time.  The semantics of struct platform_ops. */
void qemu_clock_init(void);
const char *qemu_clock_source(void);
u64 qemu_clock_hz(void);
u64 qemu_monotonic_ns(void);
u64 qemu_wall_ns(void);
u64 qemu_clock_res_ns(void);

/* apic.c: enables the local APIC and the stop request's NMI handler. */
void apic_init(void);
/* apic.c: halts until deadline_ns or an interrupt (the local APIC's
 * one-shot timer; a pause loop without a local APIC). */
void qemu_wait_until(u64 deadline_ns);
/* apic.c: platform_ops.timer_set on the local APIC's one-shot timer. */
void qemu_timer_set(u64 deadline_ns);
/* apic.c: routes GSI `gsi` (level-triggered, active high: virtio-mmio) through
 * its I/O APIC to `vector`, served by fn (which must call apic_eoi()).  A
 * GSI routed again (a shared PCI INTx line) keeps its first vector, whose
 * interrupt then calls every handler of the line.  False when there is no
 * local APIC or no I/O APIC for that GSI (or too many sharers). */
bool apic_route_irq(u32 gsi, int vector, void (*fn)(int vector));
/* apic.c: apic_route_irq for a line that is active low when active_low
 * (the ACPI SCI without an interrupt source override saying otherwise). */
bool apic_route_irq_pol(u32 gsi, int vector, void (*fn)(int vector), bool active_low);
/* apic.c: signals the end of an interrupt to the local APIC. */
void apic_eoi(void);

/* pvh_start.c: the boot command line. */
const char *qemu_cmdline(void);

/* qemu_net.c, in unik-net.o: the network device's platform_ops entries;
 * NULL (weak) in an image without the network stack. */
__attribute__((weak)) int qemu_net_open(u8 mac[6], u32 *mtu);
__attribute__((weak)) int qemu_net_send(const void *frame, size_t len);
__attribute__((weak)) long qemu_net_recv(void *buf, size_t size);

#endif
