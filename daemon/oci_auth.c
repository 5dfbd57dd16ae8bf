/* oci_auth.c - the registry's auth negotiation (see oci_registry.h): a
 * 401's challenge answered with Basic credentials or a Bearer token from
 * the challenge's realm; the answer (token or Basic header) kept in the
 * session for its later requests, asked again only on a new 401. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"
#include "oci_challenge.h"
#include "oci_registry.h"

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
	struct oci_challenge c;
	char *scope = NULL, *url = NULL, *esc, *token = NULL;
	struct reg_resp r;
	int rc = -1;

	if (oci_challenge_parse(challenge, &c, err))
		return -1;
	if (c.scheme == OCI_AUTH_BASIC) {
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
	scope = c.scope ? xstrdup(c.scope) : xasprintf("repository:%s:%s", t->ref.repo, s->actions);
	{
		struct strbuf u = STRBUF_INIT;

		strbuf_adds(&u, c.realm);
		strbuf_addch(&u, strchr(c.realm, '?') ? '&' : '?');
		if (c.service) {
			esc = curl_easy_escape(s->c, c.service, 0);
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
	if (oci_token_reply(strbuf_str(&r.body), r.body.len, &token, err)) {
		reg_resp_release(&r);
		goto out;
	}
	reg_resp_release(&r);
	reg_set_authz(s, xasprintf("Authorization: Bearer %s", token));
	explicit_bzero(token, strlen(token));
	rc = 0;
out:
	free(token);
	free(scope);
	free(url);
	oci_challenge_release(&c);
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
