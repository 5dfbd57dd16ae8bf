/* dynload.c - a shared library opened when the CLI first needs it. */
#include "dynload.h"

#include <dlfcn.h>

int dynload(const char *soname, const char *const *syms, void **fns, size_t n, int *loaded,
	    struct unik_err *err)
{
	void *h;

	if (*loaded)
		return 0;
	h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return unik_err_set(err, UNIK_E_INTERNAL, "cannot load %s: %s", soname, dlerror());
	for (size_t i = 0; i < n; i++) {
		fns[i] = dlsym(h, syms[i]);
		if (!fns[i]) {
			unik_err_set(err, UNIK_E_INTERNAL, "%s has no %s", soname, syms[i]);
			dlclose(h);
			return -1;
		}
	}
	*loaded = 1; /* the library stays open for the process's life */
	return 0;
}
