/* ebs_http.h - one signed EBS direct API request on a libcurl easy handle
 * (driven by a multi handle: providers/aws/ebs_upload.c), its answer, and
 * what the answer means for a retry.  Internal to providers/aws/ebs*.c. */
#ifndef UNIK_AWS_EBS_HTTP_H
#define UNIK_AWS_EBS_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "lib/error.h"
#include "lib/strbuf.h"
#include "providers/aws/aws_creds.h"

#define EBS_MAX_ANSWER (4u << 20) /* a ListSnapshotBlocks page of 10000 is ~1.5 MB */

/* Where requests go and who signs them. */
struct ebs_target {
	char *base; /* "https://ebs.us-east-1.amazonaws.com", no trailing '/' */
	char *host; /* its Host header: "ebs.us-east-1.amazonaws.com" */
	const struct aws_creds *creds;
	const char *region;
	unsigned request_timeout_s;
};

enum ebs_verdict {
	EBS_OK, /* 2xx */
	EBS_RETRY, /* throttled, 5xx, connection trouble: try again after a backoff */
	EBS_GONE, /* 404: the snapshot is not there (any more) */
	EBS_FATAL, /* anything else: the error is in `err` */
};

struct ebs_call {
	/* the request (borrowed) */
	const char *op; /* "PutSnapshotBlock", for messages */
	const char *method;
	const char *path;
	const char *query; /* NULL: none */
	const char *content_type; /* NULL: none */
	const char *hdr_names[6];
	const char *hdr_values[6];
	size_t nhdrs;
	const void *body;
	size_t body_len;
	/* a 404 is tried again too (up to the attempts): right after
	 * StartSnapshot EBS may not know the snapshot yet (eventual
	 * consistency); only when it stays is the snapshot gone */
	int retry_gone;
	/* sign with UNSIGNED-PAYLOAD (PutSnapshotBlock: botocore's model gives
	 * it "v4-unsigned-body"; the signed x-amz-Checksum covers the block) */
	int unsigned_payload;
	/* the answer */
	long status;
	CURLcode curl_rc;
	struct strbuf answer;
	char error_type[96]; /* x-amzn-ErrorType or the body's __type, without ":url" */
	char checksum[72]; /* the answer's x-amz-Checksum */
	struct curl_slist *headers; /* owned while the request runs */
};

void ebs_call_init(struct ebs_call *c);
void ebs_call_release(struct ebs_call *c);
/* Adds a signed header (name and value borrowed). */
void ebs_call_header(struct ebs_call *c, const char *name, const char *value);
/* Signs the request now and sets it on `easy` (reset first). */
int ebs_call_prepare(const struct ebs_target *t, struct ebs_call *c, CURL *easy,
		     struct unik_err *err);
/* After the transfer (curl_rc and status filled by the caller): what the
 * answer means; for EBS_FATAL and EBS_GONE, and for EBS_RETRY too (the
 * last one is reported when the attempts run out), `err` says what failed. */
enum ebs_verdict ebs_call_verdict(struct ebs_call *c, struct unik_err *err);

/* The endpoint: opts' override ("http(s)://host[:port]", optional '/'), or
 * AWS's for the region. */
int ebs_target_init(struct ebs_target *t, const char *endpoint, const char *region,
		    const struct aws_creds *creds, unsigned request_timeout_s,
		    struct unik_err *err);
void ebs_target_release(struct ebs_target *t);

#endif
