/* byteorder.h - little-endian fields of on-disk structures (ext2, FAT),
 * read and written at any alignment.  x86-64 is little-endian, so these
 * are unaligned loads and stores. */
#ifndef UNIK_RT_BYTEORDER_H
#define UNIK_RT_BYTEORDER_H

#include "kernel.h"

static inline u16 le16(const u8 *p)
{
	u16 v;

	memcpy(&v, p, 2);
	return v;
}

static inline u32 le32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, 4);
	return v;
}

static inline void put16(u8 *p, u16 v)
{
	memcpy(p, &v, 2);
}

static inline void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

#endif
