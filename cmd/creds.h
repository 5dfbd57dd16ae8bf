/* creds.h - registry credentials of the CLI (docs/oci.md, "Credentials"):
 * unik's own auth.json (0600 in $XDG_CONFIG_HOME/unik, else
 * ~/.config/unik), then ~/.docker/config.json's credHelpers, credsStore
 * (docker-credential-<name> get) and auths. */
#ifndef UNIK_CMD_CREDS_H
#define UNIK_CMD_CREDS_H

#include <jansson.h>

#include "../lib/error.h"

/* Finds credentials for `registry`: 1 with *user and *secret (caller
 * frees), 0 when there are none, -1 with err when a helper or a file
 * failed. */
int creds_find(const char *registry, char **user, char **secret, struct unik_err *err);
/* Stores (secret != NULL) or removes the credentials of `registry` in
 * unik's auth.json.  Removing is 0 with *found = 0 when there were none. */
int creds_store(const char *registry, const char *user, const char *secret, int *found,
		struct unik_err *err);
/* Adds "ca_cert": the PEM in `file` (NULL: nothing) to a request body. */
int creds_add_ca(json_t *body, const char *file, struct unik_err *err);
/* The path of unik's auth.json (caller frees). */
char *creds_path(void);

#endif
