/* aws_http.c - one signed AWS request over libcurl, with retries (see
 * aws_http.h). */
#include "providers/aws/aws_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/xalloc.h"

#define DEF_CONNECT_MS 5000
#define DEF_TIMEOUT_MS 60000
#define DEF_ATTEMPTS 6
#define DEF_BASE_MS 200
#define DEF_CAP_MS 20000
#define MAX_ATTEMPTS 20
#define MAX_EXTRA_HEADERS 16

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void aws_http_resp_init(struct aws_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->body);
}

void aws_http_resp_release(struct aws_http_resp *r)
{
	strbuf_release(&r->body);
	memset(r, 0, sizeof(*r));
}

int aws_backoff_ms(int attempt, int base_ms, int cap_ms, unsigned rnd)
{
	long long d = base_ms > 0 ? base_ms : 1;

	for (int i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	return (int)(rnd % (unsigned long long)(d + 1));
}

static int is_loopback(const char *host)
{
	return !strcmp(host, "localhost") || !strncmp(host, "127.", 4) || !strcmp(host, "[::1]");
}

static int host_ok(const char *h, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(h[i] == '.' || h[i] == '-' || h[i] == ':' || h[i] == '[' || h[i] == ']' ||
		      (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
		      (h[i] >= 'A' && h[i] <= 'Z')))
			return 0;
	return 1;
}

int aws_http_endpoint(const struct aws_client *c, const char *service, char *base, size_t base_size,
		      char *host, size_t host_size, struct unik_err *err)
{
	const char *e = c->endpoint, *h;
	size_t n;
	int https;
	char hostname[256];

	if (!e || !*e) {
		if (!c->region || !host_ok(c->region, strlen(c->region)))
			return unik_err_set(err, UNIK_E_INVALID,
					    "aws: no region configured (AWS_REGION, the profile's "
					    "region or aws.region)");
		snprintf(host, host_size, "%s.%s.amazonaws.com", service, c->region);
		snprintf(base, base_size, "https://%s", host);
		return 0;
	}
	https = !strncmp(e, "https://", 8);
	if (!https && strncmp(e, "http://", 7))
		return unik_err_set(err, UNIK_E_INVALID,
				    "aws: endpoint %.200s is not an http(s):// URL", e);
	h = e + (https ? 8 : 7);
	n = strcspn(h, "/");
	if (!host_ok(h, n) || n >= sizeof(hostname) || n >= host_size ||
	    (h[n] && strcmp(h + n, "/")))
		return unik_err_set(err, UNIK_E_INVALID,
				    "aws: endpoint %.200s is not scheme://host[:port][/]", e);
	memcpy(host, h, n);
	host[n] = 0;
	/* the host name without the port, for the loopback check */
	snprintf(hostname, sizeof(hostname), "%s", host);
	if (hostname[0] != '[' && strchr(hostname, ':'))
		*strchr(hostname, ':') = 0;
	else if (hostname[0] == '[' && strchr(hostname, ']'))
		strchr(hostname, ']')[1] = 0;
	if (!https && !is_loopback(hostname))
		return unik_err_set(err, UNIK_E_INVALID,
				    "aws: endpoint %.200s: plain http only to a loopback address",
				    e);
	snprintf(base, base_size, "%s%s", https ? "https://" : "http://", host);
	return 0;
}

struct sink {
	struct strbuf *body;
	int over;
};

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct sink *k = u;

	if (k->body->len + s * n > AWS_HTTP_MAX_BODY) {
		k->over = 1;
		return 0;
	}
	strbuf_add(k->body, d, s * n);
	return s * n;
}

static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), v;

	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	v = nl + 1;
	while (v < len && (line[v] == ' ' || line[v] == '\t'))
		v++;
	while (len > v && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
		len--;
	if (len - v >= size)
		len = v + size - 1;
	for (size_t i = v; i < len; i++)
		out[i - v] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
	out[len - v] = 0;
}

static size_t on_header(char *d, size_t s, size_t n, void *u)
{
	struct aws_http_resp *r = u;

	header_value(d, s * n, "x-amzn-RequestId", r->request_id, sizeof(r->request_id));
	header_value(d, s * n, "x-amz-request-id", r->request_id, sizeof(r->request_id));
	header_value(d, s * n, "x-amzn-ErrorType", r->error_type, sizeof(r->error_type));
	return s * n;
}

/* One attempt: 0 with resp->status set when an answer came, -1 with err
 * (UNAVAILABLE for a connection error, worth retrying; INVALID not). */
