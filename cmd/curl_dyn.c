/* curl_dyn.c - libcurl, opened by the first TCP or TLS client. */
#include "curl_dyn.h"

#include "dynload.h"

struct curl_dyn curl_dyn;

int curl_dyn_load(struct unik_err *err)
{
#define CURL_DYN_NAME(f) #f,
	static const char *const syms[] = { CURL_DYN_FNS(CURL_DYN_NAME) };
#undef CURL_DYN_NAME
	static int loaded;

	_Static_assert(sizeof(syms) / sizeof(syms[0]) * sizeof(void *) == sizeof(curl_dyn),
		       "one name per member");
	return dynload("libcurl.so.4", syms, (void **)&curl_dyn, sizeof(syms) / sizeof(syms[0]),
		       &loaded, err);
}
