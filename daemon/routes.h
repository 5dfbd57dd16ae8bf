/* routes.h - the daemon's route table: every endpoint of api/openapi.yaml
 * and the handler that serves it.  tests/unit checks that this table and
 * the spec list exactly the same routes. */
#ifndef UNIKD_ROUTES_H
#define UNIKD_ROUTES_H

#include <stddef.h>

struct http_req;

enum route_body {
	ROUTE_BODY_NONE = 0, /* any body is refused */
	ROUTE_BODY_JSON, /* kept in memory, HTTP_MAX_JSON_BODY at most */
	ROUTE_BODY_UPLOAD, /* spooled to a file, d->max_upload at most */
};

struct route {
	const char *method;
	const char *pattern; /* "/v1/images/{ref}": {x} matches one path segment */
	enum route_body body;
	void (*handler)(struct http_req *req);
};

extern const struct route unikd_routes[];
extern const size_t unikd_nroutes;

/* Finds the route for method + path and copies the path parameters into
 * params (caller frees each).  Returns NULL when nothing matches; then
 * *path_known tells whether the path exists under another method (405). */
const struct route *route_match(const char *method, const char *path, char **params, int *nparams,
				int *path_known);

#endif
