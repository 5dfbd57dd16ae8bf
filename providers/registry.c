/* registry.c - the providers unikd has, one line each, in the order
 * listings show them.  X(name) is `unik_provider_<name>`, the vtable of
 * providers/<name>/ (whose <name>.mk is included by providers.mk). */
#include "dispatch.h"

#define PROVIDERS(X)                                                                               \
	X(qemu)                                                                                    \
	X(hvt)                                                                                     \
	X(spt)                                                                                     \
	X(libvirt)                                                                                 \
	X(xen)                                                                                     \
	X(virtualbox)                                                                              \
	X(aws)                                                                                     \
	/* one X(name) line per plugin, above this one */

#define DECLARE(name) extern const struct unik_provider unik_provider_##name;
#define ENTRY(name) &unik_provider_##name,

PROVIDERS(DECLARE)

const struct unik_provider *const unik_providers[] = { PROVIDERS(ENTRY) NULL };
