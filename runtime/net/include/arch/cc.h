/* arch/cc.h - lwIP's compiler and platform glue for the unik runtime:
 * freestanding x86-64, little-endian, the runtime's kprintf and panic. */
#ifndef UNIK_LWIP_ARCH_CC_H
#define UNIK_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_INTTYPES_H 1
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

/* Byte swaps inline (one instruction) instead of lwIP's calls to def.c. */
#define lwip_htons(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define lwip_htonl(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* lwIP's messages are parenthesised printf argument lists. */
#define LWIP_PLATFORM_DIAG(x) kprintf x
#define LWIP_PLATFORM_ASSERT(x) panic("lwip: assertion failed: %s (%s:%d)", x, __FILE__, __LINE__)

#endif