static int attempt(const struct aws_client *c, const struct aws_http_req *req, const char *url,
		   const char *host, struct aws_http_resp *resp, struct unik_err *err)
{
	struct sigv4_header hs[MAX_EXTRA_HEADERS + 1];
	struct sigv4_request sr = { 0 };
	struct sigv4_params sp = { 0 };
	struct sigv4_result res;
	struct curl_slist *hl = NULL;
	struct sink sink = { &resp->body, 0 };
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *cu;
	CURLcode cc;
	int rc = -1;

	if (req->nheaders > MAX_EXTRA_HEADERS)
		return unik_err_set(err, UNIK_E_INVALID, "aws: too many headers");
	hs[0].name = "Host";
	hs[0].value = host;
	for (size_t i = 0; i < req->nheaders; i++)
		hs[i + 1] = req->headers[i];
	sr.method = req->method;
	sr.path = req->path;
	sr.query = req->query;
	sr.headers = hs;
	sr.nheaders = req->nheaders + 1;
	sr.body = req->body;
	sr.body_len = req->body_len;
	sp.access_key = c->access_key;
	sp.secret_key = c->secret_key;
	sp.session_token = c->session_token;
	sp.region = c->region;
	sp.service = req->service;
	sp.when = time(NULL);
	sp.normalize = 1;
	sp.content_sha256_header = req->content_sha256_header;
	sp.unsigned_payload = req->unsigned_payload;
	memset(&res, 0, sizeof(res));
	if (sigv4_sign_header(&sr, &sp, &res, err))
		return -1;
	for (size_t i = 0; i < sr.nheaders; i++) {
		char *l = xasprintf("%s: %s", hs[i].name, hs[i].value);

		hl = curl_slist_append(hl, l);
		free(l);
	}
	for (size_t i = 0; i < res.nadded; i++) {
		char *l = xasprintf("%s: %s", res.added[i].name, res.added[i].value);

		hl = curl_slist_append(hl, l);
		free(l);
	}
	/* libcurl adds none of its own that would change what was signed */
	hl = curl_slist_append(hl, "Expect:");
	hl = curl_slist_append(hl, "Accept:");
	sigv4_result_free(&res);
	cu = curl_easy_init();
	if (!cu || !hl) {
		curl_slist_free_all(hl);
		if (cu)
			curl_easy_cleanup(cu);
		return unik_err_set(err, UNIK_E_INTERNAL, "aws: libcurl could not be set up");
	}
	strbuf_reset(&resp->body);
	resp->request_id[0] = resp->error_type[0] = 0;
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body_len || !strcmp(req->method, "POST") || !strcmp(req->method, "PUT")) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, req->body ? (const char *)req->body : "");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(cu, CURLOPT_NOBODY, 1L);
	}
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
	    cu, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(c->connect_timeout_ms > 0 ? c->connect_timeout_ms : DEF_CONNECT_MS));
	curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS,
			 (long)(c->timeout_ms > 0 ? c->timeout_ms : DEF_TIMEOUT_MS));
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, ebuf);
	if (!strncmp(url, "http://", 7)) /* only to loopback (aws_http_endpoint) */
		curl_easy_setopt(cu, CURLOPT_NOPROXY, "*");
	cc = curl_easy_perform(cu);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &resp->status);
		rc = 0;
	} else if (sink.over) {
		unik_err_set(err, UNIK_E_INTERNAL, "aws: %s %s: the answer is over %d bytes",
			     req->method, url, AWS_HTTP_MAX_BODY);
		rc = -2;
	} else {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "aws: %s %s: %s", req->method, url,
			     ebuf[0] ? ebuf : curl_easy_strerror(cc));
	}
	curl_easy_cleanup(cu);
	curl_slist_free_all(hl);
	return rc;
}

static unsigned random32(void)
{
	unsigned r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)clock_now_ms() * 2654435761u;
	return r;
}

int aws_http_do(const struct aws_client *c, const struct aws_http_req *req,
		struct aws_http_resp *resp, struct unik_err *err)
{
	char base[512], host[300], *url;
	int max = c->max_attempts > 0 ? c->max_attempts : DEF_ATTEMPTS;
	int base_ms = c->backoff_base_ms > 0 ? c->backoff_base_ms : DEF_BASE_MS;
	int cap_ms = c->backoff_cap_ms > 0 ? c->backoff_cap_ms : DEF_CAP_MS;

	if (max > MAX_ATTEMPTS)
		max = MAX_ATTEMPTS;
	pthread_once(&curl_once, curl_init);
	if (aws_http_endpoint(c, req->service, base, sizeof(base), host, sizeof(host), err))
		return -1;
	if (!req->path || req->path[0] != '/')
		return unik_err_set(err, UNIK_E_INVALID, "aws: a request path must start with /");
	url = xasprintf("%s%s%s%s", base, req->path, req->query && *req->query ? "?" : "",
			req->query ? req->query : "");
	if (strlen(url) > AWS_HTTP_MAX_URL) {
		free(url);
		return unik_err_set(err, UNIK_E_INVALID, "aws: the request URL is too long");
	}
	resp->attempts = 0;
	for (int i = 1;; i++) {
		int rc, again;

		resp->status = 0;
		resp->attempts = i;
		rc = attempt(c, req, url, host, resp, err);
		if (rc == -1 && err && err->code != UNIK_E_UNAVAILABLE)
			break; /* the request itself is wrong: no retry helps */
		if (rc == -2)
			break;
		again = rc < 0 || resp->status == 429 || resp->status >= 500 ||
			(req->retryable && req->retryable(resp->status, &resp->body));
		if (!again) {
			free(url);
			return 0;
		}
		if (i >= max) {
			free(url);
			if (rc == 0)
				return 0; /* the caller reports the last answer's error */
			return unik_err_prefix(err, "after %d attempts", i);
		}
		{
			int ms = aws_backoff_ms(i, base_ms, cap_ms, random32());

			if (c->sleep_ms)
				c->sleep_ms(c->sleep_ctx, ms);
			else
				clock_sleep_ms(ms);
		}
	}
	free(url);
	return -1;
}
