/* net_chksum.c - the Internet checksum (RFC 1071) for lwIP (LWIP_CHKSUM in
 * lwipopts.h): the one's-complement sum of the 16-bit words of
 * data[0..len), not complemented, in the byte order lwIP's own
 * lwip_standard_chksum returns.  That one adds two bytes a step; this adds
 * eight (the sum does not depend on the word width as long as the carries
 * wrap around, RFC 1071 section 2), which on hvt matters: every ring-0
 * instruction there is emulated on nested KVM, and lwIP's loop was a
 * quarter of the guest's instructions per HTTP request (docs/runtime.md,
 * "Benchmark").  Little-endian x86-64; unaligned loads go through memcpy,
 * so data may start at any address (__builtin_memcpy: the runtime is
 * built -ffreestanding, where a plain memcpy stays a call).  Pure C with no runtime dependency:
 * tests/unit/t_net_chksum.c compiles it for the host against a 16-bit
 * reference. */
#include <stdint.h>

uint16_t unik_net_chksum(const void *data, int len);

/* s + w with the carry out added back in (end-around carry). */
static inline uint64_t add_wrap(uint64_t s, uint64_t w)
{
	s += w;
	return s + (s < w);
}

/* One unaligned 8-byte load (a scalar: an array copy becomes `rep movs`). */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t w;

	__builtin_memcpy(&w, p, 8);
	return w;
}

uint16_t unik_net_chksum(const void *data, int len)
{
	const unsigned char *p = data;
	uint64_t s = 0;
	uint32_t w4;
	uint16_t w2;

	if (len <= 0)
		return 0;
	for (; len >= 32; p += 32, len -= 32) {
		s = add_wrap(s, load64(p));
		s = add_wrap(s, load64(p + 8));
		s = add_wrap(s, load64(p + 16));
		s = add_wrap(s, load64(p + 24));
	}
	for (; len >= 8; p += 8, len -= 8)
		s = add_wrap(s, load64(p));
	if (len >= 4) {
		__builtin_memcpy(&w4, p, 4);
		s = add_wrap(s, w4);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		__builtin_memcpy(&w2, p, 2);
		s = add_wrap(s, w2);
		p += 2;
		len -= 2;
	}
	if (len) /* the last byte is the first (low, on little-endian) of its word */
		s = add_wrap(s, *p);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}
