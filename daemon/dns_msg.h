/* dns_msg.h - the DNS messages of unikd's responder (daemon/dns.c): a
 * query read from the network (hostile input: every length and pointer
 * checked, compression loops cut) and the reply made for it (RFC 1035). */
#ifndef UNIKD_DNS_MSG_H
#define UNIKD_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define DNS_TYPE_A 1
#define DNS_CLASS_IN 1
#define DNS_RCODE_OK 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_NAME_MAX 255 /* the text form, without the final dot */

struct dns_query {
	uint16_t id;
	uint16_t flags; /* of the query: RD is echoed */
	int opcode;
	char name[DNS_NAME_MAX + 1]; /* lower case, dot-separated, no final dot */
	uint16_t qtype, qclass;
	size_t question_end; /* offset after the question in the message */
};

/* Reads a query of n bytes: 0 with q filled; DNS_RCODE_FORMERR or
 * DNS_RCODE_NOTIMP when the header is readable but the rest is not
 * answerable (q->id, flags and opcode are set: reply with that code and no
 * question); -1 for what gets no reply at all (shorter than a header, or a
 * response). */
int dns_parse_query(const uint8_t *msg, size_t n, struct dns_query *q);

/* Writes the reply to q into out (cap bytes): rcode, the question echoed
 * when q->name is set (rcode 0 or NXDOMAIN), and an A record of addr (4
 * bytes, network order) with TTL 0 when addr is not NULL.  The length, or
 * 0 when cap is too small. */
size_t dns_build_reply(const struct dns_query *q, int rcode, int with_question, const uint8_t *addr,
		       uint8_t *out, size_t cap);

#endif
