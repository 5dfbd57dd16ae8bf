/* fuzz_sigv4.c - the SigV4 signer (providers/aws/sigv4.c) on hostile requests.
 *
 * Input: NUL-separated fields: flags (one byte: bit 0 presign, 1 normalize,
 * 2 S3 encoding, 3 UNSIGNED-PAYLOAD, 4 x-amz-content-sha256, 5 token
 * omitted), method, path, query, session token (empty: none), then header
 * name/value pairs; the last field is the body.
 * Promises checked:
 *   - a refused request gets UNIK_E_INVALID and a sendable message;
 *   - a signed one: the string to sign ends with the SHA-256 of the canonical
 *     request, the signature is 64 lower-case hex digits, signing again gives
 *     the same bytes, and what goes on the wire (added headers, presigned
 *     query) holds no CR, LF or other control byte.
 */
#include <jansson.h>
#include <string.h>

#include "../../api/types.h"
#include "../../providers/aws/sigv4.h"
#include "fuzz.h"

#define MAXF (2 * SIGV4_MAX_HEADERS + 8)

static void no_ctl(const char *s, const char *what)
{
	for (; s && *s; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f, "control byte 0x%02x in %s",
			   (unsigned char)*s, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_cstr(data, size), *f[MAXF];
	size_t nf = 0, pos = 0;
	struct sigv4_header h[SIGV4_MAX_HEADERS + 1];
	struct sigv4_params p = { .access_key = "AKIDEXAMPLE",
				  .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
				  .region = "us-east-1",
				  .service = "service",
				  .when = 1440938160,
				  .expires = 3600 };
	struct sigv4_result a, b;
	struct unik_err err = UNIK_ERR_INIT;

	while (nf < MAXF && pos <= size) {
		f[nf++] = buf + pos;
		pos += strlen(buf + pos) + 1;
	}
	if (nf < 6) {
		free(buf);
		return 0;
	}
	unsigned flags = (unsigned char)f[0][0];
	size_t nh = (nf - 6) / 2;
	struct sigv4_request r = { f[1], f[2], f[3], h, nh, f[nf - 1], strlen(f[nf - 1]) };

	p.normalize = flags & 2;
	p.no_double_encode = flags & 4;
	p.unsigned_payload = flags & 8;
	p.content_sha256_header = flags & 16;
	p.omit_session_token = flags & 32;
	p.session_token = *f[4] ? f[4] : NULL;
	for (size_t i = 0; i < nh; i++) {
		h[i].name = f[5 + 2 * i];
		h[i].value = f[6 + 2 * i];
	}
	int rc = flags & 1 ? sigv4_presign(&r, &p, &a, &err) : sigv4_sign_header(&r, &p, &a, &err);

	if (rc < 0) {
		json_t *j = unik_error_to_json(&err);
		char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

		FUZZ_CHECK(err.code == UNIK_E_INVALID, "refusal with code %d: %s", err.code,
			   err.msg);
		FUZZ_CHECK(text, "refusal cannot be sent as JSON: \"%s\"", err.msg);
		free(text);
		json_decref(j);
		free(buf);
		return 0;
	}
	char hash[65];
	const char *nl = strrchr(a.string_to_sign, '\n');

	sigv4_sha256_hex(a.canonical_request, strlen(a.canonical_request), hash);
	FUZZ_CHECK(nl && !strcmp(nl + 1, hash), "string to sign without the request's hash");
	FUZZ_CHECK(strlen(a.signature) == 64 && strspn(a.signature, "0123456789abcdef") == 64,
		   "signature '%s'", a.signature);
	no_ctl(a.query, "the presigned query");
	for (size_t i = 0; i < a.nadded; i++) {
		no_ctl(a.added[i].name, "an added header's name");
		no_ctl(a.added[i].value, "an added header");
	}
	rc = flags & 1 ? sigv4_presign(&r, &p, &b, &err) : sigv4_sign_header(&r, &p, &b, &err);
	FUZZ_CHECK(rc == 0 && !strcmp(a.canonical_request, b.canonical_request) &&
		       !strcmp(a.signature, b.signature),
		   "signing twice differs");
	sigv4_result_free(&a);
	sigv4_result_free(&b);
	free(buf);
	return 0;
}
