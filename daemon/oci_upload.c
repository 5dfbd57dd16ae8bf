/* oci_upload.c - chunked, resumable blob uploads (see oci_upload.h). */
#include "oci_upload.h"

#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "jobs.h"

#define MAX_FAILURES 8 /* failed requests in a row before a blob is given up */
#define HDR_MAX 8192 /* longest header value kept */
#define TOKEN_BODY_MAX (1 << 20)
#define SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt"

struct resp {
	long status;
	CURLcode cc;
	char *location, *range, *www_auth, *min_chunk;
	struct strbuf body;
	char errbuf[CURL_ERROR_SIZE];
};

struct session {
	CURL *c;
	struct job_ctx *jc;
	const struct oci_transfer *t;
	char *base; /* "https://host:port" */
	char *authz; /* "Authorization: ..." or NULL */
	char *cafile; /* a CA bundle of the job, or NULL: the system's */
	double deadline; /* monotonic seconds */
	/* the body of the request under way: `len` bytes of `fd` from `off` */
	int fd;
	long long off, len, pos;
	/* progress of the blob under way */
	const char *blob;
	long long blob_size, blob_base;
	long long last_progress;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void resp_init(struct resp *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body);
}

static void resp_release(struct resp *r)
{
	free(r->location);
	free(r->range);
	free(r->www_auth);
	free(r->min_chunk);
	strbuf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

/* "Name: value\r\n" -> value of the headers we read. */
static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	struct resp *r = p;
	size_t len = size * n, klen;
	const char *colon = memchr(buf, ':', len);
	char **slot = NULL;

	if (len > 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (after a 100) */
		free(r->location);
		free(r->range);
		free(r->www_auth);
		free(r->min_chunk);
		r->location = r->range = r->www_auth = r->min_chunk = NULL;
		return len;
	}
	if (!colon)
		return len;
	klen = (size_t)(colon - buf);
	if (klen == 8 && !strncasecmp(buf, "Location", 8))
		slot = &r->location;
	else if (klen == 5 && !strncasecmp(buf, "Range", 5))
		slot = &r->range;
	else if (klen == 16 && !strncasecmp(buf, "WWW-Authenticate", 16))
		slot = &r->www_auth;
	else if (klen == 20 && !strncasecmp(buf, "OCI-Chunk-Min-Length", 20))
		slot = &r->min_chunk;
	if (slot && !*slot) {
		const char *v = colon + 1, *end = buf + len;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			end--;
		if ((size_t)(end - v) <= HDR_MAX)
			*slot = xstrndup(v, (size_t)(end - v));
	}
	return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *p)
{
	struct resp *r = p;

	if (r->body.len + size * n > TOKEN_BODY_MAX)
		return 0; /* too long: the transfer fails */
	strbuf_add(&r->body, buf, size * n);
	return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *p)
{
	struct session *s = p;
	long long want = (long long)(size * n), left = s->len - s->pos;
	ssize_t got;

	if (want > left)
		want = left;
	if (want <= 0)
		return 0;
	got = pread(s->fd, buf, (size_t)want, s->off + s->pos);
	if (got <= 0)
		return CURL_READFUNC_ABORT;
	s->pos += got;
	return (size_t)got;
}

static void progress(struct session *s, long long done, int force)
{
	if (!s->blob || (!force && done - s->last_progress < (1LL << 20)))
		return;
	s->last_progress = done;
	jobs_progress(s->jc, s->blob, done, s->blob_size);
}

static int on_xfer(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	struct session *s = p;
	struct unik_err e = UNIK_ERR_INIT;

	if (jobs_stopped(s->jc, &e) || now_s() > s->deadline)
		return 1; /* stops the transfer */
	if (s->blob && s->len > 0)
		progress(s, s->blob_base + (long long)ulnow, 0);
	return 0;
}

