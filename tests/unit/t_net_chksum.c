/* t_net_chksum.c - the runtime's Internet checksum (runtime/net/net_chksum.c,
 * compiled here for the host) against a 16-bit reference summed the way
 * lwIP's lwip_standard_chksum sums (native 16-bit words, end-around carry,
 * a last odd byte as the first byte of its word): every length 0..300 at
 * every start offset 0..7, all-0xff data (the carries), random lengths up
 * to 9000, the RFC 1071 example, and negative lengths. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/net/net_chksum.c"
#include "tap.h"

static uint16_t ref_chksum(const unsigned char *p, int len)
{
	uint32_t s = 0;
	uint16_t w;

	for (; len > 1; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		s += w;
	}
	if (len == 1) {
		unsigned char last[2] = { *p, 0 };

		memcpy(&w, last, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int main(void)
{
	static unsigned char buf[9100];
	int off, len, bad = 0, i;

	srand(12345);
	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++)
			bad += unik_net_chksum(buf + off, len) != ref_chksum(buf + off, len);
	is_int(bad, 0, "random data: every length 0..300 at every offset 0..7");

	memset(buf, 0xff, sizeof(buf));
	bad = 0;
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++)
			bad += unik_net_chksum(buf + off, len) != ref_chksum(buf + off, len);
	is_int(bad, 0, "all-0xff data (every add carries)");

	for (i = 0; i < (int)sizeof(buf); i++)
		buf[i] = (unsigned char)rand();
	bad = 0;
	for (i = 0; i < 2000; i++) {
		off = rand() % 64;
		len = rand() % 9000;
		bad += unik_net_chksum(buf + off, len) != ref_chksum(buf + off, len);
	}
	is_int(bad, 0, "2000 random lengths up to 9000");

	/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (big-endian
	 * words), which little-endian words give byte-swapped. */
	{
		const unsigned char ex[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

		is_int(unik_net_chksum(ex, 8), 0xf2dd, "the RFC 1071 example");
	}
	is_int(unik_net_chksum(buf, 0), 0, "length 0");
	is_int(unik_net_chksum(buf, -5), 0, "a negative length sums nothing");
	return tap_done();
}
