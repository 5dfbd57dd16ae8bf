/* t_curl_sigv4.c - what libcurl's own signer (CURLOPT_AWS_SIGV4) makes of the
 * AWS signing test suite's requests, header form (libcurl has no presigned
 * form).  Each request goes to a listener on 127.0.0.1 with the vector's
 * X-Amz-Date (libcurl signs with a date header the caller sets), and the
 * Authorization it sent is compared with the vector's.  The cases libcurl
 * gets wrong are listed below and in docs/providers/aws.md: a case moving in
 * or out of that list fails here, so the document stays true. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/fsutil.h"
#include "../../lib/strbuf.h"
#include "../../lib/xalloc.h"
#include "tap.h"

/* Vectors libcurl 7.88 signs differently from the suite, and why. */
static const struct {
	const char *name, *why;
} differs[] = {
	{ "get-header-key-duplicate", "repeated headers signed one by one, not joined with ','" },
	{ "get-header-value-order", "repeated headers signed one by one, not joined with ','" },
	{ "get-relative-unnormalized", "its URL parser removes dot segments before signing" },
	{ "get-relative-relative-unnormalized", "its URL parser removes dot segments" },
	{ "get-slash-dot-slash-unnormalized", "its URL parser removes dot segments" },
	{ "get-slash-pointless-dot-unnormalized", "its URL parser removes dot segments" },
	{ "get-slash-normalized", "empty path segments kept" },
	{ "get-slashes-normalized", "empty path segments kept" },
	{ "get-space-normalized", "a space in the URL is refused" },
	{ "get-space-unnormalized", "a space in the URL is refused" },
	{ "get-utf8", "the path is escaped with lower-case hex (%e1)" },
	{ "get-vanilla-utf8-query", "query bytes signed raw, not URI-encoded" },
	{ "get-vanilla-query-order-key-case", "query parameters not sorted" },
	{ "get-vanilla-query-order-encoded", "query parameters not sorted" },
	{ "post-x-www-form-urlencoded", "no x-amz-content-sha256 unless the service is s3" },
	{ "post-x-www-form-urlencoded-parameters", "no x-amz-content-sha256 unless service s3" },
	{ "post-sts-header-after", "no session token option: an unsigned token is impossible" },
};

static int lfd = -1;

/* Answers every request with an empty 200 until the socket closes. */
static void *serve(void *arg)
{
	(void)arg;
	for (;;) {
		char buf[65536];
		size_t got = 0;
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			return NULL;
		for (;;) {
			ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);

			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			char *end = strstr(buf, "\r\n\r\n");

			if (!end)
				continue;
			char *cl = strcasestr(buf, "\r\ncontent-length:");
			size_t want = (size_t)(end + 4 - buf) +
				      (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);

			if (got >= want || got == sizeof(buf) - 1)
				break;
		}
		static const char ok200[] =
		    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		if (write(c, ok200, sizeof(ok200) - 1) < 0)
			perror("write");
		close(c);
	}
}

static size_t sink(char *d, size_t s, size_t n, void *u)
{
	(void)d;
	(void)u;
	return s * n;
}

static int on_debug(CURL *h, curl_infotype t, char *d, size_t n, void *u)
{
	(void)h;
	if (t == CURLINFO_HEADER_OUT)
		strbuf_add(u, d, n);
	return 0;
}

static char *slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	struct strbuf sb;
	struct unik_err err = UNIK_ERR_INIT;

	strbuf_init(&sb);
	if (fs_read_file(path, &sb, &err) < 0) {
		strbuf_release(&sb);
		free(path);
		return NULL;
	}
	free(path);
	return strbuf_detach(&sb);
}

/* The Signature=... of an Authorization header in `hdrs`, or NULL. */
static char *signature_in(const char *hdrs)
{
	const char *a = strcasestr(hdrs, "\nAuthorization:"), *s;

	if (!a || !(s = strstr(a, "Signature=")))
		return NULL;
	s += 10;
	return strndup(s, strspn(s, "0123456789abcdef"));
}

static const char *differs_why(const char *name)
{
	for (size_t i = 0; i < sizeof(differs) / sizeof(*differs); i++)
		if (!strcmp(differs[i].name, name))
			return differs[i].why;
	return NULL;
}

/* Sends the vector's request through libcurl's signer; returns the
 * signature libcurl put in Authorization (NULL: it sent none or failed). */
