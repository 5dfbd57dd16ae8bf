/* oci_challenge.c - the registry's challenge and token reply, read (see
 * oci_challenge.h). */
#include "oci_challenge.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/strbuf.h"
#include "../lib/xalloc.h"

#define TOKEN_MAX 16384

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

/* 1 if s holds a byte below 0x20 or 0x7f (or, with `blank`, a space). */
static int has_ctl(const char *s, int blank)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (blank && *s == ' '))
			return 1;
	return 0;
}

/* 1 if the challenge's scheme is the word `name` (any case). */
static int scheme_is(const char *ch, const char *name)
{
	size_t n = strlen(name);

	return !strncasecmp(ch, name, n) && (ch[n] == '\0' || ch[n] == ' ' || ch[n] == '\t');
}

int oci_challenge_parse(const char *ch, struct oci_challenge *out, struct unik_err *err)
{
	memset(out, 0, sizeof(*out));
	if (scheme_is(ch, "Basic")) {
		out->scheme = OCI_AUTH_BASIC;
		return 0;
	}
	if (!scheme_is(ch, "Bearer"))
		return unik_err_set(err, UNIK_E_UNAUTHORIZED,
				    "the registry asks for an authentication unikd does not "
				    "know: %.64s",
				    ch);
	out->scheme = OCI_AUTH_BEARER;
	out->realm = challenge_param(ch, "realm");
	out->service = challenge_param(ch, "service");
	out->scope = challenge_param(ch, "scope");
	if (!out->realm ||
	    (strncmp(out->realm, "https://", 8) && strncmp(out->realm, "http://", 7)) ||
	    has_ctl(out->realm, 1) || has_ctl(out->service, 0) || has_ctl(out->scope, 0)) {
		oci_challenge_release(out);
		return unik_err_set(err, UNIK_E_UNAUTHORIZED,
				    "the registry's token realm is no URL");
	}
	return 0;
}

void oci_challenge_release(struct oci_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	c->realm = c->service = c->scope = NULL;
}

int oci_token_reply(const char *body, size_t len, char **token, struct unik_err *err)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *tok;
	const char *s;
	size_t n, i;
	int rc = -1;

	*token = NULL;
	tok = json_object_get(doc, "token");
	if (!json_is_string(tok))
		tok = json_object_get(doc, "access_token");
	s = json_string_value(tok);
	n = json_string_length(tok);
	if (s && n && n <= TOKEN_MAX && strlen(s) == n) {
		for (i = 0; i < n && (unsigned char)s[i] > ' ' && (unsigned char)s[i] < 0x7f; i++)
			;
		if (i == n) {
			*token = xstrdup(s);
			rc = 0;
		}
	}
	json_decref(doc);
	if (rc)
		unik_err_set(err, UNIK_E_UNAVAILABLE, "the registry's token server sent no token");
	return rc;
}