/* One request.  `fd` >= 0: the body is `len` bytes of it from `off`. */
static void request(struct session *s, const char *method, const char *url, struct curl_slist *hdrs,
		    int fd, long long off, long long len, struct resp *r)
{
	CURL *c = s->c;
	struct curl_slist *h = NULL;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L); /* stalled 60 s: failed */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "unikd/" UNIK_VERSION);
	if (s->t->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (s->cafile) {
		curl_easy_setopt(c, CURLOPT_CAINFO, s->cafile);
	}
	for (struct curl_slist *x = hdrs; x; x = x->next)
		h = curl_slist_append(h, x->data);
	if (s->authz)
		h = curl_slist_append(h, s->authz);
	h = curl_slist_append(h, "Expect:");
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (fd >= 0 || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
		s->fd = fd;
		s->off = off;
		s->len = fd >= 0 ? len : 0;
		s->pos = 0;
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, s);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)s->len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	r->cc = curl_easy_perform(c);
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	s->len = 0;
}

/* The value of `key` in a challenge's "k=v, k="v"" list (caller frees). */
static char *challenge_param(const char *ch, const char *key)
{
	size_t klen = strlen(key);
	const char *p = ch;

	while (*p && *p != ' ') /* the scheme */
		p++;
	while (*p) {
		const char *k;
		struct strbuf v = STRBUF_INIT;
		size_t n;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		k = p;
		while (*p && *p != '=' && *p != ',' && *p != ' ')
			p++;
		n = (size_t)(p - k);
		if (*p != '=')
			continue;
		p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				strbuf_addch(&v, *p);
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				strbuf_addch(&v, *p++);
		}
		if (n == klen && !strncasecmp(k, key, n))
			return strbuf_detach(&v);
		strbuf_release(&v);
	}
	return NULL;
}

static char *basic_value(const struct oci_transfer *t)
{
	char *plain = xasprintf("%s:%s", t->username, t->password), *out;
	size_t len = strlen(plain);
	unsigned char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)len);
	out = xasprintf("Authorization: Basic %s", (char *)b64);
	explicit_bzero(b64, strlen((char *)b64));
	explicit_bzero(plain, len);
	free(b64);
	free(plain);
	return out;
}

static void set_authz(struct session *s, char *value)
{
	if (s->authz) {
		explicit_bzero(s->authz, strlen(s->authz));
		free(s->authz);
	}
	s->authz = value;
}

/* Answers the challenge of a 401: Basic with the credentials, or a Bearer
 * token from the challenge's realm (with the credentials when there are
 * any), scoped to push and pull of our repository. */
