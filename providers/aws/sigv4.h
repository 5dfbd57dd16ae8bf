/* sigv4.h - AWS Signature Version 4 (AWS4-HMAC-SHA256) request signing.
 *
 * A request (method, path and query as they go on the wire, headers, body) is
 * signed either with an Authorization header or as a presigned URL (the
 * X-Amz-* query parameters).  The signer checks its input (bounded sizes,
 * header names are tokens, no control bytes) and fails with UNIK_E_INVALID
 * on anything it would not put on the wire itself.
 */
#ifndef UNIK_AWS_SIGV4_H
#define UNIK_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/error.h"

#define SIGV4_MAX_HEADERS 128
#define SIGV4_MAX_PATH 8192
#define SIGV4_MAX_QUERY 16384
#define SIGV4_MAX_HEADER 16384 /* one header's name or value */
#define SIGV4_MAX_FIELD 1024 /* access key, region, service, method */
#define SIGV4_MAX_TOKEN 8192 /* session token, secret key */
#define SIGV4_MAX_EXPIRES 604800 /* 7 days, the AWS limit */

struct sigv4_header {
	const char *name;
	/* The raw value: may hold obs-fold continuation lines ("a\r\n  b"). */
	const char *value;
};

struct sigv4_request {
	const char *method;
	const char *path; /* "/a/b", percent-encoded or not, no query */
	const char *query; /* without '?'; NULL or "" for none */
	const struct sigv4_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
};

struct sigv4_params {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /* NULL: none */
	const char *region;
	const char *service;
	time_t when; /* signing time (UTC) */
	bool normalize; /* remove dot segments and empty segments from the path */
	bool no_double_encode; /* S3: the path is already encoded, keep %XX */
	bool content_sha256_header; /* add and sign x-amz-content-sha256 (header form) */
	bool unsigned_payload; /* payload hash is UNSIGNED-PAYLOAD */
	bool omit_session_token; /* add the token after signing, unsigned */
	unsigned expires; /* presigned form: X-Amz-Expires in seconds */
};

/* A header the signer adds to the request (header form), in order. */
struct sigv4_added {
	char *name;
	char *value;
};

struct sigv4_result {
	char *canonical_request;
	char *string_to_sign;
	char signature[65];
	/* Header form: the headers to append, the last one Authorization. */
	struct sigv4_added added[4];
	size_t nadded;
	/* Presigned form: the whole query string to send (without '?'). */
	char *query;
};

/* Header form: fills canonical request, string to sign, signature and the
 * headers to add (X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256,
 * Authorization).  0 or -1 with `err`. */
int sigv4_sign_header(const struct sigv4_request *req, const struct sigv4_params *p,
		      struct sigv4_result *out, struct unik_err *err);
/* Presigned form: as above, but the signature goes in out->query. */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_params *p,
		  struct sigv4_result *out, struct unik_err *err);
void sigv4_result_free(struct sigv4_result *out);

/* Hex SHA-256 of data into hex[65]. */
void sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
