/* kernel.h - basic types and helpers shared by every part of the runtime.
 *
 * The runtime is freestanding: no libc, no SSE in its own code (it must not
 * clobber the application's vector registers across a system call).
 */
#ifndef UNIK_RT_KERNEL_H
#define UNIK_RT_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

#define __noreturn __attribute__((noreturn))
#define __packed __attribute__((packed))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a)-1))
#define ALIGN_UP(x, a) (((x) + (u64)(a)-1) & ~((u64)(a)-1))

/* All physical memory below 4 GiB is mapped at dmap_base (see
 * docs/runtime.md): DMAP_BASE in a VM; on the spt platform (a host process)
 * wherever the monitor mapped guest memory. */
#define DMAP_BASE 0xffff800000000000UL
#define DMAP_LIMIT 0x100000000UL
extern u64 dmap_base;

static inline void *phys_to_virt(u64 pa)
{
	return (void *)(dmap_base + pa);
}

/* Exit statuses the runtime itself chooses (shell-style 128 + signal). */
#define EXIT_SIGILL 132
#define EXIT_SIGTRAP 133
#define EXIT_SIGABRT 134
#define EXIT_SIGBUS 135
#define EXIT_SIGFPE 136
#define EXIT_OOM 137 /* like SIGKILL from the OOM killer */
#define EXIT_SIGSEGV 139
#define EXIT_PANIC 255 /* the runtime itself failed */

/* string.c */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/* printk.c: console output with a small printf (%s %c %d %i %u %x %o %p %%, l/ll/z, width, 0, -). */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
void kprintf(const char *fmt, ...) __printf(1, 2);
/* Prints "unikernel: panic: ..." and exits with EXIT_PANIC. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;

#endif
