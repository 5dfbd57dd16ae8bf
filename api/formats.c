/* formats.c - the table of image formats (see formats.h). */
#include "formats.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The unik runtime's file systems (docs/runtime.md): ext2 read-write, ext4
 * (no journal replay) and FAT read-only. */
static const char *const runtime_volumes[] = { "ext2", "ext4", "fat", NULL };
static const char *const runtime_volumes_rw[] = { "ext2", NULL };

const struct unik_format unik_formats[] = {
	{ UNIK_FORMAT_UNIK_ELF, "one bootable ELF: the program with the unik runtime",
	  UNIK_FORMAT_NET_WORDS, runtime_volumes, runtime_volumes_rw },
	/* our Linux init does not read unik.mount words (yet) */
	{ UNIK_FORMAT_LINUX_INITRD, "a Linux kernel and an initramfs with the program",
	  UNIK_FORMAT_HAS_INITRD | UNIK_FORMAT_NET_WORDS, NULL, NULL },
	{ NULL, NULL, 0, NULL, NULL },
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

static int listed(const char *const *list, const char *s)
{
	for (size_t i = 0; list && s && list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* "ext2, ext4 or fat" of `list` into buf. */
static void join(const char *const *list, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	while (list && list[n])
		n++;
	for (size_t i = 0; i < n; i++)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
			 i == 0	      ? ""
			 : i + 1 == n ? " or "
				      : ", ",
			 list[i]);
}

int unik_format_mounts(const char *name, const char *type, int read_only, struct unik_err *err)
{
	const struct unik_format *f = unik_format_find(name);
	char what[64];

	if (!f || !f->volume_types)
		return unik_err_set(err, UNIK_E_INVALID,
				    "images of format '%s' mount no volumes (their guest does not "
				    "read unik.mount words)",
				    name ? name : "?");
	if (!listed(f->volume_types, type)) {
		join(f->volume_types, what, sizeof(what));
		return unik_err_set(err, UNIK_E_INVALID,
				    "images of format '%s' do not mount %s volumes (they mount %s)",
				    f->name, type ? type : "?", what);
	}
	if (!read_only && !listed(f->volume_types_rw, type)) {
		join(f->volume_types_rw, what, sizeof(what));
		return unik_err_set(err, UNIK_E_INVALID,
				    "images of format '%s' mount %s volumes read-only only: attach "
				    "it with :ro (they write %s volumes)",
				    f->name, type, what[0] ? what : "no");
	}
	return 0;
}
