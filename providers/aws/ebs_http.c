/* ebs_http.c - one EBS direct API request: signed with sigv4.c (header
 * form, the payload's hash, or UNSIGNED-PAYLOAD for the blocks, sent as
 * x-amz-content-sha256),
 * handed to libcurl as finished headers; its answer collected (bounded) and
 * judged: OK, try again, snapshot gone, or an error worth reporting. */
#include "providers/aws/ebs_http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/xalloc.h"
#include "providers/aws/sigv4.h"

void ebs_call_init(struct ebs_call *c)
{
	memset(c, 0, sizeof(*c));
	strbuf_init(&c->answer);
}

void ebs_call_release(struct ebs_call *c)
{
	strbuf_release(&c->answer);
	curl_slist_free_all(c->headers);
	c->headers = NULL;
}

void ebs_call_header(struct ebs_call *c, const char *name, const char *value)
{
	if (c->nhdrs >= sizeof(c->hdr_names) / sizeof(c->hdr_names[0]))
		abort(); /* a programming error: the calls are ours */
	c->hdr_names[c->nhdrs] = name;
	c->hdr_values[c->nhdrs++] = value;
}

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct ebs_call *c = u;

	if (c->answer.len + s * n > EBS_MAX_ANSWER)
		return 0;
	strbuf_add(&c->answer, d, s * n);
	return s * n;
}

/* Copies header `name`'s value from the line into out (trimmed, at most
 * outsz-1 bytes) when the line is that header. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
	size_t kl = strlen(name), e;

	if (n <= kl || strncasecmp(line, name, kl) || line[kl] != ':')
		return;
	line += kl + 1;
	n -= kl + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	for (e = n; e && (line[e - 1] == '\r' || line[e - 1] == '\n' || line[e - 1] == ' ');)
		e--;
	if (e >= outsz)
		e = outsz - 1;
	memcpy(out, line, e);
	out[e] = '\0';
}

static size_t on_header(char *d, size_t s, size_t n, void *u)
{
	struct ebs_call *c = u;

	/* a new answer (after a 100 Continue, say) starts over */
	if (s * n > 5 && !strncmp(d, "HTTP/", 5)) {
		c->error_type[0] = '\0';
		c->checksum[0] = '\0';
	}
	header_value(d, s * n, "x-amzn-ErrorType", c->error_type, sizeof(c->error_type));
	header_value(d, s * n, "x-amz-Checksum", c->checksum, sizeof(c->checksum));
	return s * n;
}

int ebs_call_prepare(const struct ebs_target *t, struct ebs_call *c, CURL *easy,
		     struct unik_err *err)
{
	struct sigv4_header h[8];
	struct sigv4_request r = { 0 };
	struct sigv4_params p = { 0 };
	struct sigv4_result out = { 0 };
	struct strbuf line;
	char *url;
	size_t nh = 0;

	h[nh++] = (struct sigv4_header){ "Host", t->host };
	if (c->content_type)
		h[nh++] = (struct sigv4_header){ "Content-Type", c->content_type };
	for (size_t i = 0; i < c->nhdrs; i++)
		h[nh++] = (struct sigv4_header){ c->hdr_names[i], c->hdr_values[i] };
	r.method = c->method;
	r.path = c->path;
	r.query = c->query;
	r.headers = h;
	r.nheaders = nh;
	r.body = c->body;
	r.body_len = c->body_len;
	p.access_key = t->creds->access_key;
	p.secret_key = t->creds->secret_key;
	p.session_token = t->creds->session_token;
	p.region = t->region;
	p.service = "ebs";
	p.when = time(NULL);
	p.content_sha256_header = true;
	p.unsigned_payload = c->unsigned_payload != 0;
	if (sigv4_sign_header(&r, &p, &out, err) < 0)
		return unik_err_prefix(err, "EBS %s: signing", c->op);

	curl_slist_free_all(c->headers);
	c->headers = NULL;
	strbuf_init(&line);
	for (size_t i = 0; i < nh; i++) {
		strbuf_reset(&line);
		strbuf_addf(&line, "%s: %s", h[i].name, h[i].value);
		c->headers = curl_slist_append(c->headers, strbuf_str(&line));
	}
	for (size_t i = 0; i < out.nadded; i++) {
		strbuf_reset(&line);
		strbuf_addf(&line, "%s: %s", out.added[i].name, out.added[i].value);
		c->headers = curl_slist_append(c->headers, strbuf_str(&line));
	}
	/* headers curl would add on its own: none of them signed, none wanted */
	if (!c->content_type)
		c->headers = curl_slist_append(c->headers, "Content-Type:");
	c->headers = curl_slist_append(c->headers, "Expect:");
	c->headers = curl_slist_append(c->headers, "Accept:");
	strbuf_release(&line);
	sigv4_result_free(&out);
	if (!c->headers)
		return unik_err_set(err, UNIK_E_INTERNAL, "EBS %s: out of memory", c->op);

	strbuf_reset(&c->answer);
	c->status = 0;
	c->curl_rc = CURLE_OK;
	c->error_type[0] = '\0';
	c->checksum[0] = '\0';
	url = xasprintf("%s%s%s%s", t->base, c->path, c->query && *c->query ? "?" : "",
			c->query ? c->query : "");
	curl_easy_reset(easy);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	free(url); /* libcurl copies it */
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, c->method);
	if (!strcmp(c->method, "GET")) {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, c->body_len ? c->body : "");
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long)t->request_timeout_s);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "unik/" UNIK_VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, c);
	return 0;
}

static int type_is(const char *t, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(t, *names))
			return 1;
	return 0;
}

