/* xl.c - running the Xen toolstack's `xl` (see xen.h). */
#include "xen.h"

#include "../common/tool.h"

const char *xen_xl(const struct unik_config *cfg)
{
	return unik_config_get(cfg, "xen.xl", "xl");
}

int xen_xl_run(const struct unik_config *cfg, const char *const *args, int timeout_s,
	       struct strbuf *out, struct unik_err *err)
{
	const char *argv[16];
	int n = 0;

	argv[n++] = xen_xl(cfg);
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return tool_run("xen", "xen-utils; the key xen.xl names it", argv, timeout_s, out, err);
}
