/* registry.c - the table of providers and the helpers around it. */
#include "provider.h"

#include <string.h>

#include "qemu/qemu.h"
#include "hvt/hvt.h"
#include "spt/spt.h"
#include "libvirt/libvirt.h"

const struct unik_provider *const unik_providers[] = {
	&unik_provider_qemu, &unik_provider_hvt, &unik_provider_spt, &unik_provider_libvirt, NULL,
};

/* Other names a provider answers to (UniK called its libvirt provider "kvm"). */
static const struct {
	const char *alias, *name;
} aliases[] = {
	{ "kvm", "libvirt" },
};

const struct unik_provider *unik_provider_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			name = aliases[i].name;
	for (size_t i = 0; name && unik_providers[i]; i++)
		if (!strcmp(unik_providers[i]->name, name))
			return unik_providers[i];
	return NULL;
}

int unik_provider_accepts(const struct unik_provider *p, const char *format)
{
	for (size_t i = 0; p && format && p->formats && p->formats[i]; i++)
		if (!strcmp(p->formats[i], format))
			return 1;
	return 0;
}

int unik_providers_check_memory(long long mb, struct unik_err *err)
{
	int lo = 0, hi = 0;

	for (size_t i = 0; unik_providers[i]; i++) {
		const struct unik_provider *p = unik_providers[i];

		if (p->min_memory_mb && (!lo || p->min_memory_mb < lo))
			lo = p->min_memory_mb;
		if (p->max_memory_mb > hi)
			hi = p->max_memory_mb;
	}
	if (mb >= lo && mb <= hi)
		return 0;
	return unik_err_set(err, UNIK_E_INVALID,
			    "memory %lld MB is out of range: providers boot %d..%d MB", mb, lo, hi);
}
