/* guest.h - what providers share about the guests unik builds: the boot
 * command line (and its network words), and for the QEMU-based providers
 * (qemu, libvirt) the exit-status line the guest writes on its second
 * serial port ("unik-exit-status=<n>"). */
#ifndef UNIK_PROVIDERS_GUEST_H
#define UNIK_PROVIDERS_GUEST_H

#include <stddef.h>

#include "../../abi/boot.h"
#include "../../lib/error.h"
#include "../../lib/strbuf.h"
#include "../provider.h"

#define GUEST_CMDLINE_MAX 2048 /* x86 COMMAND_LINE_SIZE, with its NUL */
#define GUEST_STATUS_KEY UNIK_EXIT_STATUS_KEY

/* Appends the guest's command line to `out`: for linux-initrd images our
 * kernel words (and, with `tsc`, the host's TSC rate, which Linux under TCG
 * cannot calibrate), then `extra` (may be NULL), the runtime's diagnostic
 * words of unik-elf images (bootargs_diag), the program's arguments and
 * environment (lib/bootargs.h), the network words, the volumes' mount words
 * (guest_mount_words), and ` unik.id=<id>` when `with_id`.  INVALID when it
 * would not fit the kernel's limit. */
int guest_cmdline(const struct unik_run_spec *spec, int tsc, const char *extra, int with_id,
		  struct strbuf *out, struct unik_err *err);

/* Appends the network words of `net` (" unik.ip=<address>/<prefix>
 * unik.gw=<gateway>", and " unik.dns=<dns>" when it has one) when it gives
 * the guest an address; nothing otherwise. */
void guest_net_words(const struct unik_net_spec *net, struct strbuf *out);

/* Appends " unik.mount=<enc>" for each of spec->volumes, disk i encoding
 * "i:PATH:FSTYPE:ro|rw" (abi/boot.h). */
void guest_mount_words(const struct unik_run_spec *spec, struct strbuf *out);

/* The least guest memory QEMU-based providers boot: images load at 1 MiB. */
#define GUEST_MIN_MEMORY_MB 2

/* 0 if `spec` is an image `provider` can boot (linux-initrd or unik-elf,
 * with its artifacts, in at least GUEST_MIN_MEMORY_MB); else -1:
 * UNSUPPORTED for another format, INVALID for a missing kernel or initrd
 * or too little memory. */
int guest_check_image(const struct unik_run_spec *spec, const char *provider, struct unik_err *err);

/* QEMU-based providers take up to this much guest memory (MiB), and no more
 * than the host could allocate (see guest_check_memory). */
#define GUEST_MAX_MEMORY_MB (1024 * 1024)

/* 0 if QEMU could allocate spec->memory_mb here: no more than the host's
 * RAM and swap (the kernel refuses larger mappings); else -1, INVALID. */
int guest_check_memory(const struct unik_run_spec *spec, const char *provider,
		       struct unik_err *err);

/* The last status the guest wrote into the file at `path`, or -1. */
int guest_status_read(const char *path);

/* The last `max` bytes of `text` from a line start, trimmed, with newlines
 * as ';' - one line for an error message. */
void guest_tail_line(const char *text, size_t len, size_t max, struct strbuf *out);

#endif
