/* fuzz_oci_auth.c - what a registry says when it asks for credentials
 * (daemon/oci_challenge.c): a 401's WWW-Authenticate challenge and the
 * token server's reply body.
 *
 * Input: the first byte picks: even, the challenge (the header value as
 * oci_registry.c keeps it: a C string, so cut at a NUL); odd, the token
 * reply (any bytes).
 * Promises checked:
 *   - a refusal is UNAUTHORIZED (challenge) or UNAVAILABLE (token) and can
 *     be sent as a JSON error body;
 *   - a Bearer challenge gives a realm "http(s)://..." without a blank or
 *     control byte, and a service and scope without a control byte, none
 *     longer than the challenge; Basic gives nothing else;
 *   - a token has 1..16384 bytes, each printable ASCII and not a blank, so
 *     "Authorization: Bearer TOKEN" is one header line.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../../api/types.h"
#include "../../daemon/oci_challenge.h"
#include "fuzz.h"

static int sendable(const struct unik_err *err)
{
	json_t *j = unik_error_to_json(err);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int ok = text != NULL && err->msg[0];

	free(text);
	json_decref(j);
	return ok;
}

static int clean(const char *s, int blank)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (blank && *s == ' '))
			return 0;
	return 1;
}

static void challenge(const char *ch)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct oci_challenge c;
	size_t len = strlen(ch);

	if (oci_challenge_parse(ch, &c, &err)) {
		FUZZ_CHECK(err.code == UNIK_E_UNAUTHORIZED && sendable(&err),
			   "a refused challenge cannot be sent: %s", err.msg);
		FUZZ_CHECK(!c.realm && !c.service && !c.scope, "a refusal keeps values");
		return;
	}
	if (c.scheme == OCI_AUTH_BASIC) {
		FUZZ_CHECK(!c.realm && !c.service && !c.scope, "Basic with Bearer's values");
		return;
	}
	FUZZ_CHECK(c.scheme == OCI_AUTH_BEARER, "scheme %d", (int)c.scheme);
	FUZZ_CHECK(c.realm && (!strncmp(c.realm, "https://", 8) || !strncmp(c.realm, "http://", 7)),
		   "the realm is no URL: %s", c.realm ? c.realm : "(none)");
	FUZZ_CHECK(clean(c.realm, 1) && strlen(c.realm) <= len, "a bad realm kept: %s", c.realm);
	FUZZ_CHECK(!c.service || (clean(c.service, 0) && strlen(c.service) <= len),
		   "a bad service kept");
	FUZZ_CHECK(!c.scope || (clean(c.scope, 0) && strlen(c.scope) <= len), "a bad scope kept");
	oci_challenge_release(&c);
}

static void token(const uint8_t *data, size_t size)
{
	struct unik_err err = UNIK_ERR_INIT;
	char *tok = (char *)1;

	if (oci_token_reply((const char *)data, size, &tok, &err)) {
		FUZZ_CHECK(!tok, "a refusal returns a token");
		FUZZ_CHECK(err.code == UNIK_E_UNAVAILABLE && sendable(&err),
			   "a refused token cannot be sent: %s", err.msg);
		return;
	}
	FUZZ_CHECK(tok && *tok && strlen(tok) <= 16384, "a token of %zu bytes",
		   tok ? strlen(tok) : 0);
	for (const char *p = tok; *p; p++)
		FUZZ_CHECK((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f,
			   "a token byte 0x%02x", (unsigned char)*p);
	free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		token(data + 1, size - 1);
		return 0;
	}
	s = fuzz_cstr(data + 1, size - 1);
	challenge(s);
	free(s);
	return 0;
}
