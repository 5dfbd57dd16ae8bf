/* oci_challenge.h - what a registry says when it asks for credentials
 * (oci_auth.c): a 401's WWW-Authenticate challenge and the token server's
 * reply, both outside input, read here without any I/O (tests/fuzz/
 * fuzz_oci_auth.c). */
#ifndef UNIKD_OCI_CHALLENGE_H
#define UNIKD_OCI_CHALLENGE_H

#include <stddef.h>

#include "../lib/error.h"

enum oci_scheme { OCI_AUTH_BASIC = 1, OCI_AUTH_BEARER };

struct oci_challenge {
	enum oci_scheme scheme;
	/* Bearer: the token server ("http(s)://...", no blank or control
	 * byte), and service and scope when given (NULL otherwise; no
	 * control byte) */
	char *realm, *service, *scope;
};

/* Reads the challenge `ch` ("Basic realm=...", "Bearer realm="...",
 * service=...").  UNAUTHORIZED with the reason for another scheme or a
 * Bearer without a usable realm. */
int oci_challenge_parse(const char *ch, struct oci_challenge *out, struct unik_err *err);
void oci_challenge_release(struct oci_challenge *c);

/* The token of the token server's reply body ({"token": ...} or
 * {"access_token": ...}, caller frees): 1 to 16384 printable ASCII bytes
 * without a blank (RFC 6750's b64token and what registries send).
 * UNAVAILABLE otherwise. */
int oci_token_reply(const char *body, size_t len, char **token, struct unik_err *err);

#endif
