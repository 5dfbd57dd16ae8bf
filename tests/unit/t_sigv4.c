/* t_sigv4.c - the SigV4 signer against every case of the AWS signing test
 * suite (../shared/test-vectors/aws-sigv4, or $UNIK_SIGV4_VECTORS): canonical
 * request, string to sign, signature and signed request, byte for byte, in
 * the header and presigned forms; then its refusals of hostile input. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "../../providers/aws/sigv4.h"
#include "tap.h"

/* A request.txt, split in place: request line, header lines (a line that
 * starts with white space continues the one before), blank line, body. */
struct parsed {
	char *text;
	char *method, *path, *query;
	struct sigv4_header h[SIGV4_MAX_HEADERS];
	size_t nh;
	const char *body;
	size_t body_len;
};

static int parse_request(char *t, size_t len, struct parsed *r)
{
	char *eol = strchr(t, '\n'), *sp, *last, *p;

	memset(r, 0, sizeof(*r));
	if (!eol)
		return -1;
	*eol = '\0';
	sp = strchr(t, ' ');
	last = strrchr(t, ' ');
	if (!sp || sp == last)
		return -1;
	*sp = *last = '\0';
	r->method = t;
	r->path = sp + 1;
	if ((p = strchr(r->path, '?'))) {
		*p = '\0';
		r->query = p + 1;
	}
	p = eol + 1;
	while (p < t + len && *p != '\n') {
		char *e = strchr(p, '\n'), *colon;

		while (e && (e[1] == ' ' || e[1] == '\t'))
			e = strchr(e + 1, '\n');
		if (e)
			*e = '\0';
		colon = strchr(p, ':');
		if (!colon || r->nh == SIGV4_MAX_HEADERS)
			return -1;
		*colon = '\0';
		r->h[r->nh].name = p;
		r->h[r->nh++].value = colon + 1;
		p = e ? e + 1 : t + len;
	}
	if (p < t + len && *p == '\n') {
		r->body = p + 1;
		r->body_len = (size_t)(t + len - (p + 1));
	}
	return 0;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct strbuf sb;
	struct unik_err err = UNIK_ERR_INIT;

	strbuf_init(&sb);
	if (fs_read_file(path, &sb, &err) < 0) {
		printf("# %s\n", err.msg);
		strbuf_release(&sb);
		free(path);
		return NULL;
	}
	free(path);
	return strbuf_detach(&sb);
}

/* The request as the suite prints it once signed. */
static char *signed_request(const struct parsed *r, const struct sigv4_result *s, int presign)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_addf(&sb, "%s %s", r->method, r->path);
	if (presign)
		strbuf_addf(&sb, "?%s", s->query);
	else if (r->query)
		strbuf_addf(&sb, "?%s", r->query);
	strbuf_adds(&sb, " HTTP/1.1\n");
	for (size_t i = 0; i < r->nh; i++)
		strbuf_addf(&sb, "%s:%s\n", r->h[i].name, r->h[i].value);
	for (size_t i = 0; i < s->nadded; i++)
		strbuf_addf(&sb, "%s:%s\n", s->added[i].name, s->added[i].value);
	strbuf_addch(&sb, '\n');
	if (r->body_len)
		strbuf_add(&sb, r->body, r->body_len);
	return strbuf_detach(&sb);
}