static int authenticate(struct session *s, const char *challenge, struct unik_err *err)
{
	const struct oci_transfer *t = s->t;
	char *realm = NULL, *service = NULL, *scope = NULL, *url = NULL, *esc;
	struct resp r;
	json_t *doc = NULL, *tok;
	int rc = -1;

	if (!strncasecmp(challenge, "Basic", 5)) {
		if (!t->username || !t->password)
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the credentials (401): it wants "
					    "some (unik login)");
		if (s->authz && !strncmp(s->authz, "Authorization: Basic", 20))
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the credentials (401)");
		set_authz(s, basic_value(t));
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6))
		return unik_err_set(err, UNIK_E_UNAUTHORIZED,
				    "the registry asks for an authentication unikd does not "
				    "know: %.64s",
				    challenge);
	realm = challenge_param(challenge, "realm");
	service = challenge_param(challenge, "service");
	scope = challenge_param(challenge, "scope");
	if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))) {
		unik_err_set(err, UNIK_E_UNAUTHORIZED, "the registry's token realm is no URL");
		goto out;
	}
	if (!scope)
		scope = xasprintf("repository:%s:pull,push", t->ref.repo);
	{
		struct strbuf u = STRBUF_INIT;

		strbuf_adds(&u, realm);
		strbuf_addch(&u, strchr(realm, '?') ? '&' : '?');
		if (service) {
			esc = curl_easy_escape(s->c, service, 0);
			strbuf_addf(&u, "service=%s&", esc ? esc : "");
			curl_free(esc);
		}
		esc = curl_easy_escape(s->c, scope, 0);
		strbuf_addf(&u, "scope=%s", esc ? esc : "");
		curl_free(esc);
		url = strbuf_detach(&u);
	}
	set_authz(s, t->username && t->password ? basic_value(t) : NULL);
	resp_init(&r);
	request(s, "GET", url, NULL, -1, 0, 0, &r);
	set_authz(s, NULL);
	if (r.cc != CURLE_OK || r.status != 200) {
		int denied = r.cc == CURLE_OK && (r.status == 401 || r.status == 403);

		unik_err_set(err, denied ? UNIK_E_UNAUTHORIZED : UNIK_E_UNAVAILABLE,
			     "%sthe registry's token server %s",
			     denied ? "the registry refused the "
				      "credentials (401): "
				    : "",
			     r.cc != CURLE_OK ? r.errbuf : "answered with an error");
		resp_release(&r);
		goto out;
	}
	doc = json_loadb(strbuf_str(&r.body), r.body.len, 0, NULL);
	resp_release(&r);
	tok = json_object_get(doc, "token");
	if (!json_is_string(tok))
		tok = json_object_get(doc, "access_token");
	if (!json_is_string(tok) || !json_string_length(tok) || json_string_length(tok) > 16384 ||
	    strpbrk(json_string_value(tok), "\r\n")) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "the registry's token server sent no token");
		goto out;
	}
	set_authz(s, xasprintf("Authorization: Bearer %s", json_string_value(tok)));
	rc = 0;
out:
	json_decref(doc);
	free(realm);
	free(service);
	free(scope);
	free(url);
	return rc;
}

/* A request, and once more after answering a 401's challenge. */
static int call(struct session *s, const char *method, const char *url, struct curl_slist *hdrs,
		int fd, long long off, long long len, struct resp *r, struct unik_err *err)
{
	request(s, method, url, hdrs, fd, off, len, r);
	if (r->cc == CURLE_OK && r->status == 401) {
		char *ch = r->www_auth ? xstrdup(r->www_auth) : NULL;

		if (!ch)
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the request (401) without a "
					    "challenge");
		resp_release(r);
		resp_init(r);
		if (authenticate(s, ch, err)) {
			free(ch);
			return -1;
		}
		free(ch);
		request(s, method, url, hdrs, fd, off, len, r);
		if (r->cc == CURLE_OK && r->status == 401)
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the credentials (401)");
	}
	return 0;
}

/* An upload's Location, made absolute (caller frees); NULL if it is none. */
static char *absolute(const struct session *s, const char *loc)
{
	if (!loc || !*loc || strpbrk(loc, "\r\n "))
		return NULL;
	if (!strncmp(loc, "https://", 8) || !strncmp(loc, "http://", 7))
		return xstrdup(loc);
	if (loc[0] == '/' && loc[1] != '/')
		return xasprintf("%s%s", s->base, loc);
	return NULL;
}

/* "0-N" of an upload's status: the bytes it has (N+1), 0 without one. */
static long long range_end(const char *range)
{
	const char *p;
	char *end;
	long long n;

	if (!range)
		return 0;
	p = strchr(range, '-');
	if (!p)
		return 0;
	errno = 0;
	n = strtoll(p + 1, &end, 10);
	if (errno || end == p + 1 || n < 0)
		return 0;
	return n + 1;
}

static void backoff(int failures)
{
	struct timespec ts = { 0, 200000000L * (failures < 5 ? failures : 5) };

	nanosleep(&ts, NULL);
}

static int stopped(struct session *s, struct unik_err *err)
{
	if (jobs_stopped(s->jc, err))
		return -1;
	if (now_s() > s->deadline)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "the push took more than %d s (registry.timeout): stopped",
				    s->t->timeout_s);
	return 0;
}

