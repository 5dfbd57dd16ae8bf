/* strbuf.h - a growable, always NUL-terminated byte buffer.
 * strbuf_init() allocates nothing; strbuf_release() frees the contents;
 * strbuf_detach() hands the buffer to the caller (free() it). */
#ifndef UNIK_STRBUF_H
#define UNIK_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Makes room for `extra` more bytes (and the terminator) after len. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the contents ("" when empty, never NULL). */
const char *strbuf_str(const struct strbuf *sb);

#endif
