/* t_routes.c - the route table and api/openapi.yaml list exactly the same
 * routes; the matcher extracts parameters and never matches partially. */
#include <ctype.h>
#include <stdlib.h>

#include "../../daemon/handlers.h"
#include "../../daemon/http.h"
#include "../../daemon/routes.h"
#include "../../lib/fsutil.h"
#include "../../lib/strv.h"
#include "../../lib/xalloc.h"
#include "tap.h"

/* "GET /v1/x" for every path + method of the spec (the file keeps paths at
 * two spaces of indent and methods at four, as YAML written by hand does). */
static int spec_routes(const char *path, struct strv *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct unik_err err;
	char *text, *line, *next, *cur = NULL;
	int in_paths = 0;

	if (fs_read_file(path, &sb, &err))
		return -1;
	text = strbuf_detach(&sb);
	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strcmp(line, "paths:")) {
			in_paths = 1;
			continue;
		}
		if (in_paths && line[0] && line[0] != ' ')
			break;
		if (!in_paths)
			continue;
		if (!strncmp(line, "  /", 3) && line[strlen(line) - 1] == ':') {
			free(cur);
			cur = xstrndup(line + 2, strlen(line) - 3);
		} else if (cur && !strncmp(line, "    ", 4) && line[4] != ' ') {
			static const char *const methods[] = { "get", "post", "put", "delete",
							       "patch" };

			for (size_t i = 0; i < 5; i++) {
				size_t n = strlen(methods[i]);

				if (!strncmp(line + 4, methods[i], n) && line[4 + n] == ':') {
					char m[8];

					for (size_t k = 0; k <= n; k++)
						m[k] = (char)toupper((unsigned char)methods[i][k]);
					strv_push_owned(out, xasprintf("%s %s", m, cur));
				}
			}
		}
	}
	free(cur);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	const char *spec = argc > 1 ? argv[1] : "api/openapi.yaml";
	struct strv want = STRV_INIT, have = STRV_INIT;
	char *params[HTTP_MAX_PARAMS];
	const struct route *r;
	int n = 0, known = 0;

	ok(spec_routes(spec, &want) == 0, "read %s", spec);
	for (size_t i = 0; i < unikd_nroutes; i++)
		strv_push_owned(
		    &have, xasprintf("%s %s", unikd_routes[i].method, unikd_routes[i].pattern));
	for (size_t i = 0; i < want.n; i++)
		ok(strv_find(&have, want.v[i]) >= 0, "spec route served: %s", want.v[i]);
	for (size_t i = 0; i < have.n; i++)
		ok(strv_find(&want, have.v[i]) >= 0, "served route in the spec: %s", have.v[i]);
	is_int(want.n, have.n, "same number of routes");

	r = route_match("GET", "/v1/instances/web/logs", params, &n, &known);
	ok(r && !strcmp(r->pattern, "/v1/instances/{ref}/logs") && n == 1 &&
	       !strcmp(params[0], "web"),
	   "parameter extracted");
	while (n > 0)
		free(params[--n]);
	r = route_match("DELETE", "/v1/jobs/abc", params, &n, &known);
	ok(r && r->handler == h_jobs_cancel && n == 1 && !strcmp(params[0], "abc"),
	   "DELETE /v1/jobs/{id} cancels the job");
	while (n > 0)
		free(params[--n]);
	r = route_match("PUT", "/v1/instances/web", params, &n, &known);
	ok(!r && known, "wrong method on a known path is told apart (405)");
	r = route_match("GET", "/v1/instances/web/logs/extra", params, &n, &known);
	ok(!r && !known, "longer path does not match");
	r = route_match("GET", "/v1/images/", params, &n, &known);
	ok(!r, "empty parameter does not match");
	r = route_match("GET", "/v1/imagesX", params, &n, &known);
	ok(!r, "prefix of a path does not match");
	strv_release(&want);
	strv_release(&have);
	return tap_done();
}
