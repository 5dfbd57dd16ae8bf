/* utf8.h - UTF-8 validation and a lossless-where-possible sanitizer.
 *
 * Error messages and JSON strings must be valid UTF-8 (jansson refuses
 * anything else), but they often carry bytes from outside: a request path,
 * a file name, a compiler's output.  These helpers check such bytes, and
 * copy them with every byte that is not part of a valid UTF-8 sequence
 * written as the four characters "\xNN".
 */
#ifndef UNIK_UTF8_H
#define UNIK_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s[0..n), or 0 if s does not
 * start one (bad lead byte, bad or missing continuation, overlong form,
 * surrogate, above U+10FFFF).  A NUL byte is a valid one-byte sequence. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

/* 1 if s[0..n) is entirely valid UTF-8 (NUL bytes included). */
int utf8_valid(const char *s, size_t n);

/* Copies s[0..n) into dst (capacity cap >= 1), always NUL-terminated:
 * valid sequences as they are, each invalid byte (and each NUL) as "\xNN".
 * Stops before a character or escape that does not fit, so dst is always
 * valid UTF-8 cut on a character boundary.  Returns the bytes of s that
 * were consumed (n when everything fit). */
size_t utf8_sanitize(char *dst, size_t cap, const char *s, size_t n);

/* The sanitized copy of the C string s, NEW (never NULL; xalloc). */
char *utf8_sanitize_dup(const char *s);

#endif
