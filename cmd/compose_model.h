/* compose_model.h - the subset of the compose file format that `unik
 * compose` runs, checked and in start order.
 *
 * Top level: name, services, volumes, version (ignored), x-* (ignored).
 * A service: build (a folder, or {context: folder}), image, command (a
 * string split as a shell would, or a list), environment (list of K=V or
 * map), env_file (string or list), ports (list), volumes (list of
 * NAME:/PATH[:ro|:rw], NAME declared under the top-level volumes),
 * depends_on (list, or map of {condition: service_started}), restart,
 * x-unik ({provider, memory}), other x-* ignored.  A volume: null or
 * {name, x-unik: {size, type}}.  Anything else is an error naming the key
 * and its line.
 */
#ifndef UNIK_CMD_COMPOSE_MODEL_H
#define UNIK_CMD_COMPOSE_MODEL_H

#include <stddef.h>

#include "../lib/error.h"
#include "../lib/strv.h"

#define COMPOSE_SERVICES_MAX 64
#define COMPOSE_VOLUMES_MAX 64

struct compose_service {
	char *name;
	int line;
	char *build; /* absolute or relative to the file's folder, or NULL */
	char *image; /* NULL when only built */
	int has_command;
	struct strv command;
	struct strv env; /* "K=V": env_file first, then environment */
	struct strv ports;
	struct strv volumes; /* "VOLUME:/PATH[:ro]", VOLUME the daemon's name */
	struct strv depends_on;
	char *restart;
	char *provider;
	int memory_mb;
};

struct compose_volume {
	char *key; /* as in the file */
	char *name; /* the daemon's: PROJECT_KEY, or its `name` */
	long long size; /* bytes */
	char *type; /* NULL: the daemon's default */
};

struct compose_project {
	char *name;
	char *file;
	char *dir; /* the file's folder */
	struct compose_service *services; /* in start order (depends_on first) */
	size_t n_services;
	struct compose_volume *volumes;
	size_t n_volumes;
};

/* Reads `file`; the project's name is `name` if given, else the file's
 * `name:`, else COMPOSE_PROJECT_NAME, else its folder's name (lowercased,
 * with only [a-z0-9_-] kept).  0, or -1 with `err` ("FILE:LINE: ...") and
 * nothing left in `p` to release. */
int compose_load(struct compose_project *p, const char *file, const char *name,
		 struct unik_err *err);
void compose_release(struct compose_project *p);

/* The service named `name`, or NULL. */
const struct compose_service *compose_service(const struct compose_project *p, const char *name);

/* Splits `s` as a shell would into words: blanks separate, '...' and "..."
 * quote, a backslash escapes outside single quotes.  -1 on an unterminated
 * quote. */
int compose_split_words(const char *s, struct strv *out);

#endif
