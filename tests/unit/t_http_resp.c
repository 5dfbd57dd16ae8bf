/* t_http_resp.c - the CLI's HTTP/1.1 answer reader (cmd/http_resp.c): the
 * three framings, answers split anywhere, interim answers, and the answers
 * it must refuse. */
#include <string.h>

#include "../../cmd/http_resp.h"
#include "../../lib/strbuf.h"
#include "tap.h"

struct got {
	struct strbuf body;
	size_t stop_after; /* stop once this many bytes came (0: never) */
};

static int collect(const char *data, size_t len, void *arg)
{
	struct got *g = arg;

	strbuf_add(&g->body, data, len);
	return g->stop_after && g->body.len >= g->stop_after;
}

/* Feeds `in` in pieces of `step` bytes (0: all at once), then the end of
 * the connection when `eof`.  Returns the last result. */
static int run(const char *in, size_t step, int eof, struct http_resp *r, struct got *g)
{
	size_t len = strlen(in), at = 0;
	int rc = 0;

	strbuf_init(&g->body);
	http_resp_init(r, collect, g);
	while (at < len && !rc) {
		size_t n = step && len - at > step ? step : len - at;

		rc = http_resp_feed(r, in + at, n);
		at += n;
	}
	if (!rc && eof)
		rc = http_resp_eof(r);
	return rc;
}

static void case_ok(const char *title, const char *in, int eof, int status, const char *body)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct http_resp r;
		struct got g = { STRBUF_INIT, 0 };
		int rc = run(in, steps[i], eof, &r, &g);

		ok(rc == 0 && r.state == HTTP_RESP_DONE && r.status == status &&
		       g.body.len == strlen(body) &&
		       !memcmp(g.body.buf ? g.body.buf : "", body, g.body.len),
		   "%s (pieces of %zu): rc %d state %d status %d body '%s' why '%s'", title,
		   steps[i], rc, r.state, r.status, g.body.buf ? g.body.buf : "", r.why);
		http_resp_release(&r);
		strbuf_release(&g.body);
	}
}

static void case_bad(const char *title, const char *in, int eof, const char *why)
{
	struct http_resp r;
	struct got g = { STRBUF_INIT, 0 };
	int rc = run(in, 0, eof, &r, &g);

	ok(rc == -1 && strstr(r.why, why), "%s: refused (%s)", title, r.why);
	http_resp_release(&r);
	strbuf_release(&g.body);
}

int main(void)
{
	struct strbuf big = STRBUF_INIT;
	struct http_resp r;
	struct got g = { STRBUF_INIT, 0 };

	case_ok("Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 200,
		"hello");
	case_ok("bytes after the answer are ignored",
		"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nokEXTRA", 0, 201, "ok");
	case_ok("chunks with an extension and a trailer",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;x=y\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
		0, 200, "hello 0123456789");
	case_ok("chunked wins over Content-Length",
		"HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		"2\r\nab\r\n0\r\n\r\n",
		0, 200, "ab");
	case_ok("to the end of the connection", "HTTP/1.0 200 OK\r\n\r\nstreamed until close", 1,
		200, "streamed until close");
	case_ok(
	    "an interim 100 first",
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnah",
	    0, 404, "nah");
	case_ok("204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", 0, 204, "");
	case_ok("bare newlines", "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", 0, 200, "x");
	case_ok("an empty Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0,
		200, "");

	case_bad("not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", 0, "status line");
	case_bad("a status of two digits", "HTTP/1.1 20 OK\r\n\r\n", 0, "status line");
	case_bad("HTTP/2 framing", "HTTP/2 200\r\n\r\n", 0, "status line");
	case_bad("a signed Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0,
		 "Content-Length");
	case_bad("two different Content-Lengths",
		 "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0,
		 "Content-Length");
	case_bad("a Content-Length past 2^62",
		 "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
		 "Content-Length");
	case_bad("a header without a colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 0, "header");
	case_bad("a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		 0, "chunk size");
	case_bad("a chunk size past 2^62",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000000\r\n", 0,
		 "too large");
	case_bad("no line end after a chunk",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 0, "line end");
	case_bad("cut in the head", "HTTP/1.1 200 OK\r\nContent-Len", 1, "before an answer");
	case_bad("cut in the body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1,
		 "middle");
	case_bad("cut in the chunks",
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", 1, "middle");

	strbuf_adds(&big, "HTTP/1.1 200 OK\r\n");
	while (big.len <= HTTP_RESP_HEAD_MAX)
		strbuf_adds(&big, "X-Filler: 0123456789012345678901234567890123456789\r\n");
	case_bad("a head over 64 KiB", big.buf, 0, "headers longer");
	strbuf_reset(&big);
	strbuf_adds(&big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
	while (big.len < 4096)
		strbuf_adds(&big, "ext=aaaaaaaaaaaaaaaa;");
	case_bad("a chunk line over 1 KiB", big.buf, 0, "chunk line");
	strbuf_release(&big);

	g.stop_after = 3;
	ok(run("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 1, 0, &r, &g) == 1 &&
	       g.body.len == 3,
	   "the body's reader stops the reading: %zu bytes", g.body.len);
	http_resp_release(&r);
	strbuf_release(&g.body);
	return tap_done();
}