static int failed(struct session *s, const char *what, const struct resp *r, int *failures,
		  struct unik_err *err)
{
	if (stopped(s, err))
		return -1;
	if (r->cc == CURLE_OK && r->status >= 400 && r->status < 500 && r->status != 408 &&
	    r->status != 416 && r->status != 429 && r->status != 404)
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: the registry answered %ld", what,
				    r->status);
	if (++*failures > MAX_FAILURES)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "%s failed %d times: %s", what,
				    MAX_FAILURES,
				    r->cc != CURLE_OK ? r->errbuf : "the registry answered 5xx");
	if (r->cc != CURLE_OK)
		jobs_step(s->jc, "%s: %s; resuming", what, r->errbuf);
	else
		jobs_step(s->jc, "%s: the registry answered %ld; resuming", what, r->status);
	backoff(*failures);
	return 0;
}

/* Starts an upload; *loc its Location. */
static int begin(struct session *s, long long *chunk, char **loc, int *failures,
		 struct unik_err *err)
{
	char *url = xasprintf("%s/v2/%s/blobs/uploads/", s->base, s->t->ref.repo);
	int rc = -1;

	for (;;) {
		struct resp r;

		resp_init(&r);
		if (call(s, "POST", url, NULL, -1, 0, 0, &r, err)) {
			resp_release(&r);
			break;
		}
		if (r.cc == CURLE_OK && r.status == 202) {
			char *end;
			long long min = r.min_chunk ? strtoll(r.min_chunk, &end, 10) : 0;

			free(*loc);
			*loc = absolute(s, r.location);
			if (min > *chunk && min <= OCI_CHUNK_MAX)
				*chunk = min;
			resp_release(&r);
			if (*loc)
				rc = 0;
			else
				unik_err_set(err, UNIK_E_INTERNAL,
					     "the registry started an upload without a Location");
			break;
		}
		if (failed(s, "starting an upload", &r, failures, err)) {
			resp_release(&r);
			break;
		}
		resp_release(&r);
	}
	free(url);
	return rc;
}

/* How many bytes upload *loc holds (it may move *loc); -1 when it is gone
 * (0 and a new upload in *loc). */
static int status(struct session *s, char **loc, long long *have, struct unik_err *err)
{
	struct resp r;
	int rc = -1;

	resp_init(&r);
	if (call(s, "GET", *loc, NULL, -1, 0, 0, &r, err))
		goto out;
	if (r.cc == CURLE_OK && (r.status == 204 || r.status == 202 || r.status == 200)) {
		char *moved = absolute(s, r.location);

		*have = range_end(r.range);
		if (moved) {
			free(*loc);
			*loc = moved;
		}
		rc = 0;
	} else {
		rc = 1; /* unknown or unreachable: the caller decides */
	}
out:
	resp_release(&r);
	return rc;
}

static int blob_exists(struct session *s, const char *digest, struct unik_err *err)
{
	char *url = xasprintf("%s/v2/%s/blobs/%s", s->base, s->t->ref.repo, digest);
	struct resp r;
	int rc;

	resp_init(&r);
	rc = call(s, "HEAD", url, NULL, -1, 0, 0, &r, err) ? -1
	     : r.cc == CURLE_OK && r.status == 200	   ? 1
							   : 0;
	resp_release(&r);
	free(url);
	return rc;
}

