/* boot.h - the guest boot contract: what the host writes on a guest's boot
 * command line, and what the guest reports back.  The one definition, used
 * by every side: the daemon and the providers (lib/bootargs.c,
 * providers/), the unik runtime (runtime/core/cmdline.c,
 * runtime/platform/qemu/serial.c), the Linux guests' init
 * (compilers/linux/init.c) and the tests (tests/tools/bootword.c).
 * Freestanding: static inline functions, no library calls.
 *
 * Command line words, separated by spaces:
 *   unik.arg=<enc>      one argument of the program, in order
 *   unik.env=<enc>      one K=V of its environment
 *   unik.ip=A/P unik.gw=A unik.dns=A   the network (docs/networking.md)
 *   unik.net=dhcp       ask DHCP instead
 *   unik.verbose        the runtime's boot and exit lines on the console
 *   unik.strace         every system call with its result on the console
 *   unik.ring0          run the program at the runtime's privilege
 *   unik.userdata=imds  (EC2) once the network is up, read more words from
 *                       the instance's user data (IMDSv2): its unik.arg=
 *                       words replace the program's arguments, its
 *                       unik.env= words its environment; others ignored
 *   unik.id=<enc>       the instance's id: ignored by guests, it names the
 *                       instance on the VM's command line (adoption)
 *   unik.mount=<enc>    a volume: <enc> encodes "DISK:PATH:FSTYPE:MODE", DISK
 *                       the disk's index in the order the platform finds
 *                       them (0 first), PATH the absolute guest path to mount
 *                       it at, FSTYPE ext2, ext4, fat or auto, MODE ro or rw
 * <enc> is the string with every byte outside [A-Za-z0-9._~-] written %XX
 * (upper-case hex on encoding; either case decodes).  Other words are the
 * platform's (QEMU's virtio_mmio.device=, console=, ...) and are ignored.
 *
 * Back from the guest, on its second serial port (qemu, libvirt):
 *   unik-ready             (Linux guests) the init listens to the power button
 *   unik-exit-status=<n>   the program's exit status (128 + signal); on a
 *                          PC with no second serial port (an EC2
 *                          instance) the last line of the first, the
 *                          console, which providers/aws reads it from
 *
 * The image formats (an image's "format" in the API) name what the guest
 * is; api/formats.c describes them (artifacts, whether the guest reads the
 * network words).
 */
#ifndef UNIK_ABI_BOOT_H
#define UNIK_ABI_BOOT_H

#include <stddef.h>

#define UNIK_BOOT_ARG "unik.arg="
#define UNIK_BOOT_ENV "unik.env="
#define UNIK_BOOT_IP "unik.ip="
#define UNIK_BOOT_GW "unik.gw="
#define UNIK_BOOT_DNS "unik.dns="
#define UNIK_BOOT_DHCP "unik.net=dhcp"
#define UNIK_BOOT_VERBOSE "unik.verbose"
#define UNIK_BOOT_STRACE "unik.strace"
#define UNIK_BOOT_RING0 "unik.ring0"
#define UNIK_BOOT_USERDATA_IMDS "unik.userdata=imds"
#define UNIK_BOOT_ID "unik.id="
#define UNIK_BOOT_MOUNT "unik.mount="

#define UNIK_READY_LINE "unik-ready"
#define UNIK_EXIT_STATUS_KEY "unik-exit-status="

#define UNIK_FORMAT_UNIK_ELF "unik-elf" /* one ELF: the program linked with the unik runtime */
#define UNIK_FORMAT_LINUX_INITRD "linux-initrd" /* Linux kernel + initramfs with our init */

/* 1 when byte c travels as itself. */
static inline int unik_boot_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-';
}

/* Encodes s[0..len) into out, which has room for 3 * len bytes; returns the
 * encoded length (out is not terminated). */
static inline size_t unik_boot_encode(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unik_boot_plain(c)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return n;
}

/* The value of hex digit c, or -1. */
static inline int unik_boot_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes s[0..len) into out, which has room for len bytes (a decoded word
 * is never longer); returns the decoded length, or -1 for a malformed
 * escape (out is not terminated). */
static inline long unik_boot_decode(char *out, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (len - i < 3)
			return -1;
		hi = unik_boot_hexval(s[i + 1]);
		lo = unik_boot_hexval(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	return (long)n;
}

#endif
