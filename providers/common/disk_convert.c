/* disk_convert.c - a staged raw disk in the formats hypervisors import:
 * VMDK and VDI through qemu-img (see disk_stage.h). */
#include <string.h>

#include "../../lib/run_host_tool.h"
#include "disk_stage.h"

const char *const disk_formats[] = { "raw", "raw-gpt", "vmdk", "vdi", "ova", NULL };

int disk_format_known(const char *format)
{
	for (int i = 0; format && disk_formats[i]; i++)
		if (!strcmp(format, disk_formats[i]))
			return 1;
	return 0;
}

int disk_convert(const char *raw, const char *format, const char *out, struct unik_err *err)
{
	/* streamOptimized: compressed grains, the VMDK flavour OVF packages
	 * carry and VirtualBox's importer expects. */
	const char *vmdk[] = { "qemu-img", "convert", "-q",
			       "-f",	   "raw",     "-O",
			       "vmdk",	   "-o",      "subformat=streamOptimized",
			       raw,	   out,	      NULL };
	const char *vdi[] = {
		"qemu-img", "convert", "-q", "-f", "raw", "-O", "vdi", raw, out, NULL
	};

	if (!strcmp(format, "vmdk"))
		return run_host_tool(vmdk, NULL, err);
	if (!strcmp(format, "vdi"))
		return run_host_tool(vdi, NULL, err);
	return unik_err_set(err, UNIK_E_INVALID, "qemu-img makes vmdk or vdi, not '%s'", format);
}
