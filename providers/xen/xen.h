/* xen.h - the "xen" provider: unik-elf images as Xen PVH domains, driven
 * through the toolstack's `xl` in dom0 (issue 13).
 *
 * An instance is the domain "unik-<id>", created paused from a config file
 * in the instance's folder, with `xl console` attached (the process the
 * daemon supervises: it appends the console to the instance's log and ends
 * when the domain is gone), then unpaused.  The exit status is the last
 * "unik-exit-status=N" line the runtime writes on the console.  Stop is
 * `xl shutdown` (SIGTERM to the program), then `xl destroy`.  Networking
 * (UNIK_NET_BRIDGE): a vif with the daemon's MAC on the daemon's bridge,
 * which Xen's vif-bridge hotplug script joins; the address is in the boot
 * words. */
#ifndef UNIK_PROVIDERS_XEN_H
#define UNIK_PROVIDERS_XEN_H

#include "../../lib/strbuf.h"
#include "../provider.h"

extern const struct unik_provider unik_provider_xen;

/* xl.c: the xl binary (config key xen.xl, default "xl" in PATH). */
const char *xen_xl(const struct unik_config *cfg);
/* Runs xl with args (NULL-terminated, at most 14), stdin /dev/null, its
 * output appended to *out (may be NULL), killed after timeout_s: 0 when it
 * exits 0, else -1 with err (UNAVAILABLE) naming the command and the end of
 * its output. */
int xen_xl_run(const struct unik_config *cfg, const char *const *args, int timeout_s,
	       struct strbuf *out, struct unik_err *err);

#endif
