/* aws_imds.c - the instance role's credentials from IMDSv2: PUT a session
 * token, GET the role's name, GET its keys (JSON).  Short timeouts, no
 * proxy, no redirects, bounded answers. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "lib/xalloc.h"
#include "providers/aws/aws_creds.h"

#define IMDS_MAX_BODY 65536

static size_t collect(char *d, size_t s, size_t n, void *u)
{
	struct strbuf *sb = u;

	if (sb->len + s * n > IMDS_MAX_BODY)
		return 0;
	strbuf_add(sb, d, s * n);
	return s * n;
}

/* One request; the body in `body` (NUL-ended) when the answer is 200. */
static int imds_call(const char *url, const char *method, const char *hdr, struct strbuf *body,
		     struct unik_err *err)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = hdr ? curl_slist_append(NULL, hdr) : NULL;
	long code = 0;
	CURLcode rc;

	if (!c)
		return unik_err_set(err, UNIK_E_INTERNAL, "curl_easy_init failed");
	strbuf_reset(body);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "%s %s: %s", method, url,
				    rc == CURLE_WRITE_ERROR ? "answer over 64 KiB"
							    : curl_easy_strerror(rc));
	if (code != 200)
		return unik_err_set(err, UNIK_E_UNAVAILABLE, "%s %s: HTTP %ld", method, url, code);
	strbuf_addch(body, '\0');
	body->len--;
	return 0;
}

static int name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= max || !((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
				  (s[n] >= '0' && s[n] <= '9') || strchr(extra, s[n])))
			return 0;
	return n > 0;
}

static char *json_str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? xstrdup(v) : NULL;
}

int aws_imds_creds(const char *base, struct aws_creds *out, struct unik_err *err)
{
	struct strbuf body, hdr;
	char *url = NULL, *tok = NULL, *role = NULL;
	json_t *j = NULL;
	int rc = -1;

	if (strncmp(base, "http://", 7) || strlen(base) > 256 || !name_ok(base + 7, 249, ".:-[]"))
		return unik_err_set(err, UNIK_E_INVALID, "bad IMDS endpoint '%.64s'", base);
	strbuf_init(&body);
	strbuf_init(&hdr);
	url = xasprintf("%s/latest/api/token", base);
	if (imds_call(url, "PUT", "X-aws-ec2-metadata-token-ttl-seconds: 21600", &body, err) < 0)
		goto out;
	tok = xstrdup(strbuf_str(&body));
	if (!name_ok(tok, 1024, "+/=-_.")) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "IMDS: bad session token");
		goto out;
	}
	strbuf_addf(&hdr, "X-aws-ec2-metadata-token: %s", tok);
	free(url);
	url = xasprintf("%s/latest/meta-data/iam/security-credentials/", base);
	if (imds_call(url, "GET", strbuf_str(&hdr), &body, err) < 0)
		goto out;
	role = xstrndup(strbuf_str(&body), strcspn(strbuf_str(&body), "\r\n"));
	if (!name_ok(role, 128, "+=,.@_-")) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "IMDS: no role or a bad role name");
		goto out;
	}
	free(url);
	url = xasprintf("%s/latest/meta-data/iam/security-credentials/%s", base, role);
	if (imds_call(url, "GET", strbuf_str(&hdr), &body, err) < 0)
		goto out;
	j = json_loadb(strbuf_str(&body), body.len, 0, NULL);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "AccessKeyId")) ||
	    !json_is_string(json_object_get(j, "SecretAccessKey"))) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "IMDS: role %s: no keys in the answer", role);
		goto out;
	}
	out->access_key = json_str(j, "AccessKeyId");
	out->secret_key = json_str(j, "SecretAccessKey");
	out->session_token = json_str(j, "Token");
	rc = 0;
out:
	json_decref(j);
	free(url);
	free(tok);
	free(role);
	strbuf_release(&body);
	strbuf_release(&hdr);
	return rc;
}
