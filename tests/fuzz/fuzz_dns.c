/* fuzz_dns.c - the DNS query parser and reply writer of unikd's responder
 * (daemon/dns_msg.c): the input is one datagram from the network.
 * Promises checked:
 *   - a parsed name is lower case, at most 255 characters, has no empty
 *     label and no label over 63, and the question ends inside the input;
 *   - every parsed query gets a reply that fits in 512 bytes, with the same
 *     id, the response bit set, and (with its question) the name written
 *     back as the same labels;
 *   - an error code (FORMERR, NOTIMP) always gets a reply too.
 */
#include <string.h>

#include "../../daemon/dns_msg.h"
#include "fuzz.h"

static void check_name(const char *name)
{
	size_t len = strlen(name), label = 0;

	FUZZ_CHECK(len <= DNS_NAME_MAX, "a name of %zu characters", len);
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			FUZZ_CHECK(len == 0 || (label >= 1 && label <= 63),
				   "a label of %zu bytes in '%s'", label, name);
			label = 0;
			continue;
		}
		FUZZ_CHECK(!(name[i] >= 'A' && name[i] <= 'Z'), "upper case in '%s'", name);
		label++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q;
	uint8_t out[512];
	int rc = dns_parse_query(data, size, &q);
	size_t n;

	if (rc < 0)
		return 0;
	if (rc > 0) {
		FUZZ_CHECK(rc == DNS_RCODE_FORMERR || rc == DNS_RCODE_NOTIMP, "rcode %d", rc);
		n = dns_build_reply(&q, rc, 0, NULL, out, sizeof(out));
		FUZZ_CHECK(n == 12, "an error reply of %zu bytes", n);
		return 0;
	}
	check_name(q.name);
	FUZZ_CHECK(q.question_end <= size, "the question ends at %zu of %zu", q.question_end, size);
	n = dns_build_reply(&q, DNS_RCODE_OK, 1, (const uint8_t *)"\x7f\0\0\1", out, sizeof(out));
	FUZZ_CHECK(n >= 12, "no reply to a parsed query for '%s'", q.name);
	FUZZ_CHECK(out[0] == data[0] && out[1] == data[1], "the reply's id differs");
	FUZZ_CHECK(out[2] & 0x80, "the reply is not a response");
	if (q.name[0]) {
		struct dns_query back;
		uint8_t copy[512];

		/* the reply's question, as a query again, is the same name */
		memcpy(copy, out, n);
		copy[2] &= 0x7f;
		copy[6] = copy[7] = 0;
		FUZZ_CHECK(dns_parse_query(copy, n, &back) == 0 && !strcmp(back.name, q.name) &&
			       back.qtype == q.qtype && back.qclass == q.qclass,
			   "the reply's question is not '%s'", q.name);
	}
	return 0;
}