static int upload_blob(struct session *s, const char *path, const char *digest, long long size,
		       long long chunk, struct unik_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), failures = 0, rc = -1;
	char *loc = NULL, *what = xasprintf("blob %.19s", digest);
	long long off = 0;
	long last_status = 0;

	if (fd < 0) {
		free(what);
		return unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", path, strerror(errno));
	}
	s->blob = digest;
	s->blob_size = size;
	s->last_progress = -(1LL << 30);
	if (begin(s, &chunk, &loc, &failures, err))
		goto out;
	while (off < size || size == 0) {
		long long n = size - off < chunk ? size - off : chunk;
		struct curl_slist *h = NULL;
		char cr[64];
		struct resp r;

		if (size == 0)
			break;
		if (stopped(s, err))
			goto out;
		snprintf(cr, sizeof(cr), "Content-Range: %lld-%lld", off, off + n - 1);
		h = curl_slist_append(h, cr);
		h = curl_slist_append(h, "Content-Type: application/octet-stream");
		s->blob_base = off;
		resp_init(&r);
		rc = call(s, "PATCH", loc, h, fd, off, n, &r, err);
		curl_slist_free_all(h);
		if (rc) {
			resp_release(&r);
			goto out;
		}
		rc = -1;
		if (r.cc == CURLE_OK && r.status == 202) {
			char *moved = absolute(s, r.location);

			if (moved) {
				free(loc);
				loc = moved;
			}
			off += n;
			failures = 0;
			progress(s, off, 1);
			resp_release(&r);
			continue;
		}
		last_status = r.cc == CURLE_OK ? r.status : 0;
		if (failed(s, what, &r, &failures, err)) {
			resp_release(&r);
			goto out;
		}
		resp_release(&r);
		/* where is the upload?  on from there, or from the start of a new one */
		{
			long long have = 0;
			int st = status(s, &loc, &have, err);

			if (st < 0)
				goto out;
			if (st > 0 || have > size) {
				jobs_step(s->jc, "%s: the registry lost the upload; starting again",
					  what);
				if (begin(s, &chunk, &loc, &failures, err))
					goto out;
				off = 0;
			} else {
				/* "0-0" is both nothing and one byte: a 416 tells */
				if (have == 1 && last_status != 416)
					have = 0;
				jobs_step(s->jc,
					  "%s: the registry has %lld of %lld bytes; resuming", what,
					  have, size);
				off = have;
			}
		}
	}
	for (;;) {
		char *url = xasprintf("%s%cdigest=%s", loc, strchr(loc, '?') ? '&' : '?', digest);
		struct curl_slist *h =
		    curl_slist_append(NULL, "Content-Type: application/octet-stream");
		struct resp r;
		int c;

		resp_init(&r);
		c = call(s, "PUT", url, h, -1, 0, 0, &r, err);
		curl_slist_free_all(h);
		free(url);
		if (c) {
			resp_release(&r);
			goto out;
		}
		if (r.cc == CURLE_OK && (r.status == 201 || r.status == 204)) {
			resp_release(&r);
			break;
		}
		if (r.cc == CURLE_OK && r.status == 400) {
			resp_release(&r);
			unik_err_set(err, UNIK_E_INTERNAL,
				     "%s: the registry refused its digest (400)", what);
			goto out;
		}
		if (failed(s, what, &r, &failures, err)) {
			resp_release(&r);
			goto out;
		}
		resp_release(&r);
		c = blob_exists(s, digest, err); /* the PUT may have arrived */
		if (c < 0)
			goto out;
		if (c)
			break;
	}
	progress(s, size, 1);
	rc = 0;
out:
	s->blob = NULL;
	free(loc);
	free(what);
	close(fd);
	return rc;
}

/* The job's CA bundle: the request's CA, the daemon's and the system's. */
static int ca_bundle(struct session *s, const char *work, struct unik_err *err)
{
	const struct oci_transfer *t = s->t;
	struct strbuf b = STRBUF_INIT;
	const char *files[] = { t->daemon_ca, SYSTEM_CAS };
	int rc;

	if (!t->ca_cert && !t->daemon_ca)
		return 0;
	if (t->ca_cert) {
		strbuf_adds(&b, t->ca_cert);
		strbuf_addch(&b, '\n');
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct unik_err e = UNIK_ERR_INIT;

		if (!files[i])
			continue;
		if (fs_read_file(files[i], &b, &e)) {
			if (files[i] != t->daemon_ca)
				continue;
			strbuf_release(&b);
			*err = e;
			return unik_err_prefix(err, "registry.ca_cert");
		}
		strbuf_addch(&b, '\n');
	}
	s->cafile = xasprintf("%s/ca-bundle.pem", work);
	rc = fs_write_file_atomic(s->cafile, strbuf_str(&b), b.len, 0600, err);
	strbuf_release(&b);
	return rc;
}

