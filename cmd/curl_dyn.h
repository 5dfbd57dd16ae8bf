/* curl_dyn.h - libcurl, opened by the first TCP or TLS client (dynload.h).
 * Include this instead of <curl/curl.h>; call curl_dyn_load() first. */
#ifndef UNIK_CMD_CURL_DYN_H
#define UNIK_CMD_CURL_DYN_H

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "../lib/error.h"

#define CURL_DYN_FNS(X)                                                                            \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_init)                                                                          \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_strerror)                                                                      \
	X(curl_global_cleanup)                                                                     \
	X(curl_global_init)                                                                        \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

struct curl_dyn {
#define CURL_DYN_MEMBER(f) __typeof__(f) *f;
	CURL_DYN_FNS(CURL_DYN_MEMBER)
#undef CURL_DYN_MEMBER
};

extern struct curl_dyn curl_dyn;

/* Opens libcurl.so.4 (once). */
int curl_dyn_load(struct unik_err *err);

#undef curl_easy_getinfo
#undef curl_easy_setopt
#define curl_easy_cleanup (*curl_dyn.curl_easy_cleanup)
#define curl_easy_getinfo (*curl_dyn.curl_easy_getinfo)
#define curl_easy_init (*curl_dyn.curl_easy_init)
#define curl_easy_perform (*curl_dyn.curl_easy_perform)
#define curl_easy_setopt (*curl_dyn.curl_easy_setopt)
#define curl_easy_strerror (*curl_dyn.curl_easy_strerror)
#define curl_global_cleanup (*curl_dyn.curl_global_cleanup)
#define curl_global_init (*curl_dyn.curl_global_init)
#define curl_slist_append (*curl_dyn.curl_slist_append)
#define curl_slist_free_all (*curl_dyn.curl_slist_free_all)

#endif
