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

static int export_main(struct cmd_ctx *ctx, void *opts, int argc, char **argv)
{
	const struct export_opts *o = opts;
	struct strbuf path = STRBUF_INIT;
	int rc;

	(void)argc;
	cmd_ref_path(&path, "images", argv[0], "/export");
	client_query(&path, "format", o->format ? o->format : "raw");
	rc = cmd_download(ctx, strbuf_str(&path), o->output, "a disk image");
	strbuf_release(&path);
	return rc;
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
