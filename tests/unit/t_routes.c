/* t_routes.c - the route table and api/openapi.yaml list exactly the same
 * routes; the matcher extracts parameters and never matches partially; the
 * request-target parser decodes with lengths and refuses what no route can
 * mean (NUL, invalid UTF-8, bad escapes). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/handlers.h"
#include "../../daemon/http.h"
#include "../../daemon/http_uri.h"
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

/* Parses raw (a C string) and expects success. */
static int parses(const char *raw, struct http_uri *u)
{
	struct unik_err err = UNIK_ERR_INIT;

	if (http_uri_parse(raw, strlen(raw), u, &err) == 0)
		return 1;
	printf("#   %s: %s\n", raw, err.msg);
	return 0;
}

/* Expects raw[0..len) to be refused with a message containing `why`. */
static void refused(const char *raw, size_t len, const char *why)
{
	struct unik_err err = UNIK_ERR_INIT;
	struct http_uri u = HTTP_URI_INIT;
	int rc = http_uri_parse(raw, len, &u, &err);

	ok(rc < 0 && err.code == UNIK_E_INVALID && strstr(err.msg, why) && !u.path && !u.nparams,
	   "refused (%s): %.40s", why, raw);
	if (rc == 0)
		http_uri_release(&u);
	else if (!strstr(err.msg, why))
		printf("#   message: %s\n", err.msg);
}

static void uri(void)
{
	struct http_uri u = HTTP_URI_INIT;
	struct strbuf sb = STRBUF_INIT;
	char nul_path[] = "/v1/images/a\0b";

	ok(parses("/v1/images/caf%C3%A9?name=a+b&x=%26&flag&&args=1&args=2", &u) &&
	       !strcmp(u.path, "/v1/images/caf\xc3\xa9") && u.nparams == 5,
	   "path decoded, empty query pieces skipped");
	is_str(http_uri_query(&u, "name"), "a b", "'+' is a space in the query");
	is_str(http_uri_query(&u, "x"), "&", "an escaped '&' is data");
	is_str(http_uri_query(&u, "flag"), "", "a key without '=' has the value \"\"");
	is_str(http_uri_query(&u, "args"), "1", "the first of repeated keys");
	ok(http_uri_query(&u, "nope") == NULL, "an absent key is NULL");
	http_uri_release(&u);
	ok(parses("/a+b", &u) && !strcmp(u.path, "/a+b"), "'+' stays '+' in the path");
	http_uri_release(&u);
	ok(parses("http://unik:3000/v1/version?a=1#frag", &u) && !strcmp(u.path, "/v1/version") &&
	       u.nparams == 1,
	   "absolute form: scheme and host ignored, fragment dropped");
	http_uri_release(&u);
	ok(parses("HTTPS://h", &u) && !strcmp(u.path, "/"), "absolute form without a path is /");
	http_uri_release(&u);

	/* the reproducers of issue 9 */
	refused("/v1/images/%ff%fe", 17, "not valid UTF-8");
	refused("/%ff", 4, "not valid UTF-8");
	refused("/v1/images?name=%ff", 19, "value is not valid UTF-8");
	refused("/v1/images?%c3=1", 16, "name is not valid UTF-8");
	refused("/v1/images/hello%00xyz", 22, "NUL");
	refused("/v1/images?name=a%00b", 21, "NUL");
	refused("/v1/images?na%00me=ab", 21, "NUL");
	refused(nul_path, sizeof(nul_path) - 1, "control character");
	refused("/v1/images/%zz", 14, "bad %-escape");
	refused("/v1/images/%f", 13, "bad %-escape");
	refused("/v1/images/%", 12, "bad %-escape");
	refused("/v1/images?x=%4", 15, "bad %-escape");
	refused("/v1/images/a%2Fb", 16, "encoded '/'");
	refused("/v1/a b", 7, "space");
	refused("/v1/\x7f", 5, "control character");
	refused("v1/images", 9, "starting with '/'");
	refused("*", 1, "starting with '/'");
	refused("", 0, "starting with '/'");
	refused("http://h?x=1&y=%ff", 18, "not valid UTF-8");
	refused("/\xed\xa0\x80", 4, "not valid UTF-8"); /* a raw surrogate */

	ok(parses("/v1/instances/", &u), "an empty last segment parses (no route matches it)");
	http_uri_release(&u);
	strbuf_adds(&sb, "/v1/instances/");
	for (int i = 0; i < 600; i++)
		strbuf_adds(&sb, "%C3%A9");
	strbuf_adds(&sb, "?");
	for (int i = 0; i <= HTTP_URI_MAX_PARAMS; i++)
		strbuf_addf(&sb, "k%d=v&", i);
	refused(strbuf_str(&sb), sb.len, "query parameters");
	strbuf_release(&sb);
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
	uri();
	strv_release(&want);
	strv_release(&have);
	return tap_done();
}
