/* oci_registry.h - unikd's own HTTP session with an OCI registry (docs/oci.md,
 * "Engine"): the registry found (https, http when insecure), the TLS trust
 * (the request's and the daemon's CA with the system's), and the auth
 * negotiation: a 401's challenge answered with Basic credentials or a Bearer
 * token fetched from the challenge's realm, the token kept for the session's
 * later requests.  The blob upload (oci_upload.c) and the pull
 * (oci_pull.c) run their requests through it. */
#ifndef UNIKD_OCI_REGISTRY_H
#define UNIKD_OCI_REGISTRY_H

#include <curl/curl.h>

#include "../lib/error.h"
#include "../lib/strbuf.h"
#include "oci_skopeo.h"

struct job_ctx;

/* One answer: status, the headers we read, a small body (at most 1 MiB)
 * or, with `sink`, a 200's body streamed to it. */
struct reg_resp {
	long status; /* of the last response head (after a 100) */
	CURLcode cc;
	char *location, *range, *www_auth, *min_chunk, *content_type, *digest;
	struct strbuf body;
	char errbuf[CURL_ERROR_SIZE];
	/* a 2xx body goes here instead of `body`; a nonzero return stops it */
	int (*sink)(void *arg, const char *buf, size_t n);
	void *sink_arg;
};

struct reg_session {
	CURL *c;
	struct job_ctx *jc;
	const struct oci_transfer *t;
	const char *actions; /* the token scope's actions: "pull" or "pull,push" */
	char *base; /* "https://host:port" */
	char *authz; /* "Authorization: ..." (the cached token or Basic) or NULL */
	char *cafile; /* a CA bundle of the job, or NULL: the system's */
	double deadline; /* monotonic seconds */
	/* the body of the request under way: `len` bytes of `fd` from `off` */
	int fd;
	long long off, len, pos;
	/* progress of the blob under way (up- or download) */
	const char *blob;
	long long blob_size, blob_base, last_progress;
};

void reg_resp_init(struct reg_resp *r);
void reg_resp_release(struct reg_resp *r);

/* Opens a session with the registry of t->ref for `actions` ("pull" or
 * "pull,push"): the CA bundle in `work`, GET /v2/ and its challenge
 * answered.  UNAUTHORIZED when the registry refuses the credentials,
 * UNAVAILABLE when it cannot be reached.  reg_close in any case. */
int reg_open(struct reg_session *s, struct job_ctx *jc, const struct oci_transfer *t,
	     const char *work, const char *actions, struct unik_err *err);
void reg_close(struct reg_session *s);

/* A request (a 401 answered once: Basic, or a new token; oci_auth.c);
 * `fd` >= 0: the body is `len` bytes of it from `off`.  -1 only for refused
 * credentials; a transport error or another status is in *r for the
 * caller. */
int reg_call(struct reg_session *s, const char *method, const char *url, struct curl_slist *hdrs,
	     int fd, long long off, long long len, struct reg_resp *r, struct unik_err *err);

/* One request as it is, the session's Authorization with it (no 401
 * answered; oci_registry.c). */
void reg_request(struct reg_session *s, const char *method, const char *url,
		 struct curl_slist *hdrs, int fd, long long off, long long len, struct reg_resp *r);
/* Replaces the session's Authorization header (wiped; NULL: none). */
void reg_set_authz(struct reg_session *s, char *value);

/* A Location made absolute (caller frees); NULL if it is none. */
char *reg_absolute(const struct reg_session *s, const char *loc);
/* A "progress" event of the blob under way: at least every MiB, or `force`. */
void reg_progress(struct reg_session *s, long long done, int force);
/* -1 with the reason when the job was cancelled or registry.timeout passed. */
int reg_stopped(struct reg_session *s, struct unik_err *err);

#endif
