#include "hex.h"

void hex_encode(const void *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = b;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_pct_at(const char *s, size_t n, size_t i)
{
	int hi, lo;

	if (i >= n || s[i] != '%' || i + 2 >= n)
		return -1;
	hi = hex_digit((unsigned char)s[i + 1]);
	lo = hex_digit((unsigned char)s[i + 2]);
	return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}
