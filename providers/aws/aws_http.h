/* aws_http.h - one signed AWS request over libcurl, with retries.
 *
 * A request (method, URL, headers, body) is signed with providers/aws/sigv4.h
 * at every attempt (a fresh X-Amz-Date) and sent over HTTPS (plain HTTP only
 * to a loopback endpoint: the tests' contract endpoint).  Throttling
 * (HTTP 429, or an error code the caller's classifier calls throttling:
 * EC2's RequestLimitExceeded, Throttling), 5xx answers and connection errors
 * are retried with exponential backoff and full jitter, at most
 * `max_attempts` times in all.  Answers are bounded (AWS_HTTP_MAX_BODY).
 */
#ifndef UNIK_AWS_HTTP_H
#define UNIK_AWS_HTTP_H

#include <stddef.h>

#include "lib/error.h"
#include "lib/strbuf.h"
#include "providers/aws/sigv4.h"

#define AWS_HTTP_MAX_BODY (8 << 20) /* the largest answer kept */
#define AWS_HTTP_MAX_URL 8192

/* Where requests go and as whom.  All borrowed. */
struct aws_client {
	const char *access_key, *secret_key, *session_token; /* token may be NULL */
	const char *region;
	/* The endpoint override ("http://127.0.0.1:8080", "https://host"), or
	 * NULL: https://<service>.<region>.amazonaws.com. */
	const char *endpoint;
	int connect_timeout_ms, timeout_ms; /* 0: 5000, 60000 */
	int max_attempts; /* 0: 6 */
	int backoff_base_ms, backoff_cap_ms; /* 0: 200, 20000 */
	/* Tests: called instead of sleeping between attempts (NULL: sleep). */
	void (*sleep_ms)(void *ctx, int ms);
	void *sleep_ctx;
};

struct aws_http_req {
	const char *method; /* "POST", "GET", "PUT" */
	const char *service; /* signing name and endpoint prefix: "ec2", "ebs" */
	const char *path; /* "/" or "/snapshots/snap-1/blocks/0" (no query) */
	const char *query; /* without '?', or NULL */
	/* Extra headers (Content-Type, ...); Host and the signer's are added. */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
	int content_sha256_header; /* send and sign x-amz-content-sha256 */
	int unsigned_payload; /* sign UNSIGNED-PAYLOAD */
	/* Is this answer one to retry (throttling)?  Besides 429 and 5xx,
	 * which are always retried.  NULL: no more. */
	int (*retryable)(long status, const struct strbuf *body);
};

struct aws_http_resp {
	long status; /* HTTP status of the last attempt (0: none answered) */
	struct strbuf body; /* its body, NUL-ended */
	char request_id[128]; /* x-amzn-RequestId / x-amz-request-id, or "" */
	char error_type[128]; /* x-amzn-ErrorType, or "" */
	int attempts; /* how many were made */
};

void aws_http_resp_init(struct aws_http_resp *r);
void aws_http_resp_release(struct aws_http_resp *r);

/* Sends `req` (retrying as above).  0 when an answer came (any status:
 * the caller maps error statuses, resp->status); -1 with err when none did
 * (UNAVAILABLE: the endpoint could not be reached or kept failing;
 * INVALID: the request or endpoint is malformed). */
int aws_http_do(const struct aws_client *c, const struct aws_http_req *req,
		struct aws_http_resp *resp, struct unik_err *err);

/* The endpoint's base URL for `service` into buf ("https://ec2.us-east-1.
 * amazonaws.com" or the override without a trailing '/'), and the Host
 * header value (host[:port]).  -1 with INVALID for a malformed override:
 * a scheme other than https, or http to anything but a loopback address. */
int aws_http_endpoint(const struct aws_client *c, const char *service, char *base, size_t base_size,
		      char *host, size_t host_size, struct unik_err *err);

/* The delay before retry `attempt` (1 = the first retry): a random value in
 * [0, min(cap, base * 2^(attempt-1))], from `rnd` (any 32 random bits). */
int aws_backoff_ms(int attempt, int base_ms, int cap_ms, unsigned rnd);

#endif
