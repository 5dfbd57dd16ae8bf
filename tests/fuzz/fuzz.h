/* fuzz.h - what the libFuzzer targets of tests/fuzz share.
 *
 * A target is one LLVMFuzzerTestOneInput() over one parser of outside
 * input.  Memory errors and undefined behaviour are caught by ASan/UBSan;
 * FUZZ_CHECK() states the parser's own promises (a round trip that holds, an
 * error that can be sent, nothing written outside a folder) and aborts with
 * the broken promise named, so libFuzzer saves the input as a crash.
 */
#ifndef UNIK_FUZZ_H
#define UNIK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: broken promise: ", __FILE__, __LINE__);      \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* 1 if s[0..len) is valid UTF-8 without NUL bytes: a string that can reach
 * the daemon inside a JSON document (jansson refuses anything else). */
static inline int fuzz_json_string_ok(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint8_t c = s[i];
		size_t n = c < 0x80		? 1
			   : (c & 0xe0) == 0xc0 ? 2
			   : (c & 0xf0) == 0xe0 ? 3
			   : (c & 0xf8) == 0xf0 ? 4
						: 0;
		uint32_t cp;

		if (!c || !n || n > len - i)
			return 0;
		cp = n == 1 ? c : c & (0x7f >> n);
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n;
	}
	return 1;
}

/* A NUL-terminated copy of data[0..size) (free() it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		__builtin_memcpy(s, data, size);
	s[size] = 0;
	return s;
}

/* Makes the checksum of every ustar header block of a tar right (after a
 * mutation: so mutations reach the reader rather than its checksum test). */
static inline void fuzz_tar_fix_checksums(uint8_t *data, size_t size)
{
	for (size_t off = 0; off + 512 <= size; off += 512) {
		uint8_t *h = data + off;
		unsigned sum = 0;
		char field[8];

		if (__builtin_memcmp(h + 257, "ustar", 5))
			continue;
		__builtin_memset(h + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += h[i];
		snprintf(field, sizeof(field), "%06o", sum & 0777777);
		__builtin_memcpy(h + 148, field, 6);
		h[154] = 0;
		h[155] = ' ';
	}
}

#endif
