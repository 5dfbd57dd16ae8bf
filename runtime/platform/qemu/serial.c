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
 */
#include "qemu.h"
#include "pcdev.h"
#include "../../arch/x86_64/arch.h"
#include "../../../abi/boot.h"

#define COM1 0x3f8
#define COM2 0x2f8
#define COM3 0x3e8
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
