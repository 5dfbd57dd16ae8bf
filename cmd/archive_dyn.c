/* archive_dyn.c - libarchive, opened by the first command that needs it. */
#include "archive_dyn.h"

#include "dynload.h"

struct archive_dyn archive_dyn;

int archive_dyn_load(struct unik_err *err)
{
#define ARCHIVE_DYN_NAME(f) #f,
	static const char *const syms[] = { ARCHIVE_DYN_FNS(ARCHIVE_DYN_NAME) };
#undef ARCHIVE_DYN_NAME
	static int loaded;

	_Static_assert(sizeof(syms) / sizeof(syms[0]) * sizeof(void *) == sizeof(archive_dyn),
		       "one name per member");
	return dynload("libarchive.so.13", syms, (void **)&archive_dyn,
		       sizeof(syms) / sizeof(syms[0]), &loaded, err);
}
