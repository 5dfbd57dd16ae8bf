/* dns_msg.c - DNS query parser and reply writer (dns_msg.h). */
#include "dns_msg.h"

#include <string.h>

#define HDR 12
#define FLAG_QR 0x8000
#define FLAG_AA 0x0400
#define FLAG_RD 0x0100
#define MAX_HOPS 16 /* compression pointers followed in one name */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The name at msg[*off]: its text in `name` (lower case), *off moved past
 * it in the message (past the first pointer when compressed).  0, or -1
 * for a name that runs out of the message, loops, or is too long. */
static int read_name(const uint8_t *msg, size_t n, size_t *off, char *name)
{
	size_t pos = *off, len = 0, end = 0;
	int hops = 0, jumped = 0;

	for (;;) {
		uint8_t c;

		if (pos >= n)
			return -1;
		c = msg[pos];
		if (c == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= n || ++hops > MAX_HOPS)
				return -1;
			to = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (to >= pos) /* only backwards: no loop can last */
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = 1;
			pos = to;
			continue;
		}
		if (c & 0xc0) /* 0x40, 0x80: extended label types */
			return -1;
		if (pos + 1 + c > n || len + (len ? 1 : 0) + c > DNS_NAME_MAX)
			return -1;
		if (len)
			name[len++] = '.';
		for (size_t i = 0; i < c; i++) {
			uint8_t ch = msg[pos + 1 + i];

			/* a dot or NUL inside a label could not be told apart */
			if (ch == '.' || ch == 0)
				return -1;
			name[len++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
		pos += 1 + (size_t)c;
	}
	name[len] = '\0';
	*off = end;
	return 0;
}

int dns_parse_query(const uint8_t *msg, size_t n, struct dns_query *q)
{
	size_t off = HDR;

	memset(q, 0, sizeof(*q));
	if (n < HDR)
		return -1;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	q->opcode = (q->flags >> 11) & 0xf;
	if (q->flags & FLAG_QR)
		return -1;
	if (q->opcode != 0)
		return DNS_RCODE_NOTIMP;
	if (get16(msg + 4) != 1) /* one question, as every resolver sends */
		return DNS_RCODE_FORMERR;
	if (read_name(msg, n, &off, q->name) || off + 4 > n) {
		q->name[0] = '\0';
		return DNS_RCODE_FORMERR;
	}
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	q->question_end = off + 4;
	return 0;
}

/* Writes name as labels: the length, or 0 when it does not fit. */
static size_t write_name(const char *name, uint8_t *out, size_t cap)
{
	size_t w = 0;
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		if (l == 0 || l > 63 || w + 1 + l >= cap)
			return 0;
		out[w++] = (uint8_t)l;
		memcpy(out + w, p, l);
		w += l;
		p += l + (dot ? 1 : 0);
		if (dot && !*p)
			return 0;
	}
	if (w >= cap)
		return 0;
	out[w++] = 0;
	return w;
}

size_t dns_build_reply(const struct dns_query *q, int rcode, int with_question, const uint8_t *addr,
		       uint8_t *out, size_t cap)
{
	size_t w = HDR;
	uint16_t flags = (uint16_t)(FLAG_QR | FLAG_AA | (q->flags & FLAG_RD) |
				    (q->opcode & 0xf) << 11 | (rcode & 0xf));

	if (cap < HDR)
		return 0;
	memset(out, 0, HDR);
	put16(out, q->id);
	put16(out + 2, flags);
	if (with_question && q->name[0]) {
		size_t l = write_name(q->name, out + w, cap - w);

		if (!l || w + l + 4 > cap)
			return 0;
		w += l;
		put16(out + w, q->qtype);
		put16(out + w + 2, q->qclass);
		w += 4;
		put16(out + 4, 1);
		if (addr) {
			if (w + 16 > cap)
				return 0;
			put16(out + w, 0xc000 | HDR); /* the question's name */
			put16(out + w + 2, DNS_TYPE_A);
			put16(out + w + 4, DNS_CLASS_IN);
			memset(out + w + 6, 0, 4); /* TTL 0: the state changes */
			put16(out + w + 10, 4);
			memcpy(out + w + 12, addr, 4);
			w += 16;
			put16(out + 6, 1);
		}
	}
	return w;
}
