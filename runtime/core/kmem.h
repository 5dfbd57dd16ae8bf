/* kmem.h - small allocations for the runtime's own objects (inodes, names,
 * sockets, pipes...), carved from frames (mm.h).
 *
 * Sizes up to KMEM_MAX bytes, in power-of-two classes from 32 bytes; every
 * allocation is zeroed.  Nothing here blocks or panics: NULL means memory is
 * exhausted, and the caller fails its call (ENOMEM, ENOSPC, ...).
 */
#ifndef UNIK_RT_KMEM_H
#define UNIK_RT_KMEM_H

#include "kernel.h"

#define KMEM_MAX 4096

/* A zeroed block of at least n bytes (1 <= n <= KMEM_MAX), or NULL. */
void *kmalloc(size_t n);
/* Frees a block from kmalloc(n) with the same n; NULL is ignored. */
void kfree(void *p, size_t n);
/* A 4 KiB scratch buffer (a path, a symlink target), NOT zeroed, or NULL.
 * A few are kept for reuse, so the calls that walk paths do not clear and
 * free a frame each time. */
void *kscratch(void);
void kscratch_free(void *p);
/* A copy of s[0..n) with a NUL after it (kfree with n + 1), or NULL. */
char *kstrndup(const char *s, size_t n);
/* Bytes of frames the allocator holds (in use or cached). */
u64 kmem_bytes(void);

#endif
