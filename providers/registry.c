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
