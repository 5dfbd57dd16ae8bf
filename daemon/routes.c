/* routes.c - the route table and its matcher. */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/xalloc.h"
#include "handlers.h"
#include "http.h"

const struct route unikd_routes[] = {
	{ "GET", "/v1/version", ROUTE_BODY_NONE, h_version },
	{ "GET", "/v1/health", ROUTE_BODY_NONE, h_health },
	{ "GET", "/v1/system/df", ROUTE_BODY_NONE, h_system_df },
	{ "GET", "/v1/compilers", ROUTE_BODY_NONE, h_compilers },
	{ "GET", "/v1/providers", ROUTE_BODY_NONE, h_providers },
	{ "GET", "/v1/events", ROUTE_BODY_NONE, h_events },
	{ "GET", "/v1/images", ROUTE_BODY_NONE, h_images_list },
	{ "POST", "/v1/images", ROUTE_BODY_UPLOAD, h_images_build },
	{ "GET", "/v1/images/{ref}", ROUTE_BODY_NONE, h_images_get },
	{ "DELETE", "/v1/images/{ref}", ROUTE_BODY_NONE, h_images_delete },
	{ "GET", "/v1/images/{ref}/export", ROUTE_BODY_NONE, h_images_export },
	{ "POST", "/v1/images/pull", ROUTE_BODY_JSON, h_images_pull },
	{ "POST", "/v1/images/load", ROUTE_BODY_UPLOAD, h_images_load },
	{ "POST", "/v1/images/{ref}/push", ROUTE_BODY_JSON, h_images_push },
	{ "POST", "/v1/images/{ref}/stage", ROUTE_BODY_JSON, h_images_stage },
	{ "POST", "/v1/images/{ref}/tag", ROUTE_BODY_JSON, h_images_tag },
	{ "GET", "/v1/images/{ref}/save", ROUTE_BODY_NONE, h_images_save },
	{ "POST", "/v1/registries/login", ROUTE_BODY_JSON, h_registries_login },
	{ "GET", "/v1/jobs/{id}", ROUTE_BODY_NONE, h_jobs_get },
	{ "DELETE", "/v1/jobs/{id}", ROUTE_BODY_NONE, h_jobs_cancel },
	{ "GET", "/v1/jobs/{id}/events", ROUTE_BODY_NONE, h_jobs_events },
	{ "GET", "/v1/instances", ROUTE_BODY_NONE, h_instances_list },
	{ "POST", "/v1/instances", ROUTE_BODY_JSON, h_instances_create },
	{ "GET", "/v1/instances/{ref}", ROUTE_BODY_NONE, h_instances_get },
	{ "DELETE", "/v1/instances/{ref}", ROUTE_BODY_NONE, h_instances_delete },
	{ "POST", "/v1/instances/{ref}/stop", ROUTE_BODY_NONE, h_instances_stop },
	{ "POST", "/v1/instances/{ref}/kill", ROUTE_BODY_NONE, h_instances_kill },
	{ "POST", "/v1/instances/{ref}/start", ROUTE_BODY_NONE, h_instances_start },
	{ "GET", "/v1/instances/{ref}/logs", ROUTE_BODY_NONE, h_instances_logs },
	{ "POST", "/v1/instances/{ref}/wait", ROUTE_BODY_NONE, h_instances_wait },
	{ "GET", "/v1/instances/{ref}/stats", ROUTE_BODY_NONE, h_instances_stats },
	{ "GET", "/v1/instances/{ref}/archive", ROUTE_BODY_NONE, h_instances_archive },
	/* the body is raw bytes, kept in memory as JSON bodies are */
	{ "POST", "/v1/instances/{ref}/stdin", ROUTE_BODY_JSON, h_instances_stdin },
	{ "GET", "/v1/volumes", ROUTE_BODY_NONE, h_volumes_list },
	{ "POST", "/v1/volumes", ROUTE_BODY_UPLOAD, h_volumes_create },
	{ "GET", "/v1/volumes/{ref}", ROUTE_BODY_NONE, h_volumes_get },
	{ "DELETE", "/v1/volumes/{ref}", ROUTE_BODY_NONE, h_volumes_delete },
	{ "POST", "/v1/volumes/{ref}/attach", ROUTE_BODY_JSON, h_volumes_attach },
	{ "POST", "/v1/volumes/{ref}/detach", ROUTE_BODY_JSON, h_volumes_detach },
};

const size_t unikd_nroutes = sizeof(unikd_routes) / sizeof(unikd_routes[0]);

/* Matches one pattern; on success fills params. */
static int match(const char *pattern, const char *path, char **params, int *nparams)
{
	const char *p = pattern, *s = path;
	int n = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			size_t len = se ? (size_t)(se - s) : strlen(s);

			if (!pe || len == 0 || n >= HTTP_MAX_PARAMS)
				goto fail;
			params[n++] = xstrndup(s, len);
			p = pe + 1;
			s += len;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	if (*p || *s)
		goto fail;
	*nparams = n;
	return 1;
fail:
	while (n > 0)
		free(params[--n]);
	return 0;
}

const struct route *route_match(const char *method, const char *path, char **params, int *nparams,
				int *path_known)
{
	*path_known = 0;
	*nparams = 0;
	for (size_t i = 0; i < unikd_nroutes; i++) {
		if (!match(unikd_routes[i].pattern, path, params, nparams))
			continue;
		if (!strcmp(unikd_routes[i].method, method))
			return &unikd_routes[i];
		*path_known = 1;
		while (*nparams > 0)
			free(params[--*nparams]);
	}
	return NULL;
}