static char *curl_sign(const char *dir, int port, char **note)
{
	char *req = slurp(dir, "request.txt"), *ctx = slurp(dir, "context.json");
	char *line, *sp, *last, *p, *sig = NULL;
	struct curl_slist *hl = NULL;
	struct strbuf url, out;
	CURL *c;
	CURLcode rc;

	*note = NULL;
	if (!req || !ctx || !(line = strchr(req, '\n'))) {
		free(req);
		free(ctx);
		return NULL;
	}
	*line = '\0';
	sp = strchr(req, ' ');
	last = strrchr(req, ' ');
	*sp = *last = '\0';
	strbuf_init(&url);
	strbuf_addf(&url, "http://127.0.0.1:%d%s", port, sp + 1);
	/* Headers; folds become one space (libcurl's list has no folds). */
	for (p = line + 1; *p && *p != '\n';) {
		struct strbuf h;
		char *e;

		strbuf_init(&h);
		for (;;) {
			e = strchr(p, '\n');
			strbuf_add(&h, p, e ? (size_t)(e - p) : strlen(p));
			p = e ? e + 1 : p + strlen(p);
			if (*p != ' ' && *p != '\t')
				break;
			while (*p == ' ' || *p == '\t')
				p++;
			strbuf_addch(&h, ' ');
		}
		hl = curl_slist_append(hl, strbuf_str(&h));
		strbuf_release(&h);
	}
	hl = curl_slist_append(hl, "X-Amz-Date: 20150830T123600Z");
	/* libcurl has no session token option: the caller adds the header. */
	if ((p = strstr(ctx, "\"token\": \""))) {
		char *tok =
		    xasprintf("X-Amz-Security-Token: %.*s", (int)strcspn(p + 10, "\""), p + 10);

		hl = curl_slist_append(hl, tok);
		free(tok);
		*note = xstrdup("token as an X-Amz-Security-Token header");
	}
	p = line + 1;
	while (*p && *p != '\n') {
		char *e = strchr(p, '\n');

		p = e ? e + 1 : p + strlen(p);
	}
	c = curl_easy_init();
	strbuf_init(&out);
	curl_easy_setopt(c, CURLOPT_URL, strbuf_str(&url));
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req);
	if (*p == '\n')
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, p + 1);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:service");
	curl_easy_setopt(c, CURLOPT_USERPWD,
			 "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &out);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		printf("# %s: curl: %s\n", dir, curl_easy_strerror(rc));
	else
		sig = signature_in(strbuf_str(&out));
	if (out.len)
		printf("# sent: %.*s\n", (int)strcspn(strbuf_str(&out), "\r\n"), strbuf_str(&out));
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	strbuf_release(&url);
	strbuf_release(&out);
	free(req);
	free(ctx);
	return sig;
}

int main(void)
{
	const char *root = getenv("UNIK_SIGV4_VECTORS");
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	pthread_t th;
	DIR *d;
	struct dirent *e;

	if (!root || !*root)
		root = access("../shared/test-vectors/aws-sigv4", F_OK) &&
			       !access("../../shared/test-vectors/aws-sigv4", F_OK)
			   ? "../../shared/test-vectors/aws-sigv4"
			   : "../shared/test-vectors/aws-sigv4";
	if (!(d = opendir(root))) {
		printf("SKIP: no SigV4 test vectors at %s\n", root);
		return tap_done();
	}
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!ok(lfd >= 0 && !bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(lfd, 8) &&
		    !getsockname(lfd, (struct sockaddr *)&sa, &sl),
		"listener on 127.0.0.1"))
		return tap_done();
	pthread_create(&th, NULL, serve, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ok(!strncmp(curl_version_info(CURLVERSION_NOW)->version, "7.88.", 5),
	   "libcurl is 7.88 (the findings are for it): %s",
	   curl_version_info(CURLVERSION_NOW)->version);
	while ((e = readdir(d))) {
		char *dir = xasprintf("%s/%s", root, e->d_name), *want, *got, *note;
		const char *why = differs_why(e->d_name);

		if (e->d_name[0] == '.' || !(want = slurp(dir, "header-signature.txt"))) {
			free(dir);
			continue;
		}
		got = curl_sign(dir, ntohs(sa.sin_port), &note);
		int same = got && !strcmp(got, want);

		ok(same == !why, "%s: libcurl %s%s%s%s", e->d_name, same ? "matches" : "differs",
		   why ? " (known: " : "", why ? why : "", why ? ")" : "");
		if (note)
			printf("# %s\n", note);
		free(note);
		free(got);
		free(want);
		free(dir);
	}
	closedir(d);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(th, NULL);
	curl_global_cleanup();
	return tap_done();
}
