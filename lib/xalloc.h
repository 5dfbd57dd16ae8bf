/* xalloc.h - allocation helpers that abort on out-of-memory, so callers
 * need no NULL checks.  Everything they return is freed with free(). */
#ifndef UNIK_XALLOC_H
#define UNIK_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xstrdup(NULL) returns NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
