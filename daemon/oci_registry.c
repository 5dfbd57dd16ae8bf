/* oci_registry.c - unikd's HTTP session with a registry: libcurl, TLS
 * trust, the registry found (see oci_registry.h; its auth in oci_auth.c). */
#include "oci_registry.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/fsutil.h"
#include "../lib/xalloc.h"
#include "jobs.h"

#define HDR_MAX 8192 /* longest header value kept */
#define BODY_MAX (1 << 20) /* a body kept in memory (a token, an error) */
#define SYSTEM_CAS "/etc/ssl/certs/ca-certificates.crt"

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

void reg_resp_init(struct reg_resp *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body);
}

/* Forgets the headers read (a new response head begins). */
static void drop_headers(struct reg_resp *r)
{
	free(r->location);
	free(r->range);
	free(r->www_auth);
	free(r->min_chunk);
	free(r->content_type);
	free(r->digest);
	r->location = r->range = r->www_auth = r->min_chunk = NULL;
	r->content_type = r->digest = NULL;
}

void reg_resp_release(struct reg_resp *r)
{
	drop_headers(r);
	strbuf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

/* "Name: value\r\n" -> value of the headers we read. */
static size_t on_header(char *buf, size_t size, size_t n, void *p)
{
	struct reg_resp *r = p;
	size_t len = size * n, klen;
	const char *colon = memchr(buf, ':', len);
	char **slot = NULL;

	if (len > 5 && !strncmp(buf, "HTTP/", 5)) { /* a new response (after a 100) */
		drop_headers(r);
		r->status = 0;
		{ /* "HTTP/1.1 200 OK": the status, for the body's sink */
			const char *sp = memchr(buf, ' ', len);

			if (sp && (size_t)(sp - buf) + 4 <= len && isdigit((unsigned char)sp[1]) &&
			    isdigit((unsigned char)sp[2]) && isdigit((unsigned char)sp[3]))
				r->status =
				    (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
		}
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
	else if (klen == 12 && !strncasecmp(buf, "Content-Type", 12))
		slot = &r->content_type;
	else if (klen == 21 && !strncasecmp(buf, "Docker-Content-Digest", 21))
		slot = &r->digest;
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
	struct reg_resp *r = p;

	if (r->sink && r->status >= 200 && r->status < 300)
		return r->sink(r->sink_arg, buf, size * n) ? 0 : size * n;
	if (r->body.len + size * n > BODY_MAX)
		return 0; /* too long: the transfer fails */
	strbuf_add(&r->body, buf, size * n);
	return size * n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *p)
{
	struct reg_session *s = p;
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

void reg_progress(struct reg_session *s, long long done, int force)
{
	if (!s->blob || (!force && done - s->last_progress < (1LL << 20)))
		return;
	s->last_progress = done;
	jobs_progress(s->jc, s->blob, done, s->blob_size);
}

static int on_xfer(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	struct reg_session *s = p;
	struct unik_err e = UNIK_ERR_INIT;

	if (jobs_stopped(s->jc, &e) || now_s() > s->deadline)
		return 1; /* stops the transfer */
	if (s->blob && s->len > 0)
		reg_progress(s, s->blob_base + (long long)ulnow, 0);
	return 0;
}

/* One request.  `fd` >= 0: the body is `len` bytes of it from `off`. */
void reg_request(struct reg_session *s, const char *method, const char *url,
		 struct curl_slist *hdrs, int fd, long long off, long long len, struct reg_resp *r)
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
	} else if (!strcmp(method, "GET")) {
		/* blobs may be served from elsewhere (curl sends no Authorization
		 * to another host) */
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
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

/* An upload's Location, made absolute (caller frees); NULL if it is none. */
char *reg_absolute(const struct reg_session *s, const char *loc)
{
	if (!loc || !*loc || strpbrk(loc, "\r\n "))
		return NULL;
	if (!strncmp(loc, "https://", 8) || !strncmp(loc, "http://", 7))
		return xstrdup(loc);
	if (loc[0] == '/' && loc[1] != '/')
		return xasprintf("%s%s", s->base, loc);
	return NULL;
}

int reg_stopped(struct reg_session *s, struct unik_err *err)
{
	if (jobs_stopped(s->jc, err))
		return -1;
	if (now_s() > s->deadline)
		return unik_err_set(err, UNIK_E_UNAVAILABLE,
				    "the %s took more than %d s (registry.timeout): stopped",
				    strchr(s->actions, ',') ? "push" : "pull", s->t->timeout_s);
	return 0;
}

/* The job's CA bundle: the request's CA, the daemon's and the system's. */
static int ca_bundle(struct reg_session *s, const char *work, struct unik_err *err)
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
static int connect_registry(struct reg_session *s, struct unik_err *err)
{
	const char *schemes[] = { "https", "http" };

	for (int i = 0; i < (s->t->insecure ? 2 : 1); i++) {
		char *url;
		struct reg_resp r;

		free(s->base);
		s->base = xasprintf("%s://%s", schemes[i], s->t->ref.registry);
		url = xasprintf("%s/v2/", s->base);
		reg_resp_init(&r);
		if (reg_call(s, "GET", url, NULL, -1, 0, 0, &r, err)) {
			reg_resp_release(&r);
			free(url);
			return -1;
		}
		free(url);
		if (r.cc == CURLE_OK) {
			long st = r.status;

			reg_resp_release(&r);
			if (st >= 200 && st < 300)
				return 0;
			return unik_err_set(err, UNIK_E_UNAVAILABLE,
					    "%s/v2/ answered %ld: no registry there", s->base, st);
		}
		if (i + 1 == (s->t->insecure ? 2 : 1))
			unik_err_set(err, UNIK_E_UNAVAILABLE, "cannot reach the registry %s: %s",
				     s->t->ref.registry, r.errbuf);
		reg_resp_release(&r);
	}
	return -1;
}

int reg_open(struct reg_session *s, struct job_ctx *jc, const struct oci_transfer *t,
	     const char *work, const char *actions, struct unik_err *err)
{
	memset(s, 0, sizeof(*s));
	s->jc = jc;
	s->t = t;
	s->actions = actions;
	s->fd = -1;
	pthread_once(&curl_once, curl_init);
	s->deadline = now_s() + (t->timeout_s > 0 ? t->timeout_s : OCI_TIMEOUT_DEFAULT);
	s->c = curl_easy_init();
	if (!s->c)
		return unik_err_set(err, UNIK_E_INTERNAL, "curl_easy_init failed");
	if (ca_bundle(s, work, err) || connect_registry(s, err))
		return -1;
	return 0;
}

void reg_close(struct reg_session *s)
{
	if (s->c)
		curl_easy_cleanup(s->c);
	reg_set_authz(s, NULL);
	free(s->base);
	if (s->cafile)
		unlink(s->cafile);
	free(s->cafile);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}
