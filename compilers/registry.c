/* registry.c - the compilers unikd has, one line each, and the helpers
 * around their table.  X(name) is `unik_compiler_<name>`, the vtable of
 * compilers/<name>/ (whose <name>.mk is included by compilers.mk); listings
 * show them in this order, and detect() ties go to the first. */
#include "compiler.h"

#include <stdlib.h>
#include <string.h>

#define COMPILERS(X)                                                                               \
	X(c)                                                                                       \
	X(go)                                                                                      \
	X(linux)                                                                                   \
	/* one X(name) line per plugin, above this one */

#define DECLARE(name) extern const struct unik_compiler unik_compiler_##name;
#define ENTRY(name) &unik_compiler_##name,

COMPILERS(DECLARE)

const struct unik_compiler *const unik_compilers[] = { COMPILERS(ENTRY) NULL };

void unik_build_result_init(struct unik_build_result *r)
{
	r->format = NULL;
	r->kernel = NULL;
	r->initrd = NULL;
	r->memory_mb = 0;
}

void unik_build_result_release(struct unik_build_result *r)
{
	if (!r)
		return;
	free(r->format);
	free(r->kernel);
	free(r->initrd);
	unik_build_result_init(r);
}

const struct unik_compiler *unik_compiler_find(const char *name)
{
	for (size_t i = 0; name && unik_compilers[i]; i++)
		if (!strcmp(unik_compilers[i]->name, name))
			return unik_compilers[i];
	return NULL;
}

const struct unik_compiler *unik_compiler_detect(const char *src_dir)
{
	const struct unik_compiler *best = NULL;
	int best_score = 0;

	for (size_t i = 0; unik_compilers[i]; i++) {
		int score = unik_compilers[i]->detect ? unik_compilers[i]->detect(src_dir) : 0;

		if (score > best_score) {
			best = unik_compilers[i];
			best_score = score;
		}
	}
	return best;
}
