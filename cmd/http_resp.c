/* http_resp.c - an HTTP/1.1 response read piece by piece (see http_resp.h). */
#include "http_resp.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SIZE_MAX_BODY (1ULL << 62)

void http_resp_init(struct http_resp *r, http_resp_body_fn fn, void *arg)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->line);
	r->fn = fn;
	r->arg = arg;
}

void http_resp_release(struct http_resp *r)
{
	strbuf_release(&r->line);
}

__attribute__((format(printf, 2, 3))) static int bad(struct http_resp *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	r->state = HTTP_RESP_BAD;
	return -1;
}

/* Decimal digits only, no sign, no overflow. */
static int parse_dec(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (SIZE_MAX_BODY - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A header's value without the blanks around it. */
static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Does a Transfer-Encoding value end with the coding "chunked"? */
static int ends_chunked(const char *v, size_t n)
{
	const char *comma = NULL;

	for (size_t i = 0; i < n; i++)
		if (v[i] == ',')
			comma = v + i;
	if (comma) {
		n -= (size_t)(comma + 1 - v);
		v = comma + 1;
	}
	trim(&v, &n);
	return n == 7 && !strncasecmp(v, "chunked", 7);
}

/* The head is r->line (its blank line included).  Sets the framing. */
static int parse_head(struct http_resp *r)
{
	const char *p = r->line.buf, *end = p + r->line.len, *eol;
	int have_len = 0, chunked = 0, te = 0;
	unsigned long long len = 0;

	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol || eol - p < 12 || strncmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' ||
	    p[11] > '9' || (eol - p > 12 && p[12] != ' ' && p[12] != '\r'))
		return bad(r, "not an HTTP/1.x status line");
	r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (p = eol + 1; p < end; p = eol + 1) {
		const char *colon, *v;
		size_t n, vn;

		eol = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)(eol - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (!n)
			break; /* the blank line */
		colon = memchr(p, ':', n);
		if (!colon || colon == p)
			return bad(r, "a header line without a name");
		v = colon + 1;
		vn = n - (size_t)(v - p);
		trim(&v, &vn);
		if ((size_t)(colon - p) == 14 && !strncasecmp(p, "Content-Length", 14)) {
			unsigned long long l;

			if (parse_dec(v, vn, &l) || (have_len && l != len))
				return bad(r, "a bad Content-Length");
			have_len = 1;
			len = l;
		} else if ((size_t)(colon - p) == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
			te = 1;
			chunked = ends_chunked(v, vn);
		}
	}
	if (r->status < 200) {
		/* 1xx: an interim answer; the real one follows */
		strbuf_reset(&r->line);
		return 0;
	}
	strbuf_reset(&r->line);
	if (r->status == 204 || r->status == 304) {
		r->state = HTTP_RESP_DONE;
	} else if (te && !chunked) {
		r->until_close = 1; /* RFC 9112 6.3: read to the end */
		r->state = HTTP_RESP_BODY;
	} else if (chunked) {
		r->state = HTTP_RESP_CHUNK_SIZE;
	} else if (have_len) {
		r->left = len;
		r->state = len ? HTTP_RESP_BODY : HTTP_RESP_DONE;
	} else {
		r->until_close = 1;
		r->state = HTTP_RESP_BODY;
	}
	return 0;
}

/* Reads the head up to its blank line.  Returns the bytes used. */
static size_t feed_head(struct http_resp *r, const char *data, size_t len, int *rc)
{
	size_t used = 0;

	while (used < len && r->state == HTTP_RESP_HEAD) {
		const char *nl = memchr(data + used, '\n', len - used);
		size_t take = nl ? (size_t)(nl - (data + used)) + 1 : len - used;
		const char *prev = r->line.len ? memrchr(r->line.buf, '\n', r->line.len) : NULL;
		size_t start = prev ? (size_t)(prev - r->line.buf) + 1 : 0, n;

		if (r->line.len + take > HTTP_RESP_HEAD_MAX) {
			*rc = bad(r, "headers longer than %d bytes", HTTP_RESP_HEAD_MAX);
			return used;
		}
		strbuf_add(&r->line, data + used, take);
		used += take;
		if (!nl)
			break;
		/* a line ended: the blank one ends the head */
		n = r->line.len - start;
		if ((n == 1 || (n == 2 && r->line.buf[start] == '\r')) && parse_head(r)) {
			*rc = -1;
			return used;
		}
	}
	return used;
}

/* A whole line (without its newline) of the chunk framing. */
static int chunk_line(struct http_resp *r)
{
	const char *s = r->line.buf ? r->line.buf : "";
	size_t n = r->line.len, i = 0;
	unsigned long long v = 0;

	if (n && s[n - 1] == '\r')
		n--;
	if (r->state == HTTP_RESP_CHUNK_END) {
		if (n)
			return bad(r, "no line end after a chunk");
		r->state = HTTP_RESP_CHUNK_SIZE;
		return 0;
	}
	if (r->state == HTTP_RESP_TRAILER) {
		if (!n)
			r->state = HTTP_RESP_DONE;
		return 0;
	}
	for (; i < n; i++) {
		int d;

		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			d = (s[i] | 0x20) - 'a' + 10;
		else
			break;
		if (v > (SIZE_MAX_BODY >> 4))
			return bad(r, "a chunk too large");
		v = v * 16 + (unsigned)d;
	}
	if (!i || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
		return bad(r, "a bad chunk size");
	r->left = v;
	r->state = v ? HTTP_RESP_CHUNK_DATA : HTTP_RESP_TRAILER;
	return 0;
}

int http_resp_feed(struct http_resp *r, const char *data, size_t len)
{
	int rc = 0;

	while (len && !rc) {
		size_t used = 0;

		switch (r->state) {
		case HTTP_RESP_HEAD: used = feed_head(r, data, len, &rc); break;
		case HTTP_RESP_BODY:
		case HTTP_RESP_CHUNK_DATA: {
			size_t take = len;

			if (!r->until_close && take > r->left)
				take = (size_t)r->left;
			if (take && r->fn && r->fn(data, take, r->arg))
				rc = 1;
			used = take;
			if (!r->until_close) {
				r->left -= take;
				if (!r->left)
					r->state = r->state == HTTP_RESP_BODY ? HTTP_RESP_DONE
									      : HTTP_RESP_CHUNK_END;
			}
			break;
		}
		case HTTP_RESP_CHUNK_SIZE:
		case HTTP_RESP_CHUNK_END:
		case HTTP_RESP_TRAILER: {
			const char *nl = memchr(data, '\n', len);
			size_t take = nl ? (size_t)(nl - data) : len;

			if (r->line.len + take > HTTP_RESP_LINE_MAX)
				return bad(r, "a chunk line longer than %d bytes",
					   HTTP_RESP_LINE_MAX);
			strbuf_add(&r->line, data, take);
			used = take;
			if (nl) {
				used++;
				rc = chunk_line(r);
				strbuf_reset(&r->line);
			}
			break;
		}
		case HTTP_RESP_DONE: return 0;
		case HTTP_RESP_BAD: return -1;
		}
		data += used;
		len -= used;
	}
	return rc;
}

int http_resp_eof(struct http_resp *r)
{
	if (r->state == HTTP_RESP_DONE || (r->state == HTTP_RESP_BODY && r->until_close))
		return r->state = HTTP_RESP_DONE, 0;
	if (r->state == HTTP_RESP_BAD)
		return -1;
	return bad(r, r->state == HTTP_RESP_HEAD
			  ? "the connection closed before an answer"
			  : "the connection closed in the middle of the answer");
}