/* https (and, when insecure, http when https fails) to /v2/, answering
 * its challenge. */
static int connect_registry(struct session *s, struct unik_err *err)
{
	const char *schemes[] = { "https", "http" };

	for (int i = 0; i < (s->t->insecure ? 2 : 1); i++) {
		char *url;
		struct resp r;

		free(s->base);
		s->base = xasprintf("%s://%s", schemes[i], s->t->ref.registry);
		url = xasprintf("%s/v2/", s->base);
		resp_init(&r);
		if (call(s, "GET", url, NULL, -1, 0, 0, &r, err)) {
			resp_release(&r);
			free(url);
			return -1;
		}
		free(url);
		if (r.cc == CURLE_OK) {
			long st = r.status;

			resp_release(&r);
			if (st >= 200 && st < 300)
				return 0;
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "%s/v2/ answered %ld: no registry there", s->base, st);
		}
		if (i + 1 == (s->t->insecure ? 2 : 1))
			unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot reach the registry %s: %s",
				     s->t->ref.registry, r.errbuf);
		resp_release(&r);
	}
	return -1;
}

static int hex64(const char *s)
{
	if (strlen(s) != 64)
		return 0;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

int oci_upload_blobs(struct job_ctx *jc, const char *work, const char *layout,
		     const struct oci_transfer *t, long long chunk, struct unik_err *err)
{
	struct session s = { .jc = jc, .t = t, .fd = -1 };
	char *dir = xasprintf("%s/blobs/sha256", layout);
	DIR *dh = NULL;
	struct dirent *de;
	long long sent = 0;
	int rc = -1, n = 0, skipped = 0;

	pthread_once(&curl_once, curl_init);
	s.deadline = now_s() + (t->timeout_s > 0 ? t->timeout_s : OCI_TIMEOUT_DEFAULT);
	s.c = curl_easy_init();
	if (!s.c) {
		unik_err_set(err, UNIK_E_INTERNAL, "curl_easy_init failed");
		goto out;
	}
	if (ca_bundle(&s, work, err) || connect_registry(&s, err))
		goto out;
	dh = opendir(dir);
	if (!dh) {
		unik_err_set(err, UNIK_E_INTERNAL, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(dh))) {
		char *path, *digest;
		struct stat st;
		int have;

		if (!hex64(de->d_name))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		digest = xasprintf("sha256:%s", de->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
			free(digest);
			continue;
		}
		have = blob_exists(&s, digest, err);
		if (have == 0) {
			jobs_step(jc, "uploading blob %.19s (%lld bytes)", digest,
				  (long long)st.st_size);
			if (upload_blob(&s, path, digest, (long long)st.st_size, chunk, err))
				have = -1;
			else
				sent += (long long)st.st_size;
		} else if (have > 0) {
			jobs_step(jc, "blob %.19s is already there", digest);
			skipped++;
		}
		free(path);
		free(digest);
		if (have < 0)
			goto out;
		n++;
	}
	jobs_step(jc, "%d blobs in the registry (%lld bytes uploaded, %d already there)", n, sent,
		  skipped);
	rc = 0;
out:
	if (dh)
		closedir(dh);
	if (s.c)
		curl_easy_cleanup(s.c);
	set_authz(&s, NULL);
	free(s.base);
	if (s.cafile)
		unlink(s.cafile);
	free(s.cafile);
	free(dir);
	return rc;
}
