/* oci_skopeo.h - moving an OCI layout to and from a registry with skopeo
 * (docs/oci.md says why skopeo).  The registry's credentials go to skopeo
 * in a 0600 auth.json in the job's folder, never on its command line or
 * in an event. */
#ifndef UNIKD_OCI_SKOPEO_H
#define UNIKD_OCI_SKOPEO_H

#include "../api/oci_ref.h"
#include "../lib/error.h"

struct job_ctx;

#define OCI_TIMEOUT_DEFAULT 1800 /* seconds: registry.timeout */
#define OCI_LOGIN_TIMEOUT 60 /* seconds a login check may take */

struct oci_transfer {
	struct oci_ref ref;
	char *username, *password; /* NULL: anonymous */
	char *ca_cert; /* PEM or NULL */
	char *daemon_ca; /* registry.ca_cert: a PEM file trusted for every registry, or NULL */
	int insecure; /* no TLS verification; plain HTTP allowed */
	int timeout_s; /* skopeo is stopped after this long (0: OCI_TIMEOUT_DEFAULT) */
};

void oci_transfer_release(struct oci_transfer *t);

/* Copies layout `layout` (its image tagged t->ref.tag) to the registry
 * (push = 1) or the registry's image into it (push = 0), in the job's
 * folder `work`; skopeo's lines are the job's log.  A refusal by the
 * registry is UNAUTHORIZED, other failures INTERNAL/UNAVAILABLE, each
 * with skopeo's own words. */
int oci_skopeo_copy(struct job_ctx *jc, const char *work, const char *layout,
		    const struct oci_transfer *t, int push, struct unik_err *err);

/* Checks t's credentials against its registry (skopeo login, in `work`,
 * the password on its stdin): 0 when the registry takes them,
 * UNAUTHORIZED when it refuses them.  Stores nothing. */
int oci_skopeo_login(const char *work, const struct oci_transfer *t, struct unik_err *err);

#endif
