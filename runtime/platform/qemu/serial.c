/* serial.c - the console (COM1), the second console (COM3, the program's
 * standard error, when a UART answers there; else COM1 takes it too) and
 * the exit path (COM2 status line, isa-debug-exit) of the QEMU platform.
 *
 * The exit contract with providers/qemu: the runtime writes
 * "unik-exit-status=<n>\n" to COM2 when a UART answers there, then writes
 * to port 0xf4 (isa-debug-exit) so QEMU exits, and halts as a last resort.
 * A machine with no COM2 (an EC2 instance: its console, COM1, is all that
 * comes back, through GetConsoleOutput) gets the same line on COM1 instead,
 * as the console's last line (providers/aws reads it from there).
 *
 * Console input (unik run -i) is a UART of its own, COM4, that
 * providers/qemu adds only then, fed from QEMU's standard input: its
 * received-data interrupt (GSI 3, shared with COM2, which never raises
 * one) wakes the idle wait, the handler takes the bytes into a ring and
 * the core reads them from there (serial_console_read).  A serial port has
 * no end of file: a byte 0x04 (Ctrl-D, what a terminal's line discipline
 * takes as the end) ends the input.  No COM4: no input, end of file.
 */
#include "qemu.h"
#include "pcdev.h"
#include "../../arch/x86_64/arch.h"
#include "../../../abi/boot.h"
#include "../../core/errno.h"
#include "../../core/sched.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define COM3 0x3e8
#define COM4 0x2e8
#define COM4_GSI 3
#define RX_VECTOR (IRQ_VECTOR_BASE + 10)
#define RX_SIZE 1024
#define RX_EOT 0x04
#define DEBUG_EXIT_PORT 0xf4

static void uart_init(u16 port)
{
	outb(port + 1, 0x00); /* no interrupts */
	outb(port + 3, 0x80); /* DLAB */
	outb(port + 0, 0x01); /* 115200 baud */
	outb(port + 1, 0x00);
	outb(port + 3, 0x03); /* 8N1 */
	outb(port + 2, 0xc7); /* FIFO on, cleared, 14-byte threshold */
}

/* A UART is there if its scratch register keeps what we write. */
static bool uart_present(u16 port)
{
	outb(port + 7, 0x5a);
	if (inb(port + 7) != 0x5a)
		return false;
	outb(port + 7, 0xa5);
	return inb(port + 7) == 0xa5;
}

/* The last byte written to COM1, so the exit line starts a line. */
static char com1_last = '\n';

static void uart_write(u16 port, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		/* Wait for room once per FIFO's worth (16 bytes). */
		if (i % 16 == 0) {
			for (int spin = 0; spin < 100000 && !(inb(port + 5) & 0x20); spin++)
				cpu_relax();
		}
		outb(port, (u8)s[i]);
	}
}

static bool com3;

void serial_init(void)
{
	uart_init(COM1);
	com3 = uart_present(COM3);
	if (com3)
		uart_init(COM3);
}

void qemu_console_write(const char *s, size_t n)
{
	uart_write(COM1, s, n);
	if (n)
		com1_last = s[n - 1];
}

/* Waits (bounded) for a UART's transmitter to be empty. */
static void uart_drain(u16 port)
{
	for (int spin = 0; spin < 100000 && !(inb(port + 5) & 0x40); spin++)
		cpu_relax();
}

void qemu_console_err(const char *s, size_t n)
{
	uart_write(com3 ? COM3 : COM1, s, n);
}

/* Console input: filled by the interrupt handler, emptied by the core.
 * Runtime code runs with interrupts off (cpu_idle is their only window
 * besides the program), so the two never overlap. */
static struct {
	u8 buf[RX_SIZE];
	u32 head, len;
	bool eof, full; /* full: receive interrupts are off until there is room */
	int state; /* 0 not looked at, 1 COM4 takes input, -1 none */
} rx;

/* Takes the UART's received bytes while the ring has room; with none, the
 * interrupt is turned off (the line stays high otherwise). */
static void rx_drain(void)
{
	while (!rx.eof && (inb(COM4 + 5) & 0x01)) {
		u8 c;

		if (rx.len == RX_SIZE) {
			outb(COM4 + 1, 0x00);
			rx.full = true;
			return;
		}
		c = inb(COM4);
		if (c == RX_EOT) {
			rx.eof = true;
			outb(COM4 + 1, 0x00);
			break;
		}
		rx.buf[(rx.head + rx.len++) % RX_SIZE] = c;
	}
}

static void rx_irq(int vector)
{
	(void)vector;
	rx_drain();
	apic_eoi();
	sched_irq_io(); /* a reader may go on */
}

void serial_input_init(void)
{
	if (!uart_present(COM4)) {
		rx.state = -1;
		return;
	}
	/* No FIFO: turning it on would drop what already came (a byte waits in
	 * the receive register meanwhile; QEMU holds the rest) */
	outb(COM4 + 1, 0x00);
	outb(COM4 + 3, 0x03); /* 8N1 */
	outb(COM4 + 4, 0x08); /* OUT2: the UART's interrupt reaches the line */
	if (!apic_route_irq(COM4_GSI, RX_VECTOR, rx_irq)) {
		kprintf("unikernel: qemu: no I/O APIC route for the console input (COM4): "
			"standard input is at end of file\n");
		rx.state = -1;
		return;
	}
	rx.state = 1;
	outb(COM4 + 1, 0x01); /* received data available */
}

long serial_console_read(void *buf, size_t n)
{
	u8 *out = buf;
	size_t got = 0;

	if (rx.state <= 0)
		return -ENODEV;
	rx_drain(); /* what came without an interrupt yet */
	while (got < n && rx.len) {
		out[got++] = rx.buf[rx.head];
		rx.head = (rx.head + 1) % RX_SIZE;
		rx.len--;
	}
	if (rx.full && rx.len < RX_SIZE) {
		rx.full = false;
		outb(COM4 + 1, 0x01);
		rx_drain();
	}
	if (!got && rx.eof)
		return -1;
	return (long)got;
}

void qemu_exit_line(int status)
{
	char line[40];
	int n;

	n = ksnprintf(line, sizeof(line), "\n" UNIK_EXIT_STATUS_KEY "%d\n", status);
	if (uart_present(COM2)) {
		uart_init(COM2);
		uart_write(COM2, line + 1, (size_t)n - 1);
		uart_drain(COM2); /* before QEMU goes away */
	} else {
		/* no status channel: the console's last line */
		qemu_console_write(line + (com1_last == '\n'), (size_t)n - (com1_last == '\n'));
		uart_drain(COM1);
	}
}

void qemu_exit(int status)
{
	qemu_exit_line(status);
	outl(DEBUG_EXIT_PORT, (u32)status);
	acpi_poweroff(); /* a machine without isa-debug-exit (VirtualBox, -M pc) */
	cpu_halt_forever();
}
