/* utf8.c - UTF-8 validation and sanitizing copies (utf8.h). */
#include "utf8.h"

#include <string.h>

#include "xalloc.h"

size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0; /* continuation byte, overlong lead 0xc0/0xc1, or > 0xf4 */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0; /* overlong */
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* out of range, or a UTF-16 surrogate */
	return len;
}

int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t len = utf8_seq_len(p + i, n - i);

		if (!len)
			return 0;
		i += len;
	}
	return 1;
}

size_t utf8_sanitize(char *dst, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < n) {
		size_t len = p[i] ? utf8_seq_len(p + i, n - i) : 0;

		if (len) {
			if (o + len >= cap)
				break;
			memcpy(dst + o, p + i, len);
			o += len;
			i += len;
		} else {
			if (o + 4 >= cap)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[p[i] >> 4];
			dst[o++] = hex[p[i] & 15];
			i++;
		}
	}
	dst[o] = '\0';
	return i;
}

char *utf8_sanitize_dup(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(4 * n + 1);

	utf8_sanitize(out, 4 * n + 1, s, n);
	return out;
}
