/* Hexadecimal digits: the one encoder and decoder of the host-side code. */
#ifndef UNIK_LIB_HEX_H
#define UNIK_LIB_HEX_H

#include <stddef.h>

/* Writes the lower-case hex of b[0..n) to out (2n digits and a NUL). */
void hex_encode(const void *b, size_t n, char *out);

/* The value of one hex digit (either case), or -1. */
int hex_digit(int c);

/* The byte a valid "%XX" at s[i] (s is n bytes long) stands for, or -1. */
int hex_pct_at(const char *s, size_t n, size_t i);

#endif
