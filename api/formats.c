/* formats.c - the table of image formats (see formats.h). */
#include "formats.h"

#include <stddef.h>
#include <string.h>

const struct unik_format unik_formats[] = {
	{ UNIK_FORMAT_UNIK_ELF, "one bootable ELF: the program with the unik runtime",
	  UNIK_FORMAT_NET_WORDS },
	{ UNIK_FORMAT_LINUX_INITRD, "a Linux kernel and an initramfs with the program",
	  UNIK_FORMAT_HAS_INITRD | UNIK_FORMAT_NET_WORDS },
	{ NULL, NULL, 0 },
};

const struct unik_format *unik_format_find(const char *name)
{
	for (size_t i = 0; name && unik_formats[i].name; i++)
		if (!strcmp(unik_formats[i].name, name))
			return &unik_formats[i];
	return NULL;
}

int unik_format_has(const char *name, unsigned flags)
{
	const struct unik_format *f = unik_format_find(name);

	return f && (f->flags & flags) == flags;
}
