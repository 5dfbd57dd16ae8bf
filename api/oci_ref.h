/* oci_ref.h - registry references as Docker spells them:
 * REGISTRY/REPO[:TAG], where REGISTRY holds a '.' or a ':' or is
 * "localhost", REPO is lower-case path components ([a-z0-9] runs joined by
 * '.', '_', '__' or '-'s, separated by '/'), TAG [A-Za-z0-9_][A-Za-z0-9_.-]
 * (at most 128); no tag means "latest"; then, optionally, @sha256:<64
 * lower-case hex digits> (REPO@DIGEST or REPO:TAG@DIGEST: the digest wins). */
#ifndef UNIK_OCI_REF_H
#define UNIK_OCI_REF_H

#include "../lib/error.h"

struct oci_ref {
	char *registry; /* "host[:port]" */
	char *repo; /* "a/b" */
	char *tag; /* "latest" when the reference names none */
	char *digest; /* "sha256:<64 hex>" after an '@', or NULL */
	int tagged; /* the reference named the tag */
};

/* Parses `s`; INVALID with the reason when it is not a reference. */
int oci_ref_parse(const char *s, struct oci_ref *out, struct unik_err *err);
void oci_ref_release(struct oci_ref *r);
/* 1 when `host` is a REGISTRY as a reference spells it. */
int oci_registry_valid(const char *host);
/* The unik image name Docker's short name maps to: the repo's last
 * component, then "-TAG" unless the tag is "latest" (caller frees); NULL
 * when that is no valid unik name. */
char *oci_ref_image_name(const struct oci_ref *r);

#endif
