/* oci_auth.c - the registry's auth negotiation (see oci_registry.h): a
 * 401's challenge answered with Basic credentials or a Bearer token from
 * the challenge's realm; the answer (token or Basic header) kept in the
 * session for its later requests, asked again only on a new 401. */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "oci_registry.h"

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

void reg_set_authz(struct reg_session *s, char *value)
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
static int authenticate(struct reg_session *s, const char *challenge, struct unik_err *err)
{
	const struct oci_transfer *t = s->t;
	char *realm = NULL, *service = NULL, *scope = NULL, *url = NULL, *esc;
	struct reg_resp r;
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
		reg_set_authz(s, basic_value(t));
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
		scope = xasprintf("repository:%s:%s", t->ref.repo, s->actions);
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
	reg_set_authz(s, t->username && t->password ? basic_value(t) : NULL);
	reg_resp_init(&r);
	reg_request(s, "GET", url, NULL, -1, 0, 0, &r);
	reg_set_authz(s, NULL);
	if (r.cc != CURLE_OK || r.status != 200) {
		int denied = r.cc == CURLE_OK && (r.status == 401 || r.status == 403);

		unik_err_set(err, denied ? UNIK_E_UNAUTHORIZED : UNIK_E_UNAVAILABLE,
			     "%sthe registry's token server %s",
			     denied ? "the registry refused the "
				      "credentials (401): "
				    : "",
			     r.cc != CURLE_OK ? r.errbuf : "answered with an error");
		reg_resp_release(&r);
		goto out;
	}
	doc = json_loadb(strbuf_str(&r.body), r.body.len, 0, NULL);
	reg_resp_release(&r);
	tok = json_object_get(doc, "token");
	if (!json_is_string(tok))
		tok = json_object_get(doc, "access_token");
	if (!json_is_string(tok) || !json_string_length(tok) || json_string_length(tok) > 16384 ||
	    strpbrk(json_string_value(tok), "\r\n")) {
		unik_err_set(err, UNIK_E_UNAVAILABLE, "the registry's token server sent no token");
		goto out;
	}
	reg_set_authz(s, xasprintf("Authorization: Bearer %s", json_string_value(tok)));
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
int reg_call(struct reg_session *s, const char *method, const char *url, struct curl_slist *hdrs,
	     int fd, long long off, long long len, struct reg_resp *r, struct unik_err *err)
{
	reg_request(s, method, url, hdrs, fd, off, len, r);
	if (r->cc == CURLE_OK && r->status == 401) {
		char *ch = r->www_auth ? xstrdup(r->www_auth) : NULL;

		if (!ch)
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the request (401) without a "
					    "challenge");
		reg_resp_release(r);
		reg_resp_init(r);
		if (authenticate(s, ch, err)) {
			free(ch);
			return -1;
		}
		free(ch);
		reg_request(s, method, url, hdrs, fd, off, len, r);
		if (r->cc == CURLE_OK && r->status == 401)
			return unik_err_set(err, UNIK_E_UNAUTHORIZED,
					    "the registry refused the credentials (401)");
	}
	return 0;
}
