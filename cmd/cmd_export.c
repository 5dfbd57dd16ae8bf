/* cmd_export.c - export: an image's bootable disk (raw, raw-gpt, vmdk, vdi) or an
 * OVA, as the daemon stages it (GET /v1/images/{ref}/export). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "cmd.h"

struct export_opts {
	const char *format;
	const char *output;
};

static const struct opt export_options[] = {
	OPT_STRING(0, "format", NULL, struct export_opts, format, "FORMAT",
		   "raw, raw-gpt, vmdk, vdi or ova (default raw)"),
	OPT_STRING('o', "output", NULL, struct export_opts, output, "FILE",
		   "write to FILE (default: standard output, not a terminal)"),
	OPT_END(),
};

static int write_fd(const char *data, size_t len, void *arg, struct unik_err *err)
{
	int fd = *(int *)arg;

	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return unik_err_set(err, UNIK_E_INTERNAL, "writing the disk: %s",
					    strerror(errno));
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int export_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct export_opts *o = opts;
	struct unik_err err = UNIK_ERR_INIT;
	struct strbuf path = STRBUF_INIT;
	char *tmp = NULL;
	int fd = 1, rc;

	(void)argc;
	if (!o->output && isatty(1)) {
		fprintf(stderr, "unik: export writes a disk image: give -o FILE or redirect the "
				"standard output\n");
		return 1;
	}
	if (o->output) {
		/* Written beside FILE, renamed over it when whole. */
		tmp = xasprintf("%s.part", o->output);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "unik: %s: %s\n", tmp, strerror(errno));
			free(tmp);
			return 1;
		}
	}
	cmd_ref_path(&path, "images", argv[0], "/export");
	client_query(&path, "format", o->format ? o->format : "raw");
	rc = client_stream(ctx->client, strbuf_str(&path), write_fd, &fd, &err);
	if (o->output) {
		if (close(fd) < 0 && !rc)
			rc = unik_err_set(&err, UNIK_E_INTERNAL, "writing %s: %s", tmp,
					  strerror(errno));
		if (!rc && rename(tmp, o->output) < 0)
			rc = unik_err_set(&err, UNIK_E_INTERNAL, "renaming %s: %s", tmp,
					  strerror(errno));
		if (rc)
			unlink(tmp);
	}
	if (rc)
		cmd_error(&err);
	strbuf_release(&path);
	free(tmp);
	return rc ? 1 : 0;
}

const struct cmd cmd_export = {
	.name = "export",
	.fn = export_main,
	.opts = export_options,
	.opts_size = sizeof(struct export_opts),
	.min_args = 1,
	.max_args = 1,
	.usage = "export [--format raw|raw-gpt|vmdk|vdi|ova] [-o FILE] IMAGE",
	.summary = "Write an image's bootable disk or OVA",
	.help = "IMAGE is a name or a unique prefix of an id (a unik-elf image).  The daemon\n"
		"stages the disk once per image and keeps it: raw is an MBR disk that GRUB boots\n"
		"from (BIOS or UEFI), raw-gpt the same on a GPT (an EFI System Partition and a\n"
		"BIOS boot partition), vmdk (streamOptimized) and vdi are the MBR disk converted,\n"
		"and ova is an OVF 1.0 appliance with the VMDK, for VirtualBox's Import\n"
		"Appliance.  'unik images' shows which are staged.  The disk boots with the\n"
		"image's default arguments.\n",
};
