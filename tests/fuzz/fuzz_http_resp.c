/* fuzz_http_resp.c - the CLI's HTTP/1.1 answer reader (cmd/http_resp.c):
 * the input is what a unix socket sent.  The first byte picks how the rest
 * is cut into pieces.
 * Promises checked:
 *   - the same bytes read whole and read in pieces end in the same state,
 *     status, refusal and body (no framing depends on how reads fall);
 *   - the body is never longer than the input;
 *   - after the end of the connection, the reader is done or has refused.
 */
#include <string.h>

#include "../../cmd/http_resp.h"
#include "fuzz.h"

struct sink {
	size_t len;
	unsigned long long sum;
};

static int sink(const char *data, size_t len, void *arg)
{
	struct sink *s = arg;

	for (size_t i = 0; i < len; i++)
		s->sum = s->sum * 31 + (unsigned char)data[i];
	s->len += len;
	return 0;
}

static int feed(struct http_resp *r, struct sink *s, const char *data, size_t size, unsigned step)
{
	size_t at = 0;
	int rc = 0;

	http_resp_init(r, sink, s);
	while (at < size && !rc) {
		size_t n = step && size - at > step ? step : size - at;

		rc = http_resp_feed(r, data + at, n);
		at += n;
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_resp whole, parts;
	struct sink a = { 0, 0 }, b = { 0, 0 };
	unsigned step;
	int ra, rb;

	if (!size)
		return 0;
	step = data[0] % 17 + 1;
	data++;
	size--;
	ra = feed(&whole, &a, (const char *)data, size, 0);
	rb = feed(&parts, &b, (const char *)data, size, step);
	FUZZ_CHECK(ra == rb && whole.state == parts.state && whole.status == parts.status &&
		       a.len == b.len && a.sum == b.sum,
		   "whole: rc %d state %d status %d body %zu; in pieces of %u: rc %d state %d "
		   "status %d body %zu",
		   ra, whole.state, whole.status, a.len, step, rb, parts.state, parts.status,
		   b.len);
	FUZZ_CHECK(ra != -1 || !strcmp(whole.why, parts.why), "refusals differ: '%s' / '%s'",
		   whole.why, parts.why);
	FUZZ_CHECK(a.len <= size, "a body of %zu from %zu bytes", a.len, size);
	if (ra == 0) {
		int e = http_resp_eof(&whole);

		FUZZ_CHECK((e == 0 && whole.state == HTTP_RESP_DONE) ||
			       (e == -1 && whole.state == HTTP_RESP_BAD),
			   "after the end: rc %d state %d", e, whole.state);
	}
	http_resp_release(&whole);
	http_resp_release(&parts);
	return 0;
}