enum ebs_verdict ebs_call_verdict(struct ebs_call *c, struct unik_err *err)
{
	static const char *const throttled[] = { "RequestThrottledException",
						 "ThrottlingException",
						 "ThrottledException",
						 "TooManyRequestsException",
						 "ConcurrentLimitExceededException",
						 "SlowDown",
						 "RequestTimeout",
						 "RequestTimeoutException",
						 "InternalServerException",
						 "ServiceUnavailable",
						 "ServiceUnavailableException",
						 NULL };
	static const char *const refused[] = { "AccessDeniedException",
					       "InvalidSignatureException",
					       "UnrecognizedClientException",
					       "SignatureDoesNotMatch",
					       "IncompleteSignature",
					       "IncompleteSignatureException",
					       "ExpiredTokenException",
					       "InvalidClientTokenId",
					       "MissingAuthenticationTokenException",
					       "AuthFailure",
					       NULL };
	const char *msg = "", *reason = "";
	int msg_len = 0;
	json_t *j = NULL;
	enum ebs_verdict v;
	char *colon;

	if (c->curl_rc != CURLE_OK) {
		switch (c->curl_rc) {
		case CURLE_URL_MALFORMAT:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_OUT_OF_MEMORY:
		case CURLE_BAD_FUNCTION_ARGUMENT:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE: v = EBS_FATAL; break;
		case CURLE_WRITE_ERROR:
			unik_err_set(err, UNIK_E_UNAVAILABLE, "EBS %s: an answer over %u bytes",
				     c->op, EBS_MAX_ANSWER);
			return EBS_FATAL;
		default: v = EBS_RETRY;
		}
		unik_err_set(err, UNIK_E_UNAVAILABLE, "EBS %s: %s", c->op,
			     curl_easy_strerror(c->curl_rc));
		return v;
	}
	if (c->status >= 200 && c->status < 300)
		return EBS_OK;
	/* rest-json errors: the type in x-amzn-ErrorType ("Name:url") or the
	 * body's __type ("ns#Name"), the text in message or Message */
	if (c->answer.len) {
		j = json_loadb(c->answer.buf, c->answer.len, 0, NULL);
		if (json_is_object(j)) {
			const char *t = json_string_value(json_object_get(j, "__type"));
			const char *m = json_string_value(json_object_get(j, "message"));

			if (!m)
				m = json_string_value(json_object_get(j, "Message"));
			if (m)
				msg = m;
			/* the first line: some services append a canonical request */
			msg_len = (int)strcspn(msg, "\r\n");
			if (json_string_value(json_object_get(j, "Reason")))
				reason = json_string_value(json_object_get(j, "Reason"));
			if (t && !c->error_type[0]) {
				const char *hash = strrchr(t, '#');

				snprintf(c->error_type, sizeof(c->error_type), "%s",
					 hash ? hash + 1 : t);
			}
		}
	}
	colon = strchr(c->error_type, ':');
	if (colon)
		*colon = '\0';
	if (c->status >= 500 || c->status == 429 || type_is(c->error_type, throttled))
		v = EBS_RETRY;
	else if (c->status == 404 || !strcmp(c->error_type, "ResourceNotFoundException"))
		v = EBS_GONE;
	else
		v = EBS_FATAL;
	if (c->status == 401 || c->status == 403 || type_is(c->error_type, refused))
		unik_err_set(err, UNIK_E_INVALID,
			     "EBS %s: AWS refused the credentials: HTTP %ld %s%s%.*s", c->op,
			     c->status, c->error_type[0] ? c->error_type : "(no error type)",
			     *msg ? ": " : "", msg_len > 300 ? 300 : msg_len, msg);
	else
		unik_err_set(err, v == EBS_FATAL ? UNIK_E_INVALID : UNIK_E_UNAVAILABLE,
			     "EBS %s: HTTP %ld %s%s%s%s%.*s", c->op, c->status,
			     c->error_type[0] ? c->error_type : "(no error type)",
			     *reason ? " " : "", reason, *msg ? ": " : "",
			     msg_len > 300 ? 300 : msg_len, msg);
	json_decref(j);
	return v;
}

int ebs_target_init(struct ebs_target *t, const char *endpoint, const char *region,
		    const struct aws_creds *creds, unsigned request_timeout_s, struct unik_err *err)
{
	const char *h;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (!region || !*region || strlen(region) > 64 ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
		return unik_err_set(err, UNIK_E_INVALID, "EBS: bad or no region '%.64s'",
				    region ? region : "");
	if (!creds || !creds->access_key || !creds->secret_key)
		return unik_err_set(err, UNIK_E_INVALID, "EBS: no credentials");
	if (!endpoint || !*endpoint) {
		t->host = xasprintf("ebs.%s.amazonaws.com", region);
		t->base = xasprintf("https://%s", t->host);
	} else {
		if (!strncmp(endpoint, "https://", 8))
			h = endpoint + 8;
		else if (!strncmp(endpoint, "http://", 7))
			h = endpoint + 7;
		else
			return unik_err_set(err, UNIK_E_INVALID,
					    "EBS endpoint '%.128s': not http(s)://host[:port]",
					    endpoint);
		n = strlen(h);
		if (n && h[n - 1] == '/')
			n--;
		if (n == 0 || n > 255 ||
		    strspn(h,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:[]") <
			n)
			return unik_err_set(err, UNIK_E_INVALID,
					    "EBS endpoint '%.128s': not http(s)://host[:port]",
					    endpoint);
		t->host = xstrndup(h, n);
		t->base = xstrndup(endpoint, (size_t)(h - endpoint) + n);
	}
	t->creds = creds;
	t->region = region;
	t->request_timeout_s = request_timeout_s;
	return 0;
}

void ebs_target_release(struct ebs_target *t)
{
	free(t->base);
	free(t->host);
	t->base = t->host = NULL;
}