static int params_of(json_t *ctx, struct sigv4_params *p)
{
	json_t *cred = json_object_get(ctx, "credentials");
	const char *ts = json_string_value(json_object_get(ctx, "timestamp"));
	struct tm tm;

	memset(p, 0, sizeof(*p));
	memset(&tm, 0, sizeof(tm));
	if (!cred || !ts || !strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	p->when = timegm(&tm);
	p->access_key = json_string_value(json_object_get(cred, "access_key_id"));
	p->secret_key = json_string_value(json_object_get(cred, "secret_access_key"));
	p->session_token = json_string_value(json_object_get(cred, "token"));
	p->region = json_string_value(json_object_get(ctx, "region"));
	p->service = json_string_value(json_object_get(ctx, "service"));
	p->normalize = json_is_true(json_object_get(ctx, "normalize"));
	p->content_sha256_header = json_is_true(json_object_get(ctx, "sign_body"));
	p->omit_session_token = json_is_true(json_object_get(ctx, "omit_session_token"));
	p->expires = (unsigned)json_integer_value(json_object_get(ctx, "expiration_in_seconds"));
	return 0;
}

static void check_file(const char *dir, const char *name, const char *got, const char *what)
{
	char *want = slurp(dir, name);

	is_str(got, want, "%s: %s", what, name);
	free(want);
}

static void one_case(const char *root, const char *name)
{
	char *dir = xasprintf("%s/%s", root, name), *ctxs = slurp(dir, "context.json");
	char *req = slurp(dir, "request.txt");
	json_t *ctx = ctxs ? json_loads(ctxs, 0, NULL) : NULL;
	struct sigv4_params p;
	struct parsed r;

	if (!ctx || !req || params_of(ctx, &p) < 0 || parse_request(req, strlen(req), &r) < 0) {
		ok(0, "%s: context.json and request.txt parse", name);
		goto out;
	}
	for (int presign = 0; presign < 2; presign++) {
		const char *form = presign ? "query" : "header";
		struct sigv4_request sr = {
			r.method, r.path, r.query, r.h, r.nh, r.body, r.body_len
		};
		struct sigv4_result s;
		struct unik_err err = UNIK_ERR_INIT;
		char fn[64], what[160];
		int rc = presign ? sigv4_presign(&sr, &p, &s, &err)
				 : sigv4_sign_header(&sr, &p, &s, &err);

		snprintf(what, sizeof(what), "%s", name);
		if (!ok(rc == 0, "%s: %s form signs", name, form)) {
			printf("# %s\n", err.msg);
			continue;
		}
		snprintf(fn, sizeof(fn), "%s-canonical-request.txt", form);
		check_file(dir, fn, s.canonical_request, what);
		snprintf(fn, sizeof(fn), "%s-string-to-sign.txt", form);
		check_file(dir, fn, s.string_to_sign, what);
		snprintf(fn, sizeof(fn), "%s-signature.txt", form);
		check_file(dir, fn, s.signature, what);
		char *sreq = signed_request(&r, &s, presign);

		snprintf(fn, sizeof(fn), "%s-signed-request.txt", form);
		check_file(dir, fn, sreq, what);
		free(sreq);
		sigv4_result_free(&s);
	}
out:
	json_decref(ctx);
	free(ctxs);
	free(req);
	free(dir);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void vectors(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		printf("SKIP: no SigV4 test vectors at %s\n", root);
		return;
	}
	while ((e = readdir(d))) {
		char *ctx = xasprintf("%s/%s/context.json", root, e->d_name);

		if (e->d_name[0] != '.' && !access(ctx, R_OK)) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = xstrdup(e->d_name);
		}
		free(ctx);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	ok(n > 0, "%zu vector cases in %s", n, root);
	for (size_t i = 0; i < n; i++) {
		one_case(root, names[i]);
		free(names[i]);
	}
	free(names);
}

static const struct sigv4_params base = {
	.access_key = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
	.region = "us-east-1",
	.service = "s3",
	.when = 1440938160, /* 2015-08-30T12:36:00Z */
	.normalize = true,
	.expires = 60,
};

static int try_sign(const char *method, const char *path, const char *query,
		    const struct sigv4_header *h, size_t nh, const struct sigv4_params *p,
		    int presign, struct sigv4_result *s)
{
	struct sigv4_request r = { method, path, query, h, nh, NULL, 0 };
	struct unik_err err = UNIK_ERR_INIT;
	int rc = presign ? sigv4_presign(&r, p, s, &err) : sigv4_sign_header(&r, p, s, &err);

	if (rc < 0 && err.code != UNIK_E_INVALID)
		printf("# error code %d, not invalid: %s\n", err.code, err.msg);
	return rc;
}

static void refusals(void)
{
	struct sigv4_header host = { "Host", "example.amazonaws.com" };
	struct sigv4_header many[SIGV4_MAX_HEADERS + 1];
	struct sigv4_params p = base;
	struct sigv4_result s;
	char *longpath = xmalloc(SIGV4_MAX_PATH + 2);

	for (size_t i = 0; i <= SIGV4_MAX_PATH; i++)
		longpath[i] = 'a';
	longpath[0] = '/';
	longpath[SIGV4_MAX_PATH + 1] = '\0';
	for (size_t i = 0; i <= SIGV4_MAX_HEADERS; i++)
		many[i] = host;

	static const struct {
		const char *name, *value;
	} bad_headers[] = {
		{ "Bad Name", "v" },	  { "", "v" },
		{ "X-A", "a\r\nb" },	  { "X-A", "a\nb" },
		{ "X-A", "a\rb" },	  { "X-A", "a\x01" },
		{ "Authorization", "x" }, { "x-amz-date", "1" },
		{ "X-A:b", "c" },	  { "X-Amz-Security-Token", "t" },
	};
	for (size_t i = 0; i < sizeof(bad_headers) / sizeof(*bad_headers); i++) {
		struct sigv4_header h[2] = { host, { bad_headers[i].name, bad_headers[i].value } };

		ok(try_sign("GET", "/", NULL, h, 2, &p, 0, &s) < 0, "refuses header %zu (%s)", i,
		   bad_headers[i].name);
	}
	ok(try_sign("GET", "/", NULL, NULL, 0, &p, 0, &s) < 0, "refuses a request without Host");
	ok(try_sign("GET", "/", NULL, many, SIGV4_MAX_HEADERS + 1, &p, 0, &s) < 0,
	   "refuses more than %d headers", SIGV4_MAX_HEADERS);
	ok(try_sign("GET", longpath, NULL, &host, 1, &p, 0, &s) < 0, "refuses a path over %d",
	   SIGV4_MAX_PATH);
	ok(try_sign("GET", "a", NULL, &host, 1, &p, 0, &s) < 0, "refuses a relative path");
	ok(try_sign("GET", "/a?b", NULL, &host, 1, &p, 0, &s) < 0, "refuses '?' in the path");
	ok(try_sign("GET", "/a\n", NULL, &host, 1, &p, 0, &s) < 0, "refuses LF in the path");
	ok(try_sign("G T", "/", NULL, &host, 1, &p, 0, &s) < 0, "refuses a bad method");
	ok(try_sign("GET", "/", "a=1&X-Amz-Signature=x", &host, 1, &p, 1, &s) < 0,
	   "refuses a query that already has X-Amz-Signature");
	ok(try_sign("GET", "/", "a=\r", &host, 1, &p, 0, &s) < 0, "refuses CR in the query");
	p.expires = 0;
	ok(try_sign("GET", "/", NULL, &host, 1, &p, 1, &s) < 0, "refuses X-Amz-Expires 0");
	p.expires = SIGV4_MAX_EXPIRES + 1;
	ok(try_sign("GET", "/", NULL, &host, 1, &p, 1, &s) < 0, "refuses expiry over 7 days");
	p = base;
	p.region = "us east";
	ok(try_sign("GET", "/", NULL, &host, 1, &p, 0, &s) < 0, "refuses a region with a space");
	p = base;
	p.session_token = "a\nb";
	ok(try_sign("GET", "/", NULL, &host, 1, &p, 0, &s) < 0, "refuses a token with LF");
	p = base;
	p.access_key = "AK/ID";
	ok(try_sign("GET", "/", NULL, &host, 1, &p, 0, &s) < 0, "refuses an access key with '/'");
	free(longpath);
}

static const char *last_line(const char *s)
{
	const char *nl = strrchr(s, '\n');

	return nl ? nl + 1 : s;
}

static void options(void)
{
	struct sigv4_header host = { "Host", "examplebucket.s3.amazonaws.com" };
	struct sigv4_params p = base;
	struct sigv4_result s;

	/* UNSIGNED-PAYLOAD, with the header that carries it. */
	p.unsigned_payload = p.content_sha256_header = true;
	if (ok(try_sign("PUT", "/k", NULL, &host, 1, &p, 0, &s) == 0, "signs UNSIGNED-PAYLOAD")) {
		is_str(last_line(s.canonical_request), "UNSIGNED-PAYLOAD", "payload hash line");
		ok(strstr(s.canonical_request, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n") != NULL,
		   "x-amz-content-sha256 signed");
		is_str(s.added[1].name, "x-amz-content-sha256", "header added");
		is_str(s.added[1].value, "UNSIGNED-PAYLOAD", "its value");
		sigv4_result_free(&s);
	}
	/* S3 paths are encoded once; others twice. */
	p = base;
	p.no_double_encode = true;
	if (ok(try_sign("GET", "/a%20b/c%2fd", NULL, &host, 1, &p, 0, &s) == 0, "signs S3 path")) {
		ok(!strncmp(s.canonical_request, "GET\n/a%20b/c%2Fd\n", 17),
		   "S3 path kept encoded");
		sigv4_result_free(&s);
	}
	p.no_double_encode = false;
	if (ok(try_sign("GET", "/a%20b", NULL, &host, 1, &p, 0, &s) == 0, "signs path twice")) {
		ok(!strncmp(s.canonical_request, "GET\n/a%2520b\n", 13), "path double-encoded");
		sigv4_result_free(&s);
	}
	/* Normalisation keeps a trailing slash after "..". */
	if (ok(try_sign("GET", "/a/b/..", NULL, &host, 1, &p, 0, &s) == 0, "signs /a/b/..")) {
		ok(!strncmp(s.canonical_request, "GET\n/a/\n", 8), "/a/b/.. is /a/");
		sigv4_result_free(&s);
	}
	/* Query: '%' that is no escape, keys without '=', empty parameters. */
	if (ok(try_sign("GET", "/", "b&&a=%zz&c=%41", &host, 1, &p, 0, &s) == 0,
	       "signs odd query")) {
		ok(strstr(s.canonical_request, "\na=%25zz&b=&c=A\n") != NULL,
		   "odd query canonical");
		sigv4_result_free(&s);
	}
}

int main(void)
{
	const char *root = getenv("UNIK_SIGV4_VECTORS");

	/* The repository's sibling ../shared; from a worktree in wt/, ../../shared. */
	if (!root || !*root)
		root = access("../shared/test-vectors/aws-sigv4", F_OK) &&
			       !access("../../shared/test-vectors/aws-sigv4", F_OK)
			   ? "../../shared/test-vectors/aws-sigv4"
			   : "../shared/test-vectors/aws-sigv4";
	vectors(root);
	refusals();
	options();
	return tap_done();
}
