/* serial.c - the console (COM1), the second console (COM3, the program's
 * standard error, when a UART answers there; else COM1 takes it too) and
 * the exit path (COM2 status line, isa-debug-exit) of the QEMU platform.
 *
 * The exit contract with providers/qemu: the runtime writes
 * "unik-exit-status=<n>\n" to COM2 when a UART answers there, then writes
 * to port 0xf4 (isa-debug-exit) so QEMU exits, and halts as a last resort.
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
}

void qemu_console_err(const char *s, size_t n)
{
	uart_write(com3 ? COM3 : COM1, s, n);
}

void qemu_exit(int status)
{
	char line[40];
	int n;

	if (uart_present(COM2)) {
		uart_init(COM2);
		n = ksnprintf(line, sizeof(line), UNIK_EXIT_STATUS_KEY "%d\n", status);
		uart_write(COM2, line, (size_t)n);
		/* Let the FIFO drain before QEMU goes away. */
		for (int spin = 0; spin < 100000 && !(inb(COM2 + 5) & 0x40); spin++)
			cpu_relax();
	}
	outl(DEBUG_EXIT_PORT, (u32)status);
	acpi_poweroff(); /* a machine without isa-debug-exit (VirtualBox, -M pc) */
	cpu_halt_forever();
}
