/* string.h - what lwIP takes from <string.h>, served by the runtime's own
 * string.c (the runtime is freestanding; no libc headers). */
#ifndef UNIK_NET_STRING_H
#define UNIK_NET_STRING_H

#include <stddef.h>

/* Same contracts as the C library's; see runtime/core/kernel.h. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif
